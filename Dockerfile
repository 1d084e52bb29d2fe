# The image for k8s/: build the jar first (mvn -B -DskipTests package), then
#   docker build -t registry.example.com/seckill:0.1.0 .
FROM eclipse-temurin:17-jre
WORKDIR /app
COPY target/seckill.jar /app/seckill.jar
EXPOSE 8080 8558 25520
# JAVA_TOOL_OPTIONS (MaxRAMPercentage) comes from the ConfigMap; exec so SIGTERM reaches the JVM
ENTRYPOINT ["java", "-jar", "/app/seckill.jar"]
