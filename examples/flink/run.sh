#!/usr/bin/env bash
# Runs SlidingBench.java on Apache Flink 2.3, as ../../../shared/bench/flink/run.sh runs the
# reference workloads (the jars of the PyPI package apache-flink; needs java 17).
# usage: examples/flink/run.sh N [PARALLELISM] [KEYS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${FLINK_VENV:-/tmp/flinkenv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; "$venv/bin/pip" -q install apache-flink; fi
lib="$("$venv/bin/python" -c 'import pyflink,os;print(os.path.join(os.path.dirname(pyflink.__file__),"lib"))')"
out="${FLINK_SLIDING_BUILD:-/tmp/rill-flink-sliding-classes}"
if [ ! -f "$out/SlidingBench.class" ] || [ "$here/SlidingBench.java" -nt "$out/SlidingBench.class" ]; then
  mkdir -p "$out"; javac -nowarn -cp "$lib/*" -d "$out" "$here/SlidingBench.java"
fi
exec java -Xmx4g --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
  -Dlog4j2.level=WARN -cp "$out:$lib/*" SlidingBench "$@"
