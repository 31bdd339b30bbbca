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

# AppCDS: one training run of the agent archives the classes it loads at start (-XX:ArchiveClassesAtExit), and
# `jdd agent` maps them from /opt/jdd/jdd-agent.jsa: ready about twice as fast, and 1 MiB less idle RSS with the
# docker runtime (bench/agent-footprint.sh). Offline: the run finds no engine, is stopped by `timeout` after 8 s
# and archives on exit. A base without the JDK's own CDS archive (a jlinked runtime) gets one first, since the
# agent's archive builds on it. If any of this fails, the image still works, only without the archive.
# JAVA_HOME: a build argument only for a base whose java is not on PATH (the tests' base); a base's own ENV wins.
ARG JAVA_HOME
RUN java="${JAVA_HOME:+$JAVA_HOME/bin/}java"; \
    "$java" -Xshare:on -version >/dev/null 2>&1 || "$java" -Xshare:dump >/dev/null 2>&1 || true; \
    timeout 8 "$java" $JDD_DEFAULT_JAVA_OPTS -XX:ArchiveClassesAtExit=/opt/jdd/jdd-agent.jsa -jar /opt/jdd/jdd-agent.jar \
      --insecure --bind=127.0.0.1 --port=0 --dump-dir=/tmp/jdd-training >/dev/null 2>&1; \
    rm -rf /tmp/jdd-training; \
    if [ -f /opt/jdd/jdd-agent.jsa ]; then echo "AppCDS archive: /opt/jdd/jdd-agent.jsa"; else echo "no AppCDS archive"; fi

# The router runs as this user; the agent DaemonSet runs as root because the runtime socket is root's.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/jdd"]
CMD ["router"]
