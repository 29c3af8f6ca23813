"""The TRL adapter tests (tests/test_adapters_trl.py, tests/test_adapters_unsloth.py: real GRPO/RLOO
steps on a tiny local model) on the TRL versions rlvr claims besides the newest one, each in its own
virtual environment without system site packages:

* ``oldest``: the floor of the ``trl`` extra (``trl>=0.22``, ``transformers>=4.56``);
* ``unsloth``: the newest TRL/transformers Unsloth allows (unsloth 2026.10.9 ``Requires-Dist``:
  ``trl>=0.18.2,!=0.19.0,<=1.15.0``, ``transformers<=5.17.0``, ``datasets<5``).

The newest TRL is the one the main test environment resolves ``rlvr[trl]`` to, so the same test
files running there cover the upper bound.

The environments live under ``build/trl-venvs/<name>`` and are rebuilt only when their
requirements (or rlvr's own dependencies) change. ``scripts/setup_dev.sh`` prepares them with
``python tests/test_adapters_trl_versions.py --prepare``; the test prepares a missing one itself.
torch is the build the running interpreter has (e.g. ``2.13.0+cpu``), taken from the same place
(``TORCH_INDEX_URL`` when set).

TRL 1.15 computes log-probabilities with Triton kernels unconditionally (1.16 falls back to
torch on CPU), so the ``unsloth`` environment installs ``triton`` and runs with
``TRITON_INTERPRET=1``: TRL's own kernels run through Triton's interpreter on CPU. On a GPU box,
as under Unsloth, they run compiled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / "build" / "trl-venvs"
TESTS = ["tests/test_adapters_trl.py", "tests/test_adapters_unsloth.py"]


@dataclass(frozen=True)
class TrlEnv:
    """One pinned TRL environment."""

    trl: str
    transformers: str
    extra: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def requirements(self) -> list[str]:
        return [f"trl=={self.trl}", f"transformers=={self.transformers}", *self.extra]


ENVS: dict[str, TrlEnv] = {
    # the floor pyproject's `trl` extra and the docs claim
    "oldest": TrlEnv("0.22.0", "4.56.0", ("datasets>=2.18", "peft>=0.12", "accelerate>=1.0")),
    # the newest TRL / transformers the newest Unsloth release accepts (its package metadata)
    "unsloth": TrlEnv(
        "1.15.0", "5.17.0",
        ("datasets>=3.4.1,<5,!=4.0.*,!=4.1.0,!=4.4.*,!=4.5.0", "peft>=0.18", "accelerate>=1.0", "triton==3.9.0"),
        {"TRITON_INTERPRET": "1"},
    ),
}


def _torch_requirement() -> str:
    try:
        return f"torch=={metadata.version('torch')}"
    except metadata.PackageNotFoundError:
        return os.environ.get("RLVR_TORCH", "torch==2.13.0")


def _rlvr_dependencies() -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _stamp(spec: TrlEnv) -> str:
    key = json.dumps([_torch_requirement(), spec.requirements(), _rlvr_dependencies(), sys.version_info[:2]])
    return hashlib.sha256(key.encode()).hexdigest()


_EDITABLE_INSTALL = threading.Lock()  # two editable installs of one tree at once would race on its egg-info


def venv_python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def is_ready(name: str) -> bool:
    stamp = VENVS / name / "rlvr-stamp"
    return venv_python(name).exists() and stamp.exists() and stamp.read_text() == _stamp(ENVS[name])


def prepare(name: str) -> None:
    """Build ``build/trl-venvs/<name>`` unless it is up to date. Raises CalledProcessError on failure."""
    if is_ready(name):
        return
    spec, directory = ENVS[name], VENVS / name
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(directory)], check=True)
    pip = [str(venv_python(name)), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    torch = _torch_requirement()
    index = os.environ.get("TORCH_INDEX_URL")
    subprocess.run([*pip, torch, *(["--index-url", index] if index else [])], check=True)
    # torch again so resolving the rest keeps it
    subprocess.run([*pip, "pytest>=8", torch, *_rlvr_dependencies(), *spec.requirements()], check=True)
    with _EDITABLE_INSTALL:  # rlvr editable: the tests run the working tree
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    (directory / "rlvr-stamp").write_text(_stamp(spec))


def prepare_all() -> None:
    """Prepare every environment, two at a time (pip is mostly waiting on I/O and unpacking)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(prepare, name) for name in ENVS]:
            future.result()


def _run_in(name: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})
    env.update(ENVS[name].env)
    return subprocess.run([str(venv_python(name)), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(params=sorted(ENVS))
def trl_venv(request) -> str:
    name = request.param
    try:
        prepare(name)
    except (subprocess.CalledProcessError, OSError) as exc:  # no package index reachable, ...
        if os.environ.get("CI"):
            raise
        pytest.skip(f"could not build the {name} TRL environment ({exc}); CI builds it")
    return name


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version.split("+")[0])[:3])


@pytest.mark.trl
def test_main_environment_covers_a_newer_trl_than_the_pinned_ones():
    """The upper bound is the main environment's TRL (the newest ``rlvr[trl]`` resolves to): it must
    be newer than every pinned one here, or nothing tests above Unsloth's cap."""
    pytest.importorskip("trl")
    newest = _release(metadata.version("trl"))
    assert all(newest > _release(spec.trl) for spec in ENVS.values()), (newest, ENVS)
    # the oldest environment is exactly the floor of pyproject's `trl` extra
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["trl"]
    floors = dict(re.fullmatch(r"([\w-]+)>=([\d.]+)", req).groups() for req in extra if ">=" in req)
    assert _release(floors["trl"]) == _release(ENVS["oldest"].trl)[:len(_release(floors["trl"]))]
    assert _release(floors["transformers"]) == _release(ENVS["oldest"].transformers)[:2]
    assert _release(ENVS["oldest"].trl)[2:] == (0,) and _release(ENVS["oldest"].transformers)[2:] == (0,)


@pytest.mark.trl
@pytest.mark.slow
def test_trl_adapter_suite_passes_on_pinned_trl(trl_venv):
    spec = ENVS[trl_venv]
    probe = _run_in(trl_venv, "-c", "import sys, rlvr; from importlib.metadata import version as v; "
                    "print(v('trl'), v('transformers'), rlvr.__file__, "
                    "any('site-packages' in p and not p.startswith(sys.prefix) for p in sys.path))", timeout=120)
    assert probe.returncode == 0, probe.stderr
    trl, transformers, rlvr_file, leaks = probe.stdout.split()
    assert (trl, transformers) == (spec.trl, spec.transformers)
    assert Path(rlvr_file).resolve().is_relative_to(ROOT / "src")  # the working tree, not a copy
    assert leaks == "False"  # no site-packages of the outer environment on the path

    result = _run_in(trl_venv, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *TESTS, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    summary = output.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 30, summary
    assert not re.search(r"skipped|failed|error|deselected", summary), summary


if __name__ == "__main__":
    if sys.argv[1:] != ["--prepare"]:
        sys.exit("usage: python tests/test_adapters_trl_versions.py --prepare")
    prepare_all()
    print(f"[setup] TRL test environments ready: {', '.join(f'{n} (trl {s.trl})' for n, s in ENVS.items())}")
