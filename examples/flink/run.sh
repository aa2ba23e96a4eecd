#!/usr/bin/env bash
# Runs the project's own Flink twins of its extra workloads on Apache Flink 2.3, as
# ../../../shared/bench/flink/run.sh runs the reference workloads (the jars of the PyPI
# package apache-flink; needs java 17): sliding-alert (SlidingBench.java), json-alert
# (JsonAlert.java). Prints the same RESULT line.
# usage: examples/flink/run.sh WORKLOAD N [PARALLELISM] [KEYS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "${1:-}" in
  sliding-alert) class=SlidingBench ;;
  json-alert) class=JsonAlert ;;
  *) echo "usage: examples/flink/run.sh sliding-alert|json-alert N [PARALLELISM] [KEYS]" >&2; exit 2 ;;
esac
shift
venv="${FLINK_VENV:-/tmp/flinkenv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; "$venv/bin/pip" -q install apache-flink; fi
lib="$("$venv/bin/python" -c 'import pyflink,os;print(os.path.join(os.path.dirname(pyflink.__file__),"lib"))')"
out="${FLINK_TWINS_BUILD:-/tmp/rill-flink-twins-classes}"
if [ ! -f "$out/$class.class" ] || [ "$here/$class.java" -nt "$out/$class.class" ]; then
  mkdir -p "$out"; javac -nowarn -cp "$lib/*" -d "$out" "$here/$class.java"
fi
exec java -Xmx4g --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
  -Dlog4j2.level=WARN -cp "$out:$lib/*" "$class" "$@"
