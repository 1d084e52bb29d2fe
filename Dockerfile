# The image for k8s/: build the jar first with Java 17 or newer (mvn -B -DskipTests package; it is
# compiled for Java 17), then
#   docker build -t registry.example.com/seckill:0.1.0 .     (k8s/overlays/production)
#   docker build -t seckill:local .                          (k8s/overlays/local; kind load docker-image seckill:local)
# It runs on Java 25, the current LTS; CI runs the quick test tier on Java 25 too (.ci/run).
FROM eclipse-temurin:25-jre
# a user of its own: the pods run as 10001, never root, on a read-only root filesystem (/tmp is a volume)
RUN groupadd --system --gid 10001 seckill \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin seckill
WORKDIR /app
COPY target/seckill.jar /app/seckill.jar
USER 10001:10001
EXPOSE 8080 8558 25520
# Java 25 with G1 named (the JVM picks the serial collector below 2 CPUs or 1792 MiB): the best edge
# figures of the runtimes compared in docs/benchmarks.md; k8s's ConfigMap sets the same and may override
ENV JAVA_TOOL_OPTIONS="-XX:+UseG1GC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
# exec form, so SIGTERM reaches the JVM
ENTRYPOINT ["java", "-jar", "/app/seckill.jar"]
