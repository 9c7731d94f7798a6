# Tomcat's own hook for JVM options (catalina.sh sources bin/setenv.sh): the Duplex deployment's
# JVM settings. docker-compose.yml mounts this file as bin/setenv.sh; the run command
# (mvn package cargo:run, pom.xml's cargo.jvmargs), the deployment tests (duplex.deploy.TomcatDistribution)
# and the benchmark's duplex-tomcat target add the same options, and DockerComposeTest checks that
# pom.xml has each of them. One option per line, each in a line of exactly this form.
#
# Measured with 10000 idle browser-like connections in docs/BENCHMARKS.md, "Idle connections
# (issue 16)".

# Tomcat's per-connection WebSocket buffers (a frame's input, the output, the encoded text), 8 KiB
# each by default: 24 KiB of heap for every open connection, idle or not. Larger frames and
# messages are read and written in parts of this size; text messages go out as fragments of it.
CATALINA_OPTS="$CATALINA_OPTS -Dorg.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE=2048"
# After a full collection G1 gives back to the system what it holds beyond 20 % free (stock: 70 %):
# the heap it grew into while thousands of connections opened does not stay resident for good.
CATALINA_OPTS="$CATALINA_OPTS -XX:MaxHeapFreeRatio=20"
CATALINA_OPTS="$CATALINA_OPTS -XX:MinHeapFreeRatio=10"
