#!/usr/bin/env bash
# One entry point for people and CI:
#   bash run.sh                 set up, ingest corpus/, start the chat UI on http://127.0.0.1:7860
#   bash run.sh ask "QUESTION"  set up, ingest corpus/, answer one question
#   bash run.sh test            set up (with test extras and Debian chromium), run every test tier
set -euo pipefail
cd "$(dirname "$0")"
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"

setup() {
  if [ ! -x "$PY" ]; then python3 -m venv "$VENV"; fi
  # torch first, pinned: the CPU build is on local disk; a bare `torch` requirement pulls multi-GB CUDA.
  "$PY" -m pip install -q --disable-pip-version-check torch==2.13.0
  "$PY" -m pip install -q --disable-pip-version-check -e ".[$1]"
}

browser() {
  if [ ! -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q && apt-get install -y -q chromium
  fi
}

cmd="${1:-serve}"
case "$cmd" in
  serve)
    setup llm
    "$VENV/bin/assistant" ingest --no-progress corpus/ || [ $? -eq 3 ]
    exec "$VENV/bin/assistant" serve "${@:2}" ;;
  ask)
    setup llm
    "$VENV/bin/assistant" ingest --no-progress corpus/ >/dev/null || [ $? -eq 3 ]
    exec "$VENV/bin/assistant" ask "${@:2}" ;;
  test)
    setup dev
    browser
    exec "$PY" -m pytest -m "slow or not slow" -p no:cacheprovider "${@:2}" ;;
  *)
    echo "usage: bash run.sh [serve|ask QUESTION|test]" >&2; exit 2 ;;
esac
