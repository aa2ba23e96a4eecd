#!/usr/bin/env bash
# Runs the Flink twins of Rill's benchmark workloads on Apache Flink 2.3 (the jars of the
# PyPI package apache-flink, installed into a venv on first use, about 2 minutes; needs
# java 17): the four reference workloads stateless, keyed-sum, wordcount and window-alert
# (Reference.java), sliding-alert (SlidingBench.java), json-alert (JsonAlert.java), and
# keyed-sum-checkpointed (KeyedSumCheckpointed.java: keyed-sum with a checkpoint every
# CHECKPOINT_MS, hashmap state backend). Prints the RESULT line that Rill's `bench` prints.
# usage: examples/flink/run.sh WORKLOAD N [PARALLELISM] [KEYS] [CHECKPOINT_MS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
case "${1:-}" in
  stateless|keyed-sum|wordcount|window-alert) class=Reference ;;
  sliding-alert) class=SlidingBench ;;
  json-alert) class=JsonAlert ;;
  keyed-sum-checkpointed) class=KeyedSumCheckpointed ;;
  *) echo "usage: examples/flink/run.sh stateless|keyed-sum|wordcount|window-alert|sliding-alert|json-alert|keyed-sum-checkpointed N [PARALLELISM] [KEYS] [CHECKPOINT_MS]" >&2; exit 2 ;;
esac
# Reference.java takes the workload's name; the others are one workload each.
[ "$class" = Reference ] || shift
venv="${FLINK_VENV:-/tmp/flinkenv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; "$venv/bin/pip" -q install apache-flink; fi
lib="$("$venv/bin/python" -c 'import pyflink,os;print(os.path.join(os.path.dirname(pyflink.__file__),"lib"))')"
out="${FLINK_TWINS_BUILD:-/tmp/rill-flink-twins-classes}"
if [ ! -f "$out/$class.class" ] || [ "$here/$class.java" -nt "$out/$class.class" ]; then
  mkdir -p "$out"; javac -nowarn -cp "$lib/*" -d "$out" "$here/$class.java"
fi
exec java -Xmx4g --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
  -Dlog4j2.level=WARN -cp "$out:$lib/*" "$class" "$@"
