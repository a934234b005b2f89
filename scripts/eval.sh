#!/usr/bin/env bash
# `make eval`: with no API key, a small real evaluation through Docker with the mock model;
# with OPENAI_API_KEY and MODEL set, the same grid against that model.
set -euo pipefail
BIN=.venv/bin
if ! $BIN/harness eval --help >/dev/null 2>&1; then
  echo "eval: the evaluation runner is not built yet; running the sandbox smoke instead" >&2
  $BIN/harness exec examples/parity.py --inputs examples/bits.txt
  exit 0
fi
MODEL="${MODEL:-mock}"
if [ "$MODEL" != "mock" ] && [ -z "${OPENAI_API_KEY:-}" ]; then
  echo "error: MODEL=$MODEL needs OPENAI_API_KEY" >&2
  exit 2
fi
$BIN/harness eval erm --model "$MODEL" --functions fn_a fn_c fn_g fn_h fn_i fn_l \
  --lengths 20 40 --attempts 2 --num-trials 1 --test-size 1000
