#!/usr/bin/env bash
# Set up a machine to run rlvr's whole test suite: Python deps into the active virtual environment
# (torch pinned and installed first, CPU build where one is reachable), the Docker engine and the
# offline sandbox image. Idempotent: safe to re-run.
#
# Run it inside a virtual environment (README: `python3 -m venv .venv && . .venv/bin/activate`):
# Debian/Ubuntu's system Python refuses `pip install` outside one (PEP 668).
#
# Environment:
#   PYTHON           interpreter to install into (default: python3, i.e. the venv's once activated)
#   TORCH_INDEX_URL  index to take torch from, e.g. PyTorch's CPU-only wheel index on a machine
#                    without a GPU (the "CPU" --index-url of PyTorch's install selector), or one of
#                    its CUDA indexes for a specific CUDA version
#   RLVR_TORCH       torch requirement (default torch==2.13.0); "skip" keeps the torch you have
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
TORCH_REQ=${RLVR_TORCH:-torch==2.13.0}
pip_install() { "$PY" -m pip install -q "$@"; }

if [ -z "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ] && [ "${CI:-}" != "true" ]; then
  echo "[setup] note: no virtual environment is active; on Debian/Ubuntu pip refuses system installs" \
       "(PEP 668). Run: python3 -m venv .venv && . .venv/bin/activate" >&2
fi

echo "[setup] python deps ($("$PY" -c 'import sys; print(sys.prefix)'))"
# torch first and pinned: resolving it as a dependency of trl would pick the newest release, and
# on Linux the public index's default build is the CUDA one (GBs of nvidia-* wheels).
if [ "$TORCH_REQ" = "skip" ]; then
  have=$("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null) \
    || { echo "[setup] RLVR_TORCH=skip but this environment has no torch: install one first" >&2; exit 1; }
  echo "[setup] RLVR_TORCH=skip: keeping torch $have"
  TORCH_REQ=torch
elif [ -n "${TORCH_INDEX_URL:-}" ]; then
  pip_install "$TORCH_REQ" --index-url "$TORCH_INDEX_URL"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  pip_install "$TORCH_REQ"                       # a GPU: the default (CUDA) build is the right one
elif pip_install "${TORCH_REQ}+cpu" 2>/dev/null; then
  :                                              # a CPU build is reachable (local wheel, CPU index)
else
  echo "[setup] no GPU and no CPU build of $TORCH_REQ reachable: installing the default build" \
       "(works on CPU, but large). To avoid that, set TORCH_INDEX_URL to PyTorch's CPU wheel index." >&2
  pip_install "$TORCH_REQ"
fi
# The same requirement again, so resolving the extras keeps the torch installed above.
pip_install -e ".[dev,trl,lang,io,ray]" "$TORCH_REQ"
# rlvr serve (extra "serve": Starlette + uvicorn), and OpenRLHF's own reward-request code for tests/test_adapters_openrlhf.py:
# its import surface only (--no-deps: the full install pins vllm/deepspeed/ray), plus aiohttp and pylatexenc, which that code imports.
pip_install -e ".[serve]" "$TORCH_REQ" && pip_install --no-deps "openrlhf==0.11.2" && pip_install "aiohttp>=3.9" pylatexenc
# veRL 0.9.1 for tests/test_adapters_verl_package.py: --no-deps (its full install pins wandb/tensorboard/torchdata and an
# older transformers) plus what its reward code imports. veRL's hydra-core/omegaconf pin antlr4-python3-runtime 4.9, which
# breaks latex2sympy2_extended's LaTeX parsing (it needs 4.13): those go into build/verl-site, which only the veRL tests'
# subprocess puts on its path; the rest of the "verl" extra (ray, tensordict, ...) goes in here. ~20 s.
pip_install "ray>=2.41" "tensordict>=0.8,!=0.9.0,<=0.10.0" codetiming dill psutil "$TORCH_REQ"
pip_install --no-deps --upgrade --target build/verl-site "verl==0.9.1" "hydra-core==1.3.8" "omegaconf==2.3.1" \
  "antlr4-python3-runtime==4.9.3"
# TRL version matrix for tests/test_adapters_trl_versions.py: two venvs under build/trl-venvs/ (no system site packages),
# one with the oldest TRL rlvr claims (0.22.0) and one with the newest Unsloth allows (1.15.0); same torch as here.
# ~3 min the first time (both built in parallel), a no-op while their requirements are unchanged.
"$PY" tests/test_adapters_trl_versions.py --prepare

echo "[setup] docker engine + sandbox image"
bash scripts/docker_setup.sh
echo "[setup] done"
