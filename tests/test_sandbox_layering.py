"""The sandbox is an isolation layer, not a judge (issue 14 item 5): it imports nothing from
``rlvr.verifiers`` or ``rlvr.rewards`` and reports raw results."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import rlvr.sandbox

SANDBOX_DIR = Path(rlvr.sandbox.__file__).parent
FORBIDDEN = ("rlvr.verifiers", "rlvr.rewards", "rlvr.adapters", "rlvr.scoring")


def _imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_sandbox_module_imports_judging_code():
    files = sorted(SANDBOX_DIR.rglob("*.py"))
    assert len(files) >= 8, files
    bad = {f"{p.relative_to(SANDBOX_DIR)}: {m}" for p in files for m in _imported_modules(p)
           if m.startswith(FORBIDDEN)}
    assert not bad, f"the sandbox imports judging code: {sorted(bad)}"


def test_loading_every_sandbox_module_loads_no_judging_code():
    probe = ("import sys\nimport rlvr.sandbox, rlvr.sandbox.backend, rlvr.sandbox.local_backend, "
             "rlvr.sandbox.docker_backend, rlvr.sandbox.cli, rlvr.sandbox.results\n"
             f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_results_hold_no_verdicts():
    from rlvr.sandbox.results import RUN_STATUSES, RunResult

    assert "passed" not in RUN_STATUSES and "wrong_answer" not in RUN_STATUSES
    assert not hasattr(RunResult(0, "completed"), "passed")
