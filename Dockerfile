# One image, both roles: `jdd agent ...` or `jdd router ...`.
# Build after `mvn -B package` (no network needed beyond the base image):
#   docker build -t jdd:dev .
# The base is a build argument so that an image imported from local files can stand in for it.
ARG BASE_IMAGE=eclipse-temurin:25-jre
FROM ${BASE_IMAGE}

# Small heap, young generation and stacks, serial GC, C1 only and only for methods called 10 times as often as by
# default (less compiled code and compiler memory), native heap trimming: measured by bench/agent-footprint.sh.
# IgnoreUnrecognizedVMOptions keeps a JDK 21 base (no TrimNativeHeapInterval) working.
ENV JDD_DEFAULT_JAVA_OPTS="-XX:+IgnoreUnrecognizedVMOptions -XX:+UseSerialGC -Xms8m -Xmx64m -Xmn2m -Xss256k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=16m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:CompileThresholdScaling=10 -Xshare:auto -XX:TrimNativeHeapInterval=2000 -XX:+ExitOnOutOfMemoryError"

COPY agent/target/libs/ /opt/jdd/libs/
COPY router/target/libs/ /opt/jdd/libs/
COPY agent/target/jdd-agent.jar router/target/jdd-router.jar /opt/jdd/
COPY scripts/craw.sh /opt/jdd/craw.sh
COPY dist/jdd /usr/local/bin/jdd

# AppCDS: one training run of the agent (dist/train-agent.sh: start, one /health, stop) archives the classes it loads
# at start (-XX:ArchiveClassesAtExit), and `jdd agent` maps them from /opt/jdd/jdd-agent.jsa: ready about twice as
# fast, and 1 MiB less RSS idle and after a capture (bench/agent-footprint.sh runs the same script). Offline: the run
# finds no CRI socket and no engine, but creates its Docker client all the same. A base without the JDK's own CDS
# archive (a jlinked runtime) gets one first, since the agent's archive builds on it. If any of this fails, the image
# still works, only without the archive.
# JAVA_HOME: a build argument only for a base whose java is not on PATH (the tests' base); a base's own ENV wins.
ARG JAVA_HOME
COPY dist/train-agent.sh /opt/jdd/train-agent.sh
RUN java="${JAVA_HOME:+$JAVA_HOME/bin/}java"; \
    "$java" -Xshare:on -version >/dev/null 2>&1 || "$java" -Xshare:dump >/dev/null 2>&1 || true; \
    JAVA_FLAGS="$JDD_DEFAULT_JAVA_OPTS" timeout 60 sh /opt/jdd/train-agent.sh "$java" /opt/jdd/jdd-agent.jar /opt/jdd/jdd-agent.jsa \
      || true

# The router runs as this user; the agent DaemonSet runs as root because the runtime socket is root's.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/jdd"]
CMD ["router"]
