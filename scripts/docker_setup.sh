#!/usr/bin/env bash
# Make the Docker sandbox usable on this machine (CI and fresh dev boxes). Idempotent.
#   1. install docker.io + debootstrap with apt if missing;
#   2. start dockerd in the background if no engine answers, and wait for it;
#   3. build the sandbox image offline (`rlvr sandbox build --offline`: debootstrap from the
#      apt mirror this machine is configured with + docker import; no container registry),
#      skipped when the image already exists.
# Needs root (or sudo) for steps 1-3. Timing on a 2-core VM: engine start ~2 s; first image
# build ~1-3 min (debootstrap of python3); later runs ~1 s (image present).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PY=${PYTHON:-python3}
IMAGE=${RLVR_SANDBOX_IMAGE:-rlvr-sandbox:latest}
t0=$(date +%s)

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)  # the image may ship a docker CLI without the engine
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "[docker_setup] apt-get install ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    echo "[docker_setup] starting dockerd (log: /tmp/dockerd.log)"
    $SUDO sh -c 'nohup dockerd > /tmp/dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    echo "[docker_setup] ERROR: the Docker engine did not come up; last lines of /tmp/dockerd.log:" >&2
    tail -n 20 /tmp/dockerd.log >&2 || true
    exit 1
  fi
fi
echo "[docker_setup] engine $(docker version --format '{{.Server.Version}}') up after $(( $(date +%s) - t0 ))s"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[docker_setup] image $IMAGE present"
else
  echo "[docker_setup] building $IMAGE offline"
  if command -v rlvr >/dev/null 2>&1; then
    $SUDO "$(command -v rlvr)" sandbox build --offline --tag "$IMAGE"  # full path: sudo resets PATH (venv)
  else
    $SUDO "$PY" -m rlvr.sandbox.cli build --offline --tag "$IMAGE"
  fi
fi
echo "[docker_setup] done in $(( $(date +%s) - t0 ))s"
