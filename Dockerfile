# One image, both roles: `jdd agent ...` or `jdd router ...`.
# Build after `mvn -B package` (no network needed beyond the base image):
#   docker build -t jdd:dev .
# The base is a build argument so that an image imported from local files can stand in for it.
ARG BASE_IMAGE=eclipse-temurin:25-jre
FROM ${BASE_IMAGE}

# Small heap, young generation and stacks, serial GC, C1 only, native heap trimming: measured by
# bench/agent-footprint.sh. IgnoreUnrecognizedVMOptions keeps a JDK 21 base (no TrimNativeHeapInterval) working.
ENV JDD_DEFAULT_JAVA_OPTS="-XX:+IgnoreUnrecognizedVMOptions -XX:+UseSerialGC -Xms8m -Xmx64m -Xmn2m -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Xshare:auto -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError"

COPY agent/target/libs/ /opt/jdd/libs/
COPY router/target/libs/ /opt/jdd/libs/
COPY agent/target/jdd-agent.jar router/target/jdd-router.jar /opt/jdd/
COPY scripts/craw.sh /opt/jdd/craw.sh
COPY dist/jdd /usr/local/bin/jdd

# The router runs as this user; the agent DaemonSet runs as root because the runtime socket is root's.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/jdd"]
CMD ["router"]
