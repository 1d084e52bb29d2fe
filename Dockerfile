# The image for k8s/: build the jar first (mvn -B -DskipTests package), then
#   docker build -t registry.example.com/seckill:0.1.0 .     (k8s/overlays/production)
#   docker build -t seckill:local .                          (k8s/overlays/local; kind load docker-image seckill:local)
FROM eclipse-temurin:17-jre
# a user of its own: the pods run as 10001, never root, on a read-only root filesystem (/tmp is a volume)
RUN groupadd --system --gid 10001 seckill \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin seckill
WORKDIR /app
COPY target/seckill.jar /app/seckill.jar
USER 10001:10001
EXPOSE 8080 8558 25520
# JAVA_TOOL_OPTIONS (MaxRAMPercentage) comes from the ConfigMap; exec so SIGTERM reaches the JVM
ENTRYPOINT ["java", "-jar", "/app/seckill.jar"]
