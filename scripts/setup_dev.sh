#!/usr/bin/env bash
# Set up a fresh machine to run rlvr's whole test suite: Python deps (CPU torch pinned, so the
# TRL extra does not drag in CUDA wheels), the Docker engine and the offline sandbox image.
# Idempotent: safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
echo "[setup] python deps"
# torch first and pinned: anything that resolves torch from scratch pulls GBs of CUDA packages.
"$PY" -m pip install -q "torch==2.13.0"
"$PY" -m pip install -q -e ".[dev,trl,lang]" "torch==2.13.0"

echo "[setup] docker engine + sandbox image"
bash scripts/docker_setup.sh
echo "[setup] done"
