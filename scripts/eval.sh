#!/usr/bin/env bash
# `make eval`: a small real evaluation through Docker.
# - No MODEL (or MODEL=mock): the built-in mock model on loopback, no API key needed, with the
#   noisy mix (correct programs ~30% of the time, plus wrong, broken, slow, hard-coded and hostile
#   ones), 4 attempts with early stop, so most grid points end at 1.0 and every error kind shows.
# - MODEL=<real model> with OPENAI_API_KEY (or TAMU_API_KEY): the same grid against that model
#   (API_MODE / API_BASE_URL are honoured, as in the seed tools).
# Extra flags: EVAL_ARGS="--concurrency 8 ...". Prints the summary table and the run directory.
set -euo pipefail
BIN=.venv/bin
MODEL="${MODEL:-mock}"
GRID=(--functions fn_a fn_c fn_g fn_h fn_i fn_l --lengths 20 40 --num-trials 1 --test-size 1000)
# shellcheck disable=SC2206
EXTRA=(${EVAL_ARGS:-})
case "$MODEL" in
  mock*)
    exec $BIN/harness eval erm --model "$MODEL" --mock-policy noisy --mock-seed "${MOCK_SEED:-7}" \
      --attempts 4 "${GRID[@]}" "${EXTRA[@]}"
    ;;
  *)
    if [ -z "${OPENAI_API_KEY:-}" ] && [ -z "${TAMU_API_KEY:-}" ]; then
      echo "error: MODEL=$MODEL needs OPENAI_API_KEY (or TAMU_API_KEY); unset MODEL for the mock" >&2
      exit 2
    fi
    exec $BIN/harness eval erm --model "$MODEL" --attempts "${ATTEMPTS:-2}" "${GRID[@]}" \
      "${EXTRA[@]}"
    ;;
esac
