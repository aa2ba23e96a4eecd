#!/usr/bin/env bash
# Runs WindowSemantics.java on Apache Flink 2.3 (the jars of the PyPI package apache-flink,
# as examples/flink/run.sh does) and writes what it prints to expected.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${FLINK_VENV:-/tmp/flinkenv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; "$venv/bin/pip" -q install apache-flink; fi
lib="$("$venv/bin/python" -c 'import pyflink,os;print(os.path.join(os.path.dirname(pyflink.__file__),"lib"))')"
out="$(mktemp -d)"
javac -nowarn -cp "$lib/*" -d "$out" "$here/WindowSemantics.java"
java --add-opens java.base/java.util=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED -Dlog4j2.level=WARN \
  -cp "$out:$lib/*" WindowSemantics 2>/dev/null | grep -E '^[a-z-]+> ' > "$here/expected.txt"
cat "$here/expected.txt"
