#!/usr/bin/env bash
# `make eval`: a small real evaluation through Docker.
# - No MODEL (or MODEL=mock): the built-in mock model on loopback, no API key needed, with the
#   noisy mix (correct programs ~30% of the time, plus wrong, broken, slow, hard-coded and hostile
#   ones), 4 attempts with early stop, so most grid points end at 1.0 and every error kind shows.
# - MODEL=<real model> with OPENAI_API_KEY (or TAMU_API_KEY): the same grid against that model
#   (API_MODE / API_BASE_URL are honoured, as in the seed tools).
# - Then, with the mock, a small ARC evaluation: arc-agi-1 `shortest_training_10`, 4 independent
#   attempts per task, the mock's `arc` mix (generic programs plus wrong, broken, hard-coded and
#   hostile ones), votes and the official pass@2 score (ARC=0 skips it).
# Extra flags: EVAL_ARGS="--concurrency 8 ..." (ERM), ARC_EVAL_ARGS="..." (ARC). Prints the
# summary tables and the run directories.
set -euo pipefail
BIN=.venv/bin
MODEL="${MODEL:-mock}"
GRID=(--functions fn_a fn_c fn_g fn_h fn_i fn_l --lengths 20 40 --num-trials 1 --test-size 1000)
# shellcheck disable=SC2206
EXTRA=(${EVAL_ARGS:-})
# shellcheck disable=SC2206
ARC_EXTRA=(${ARC_EVAL_ARGS:-})
case "$MODEL" in
  mock*)
    $BIN/harness eval erm --model "$MODEL" --mock-policy noisy --mock-seed "${MOCK_SEED:-7}" \
      --attempts 4 "${GRID[@]}" "${EXTRA[@]}"
    if [ "${ARC:-1}" != "0" ]; then
      exec $BIN/harness eval arc --model "$MODEL" --mock-policy arc --mock-seed "${MOCK_SEED:-7}" \
        --dataset arc-agi-1 --subset shortest_training_10 --attempts 4 "${ARC_EXTRA[@]}"
    fi
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
