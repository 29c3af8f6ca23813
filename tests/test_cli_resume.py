"""`rlvr score --resume`: a run killed with SIGKILL mid-way and resumed gives exactly the
rows of an uninterrupted run; torn lines and incomplete groups are cut and rescored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_cli import PLUGIN, plugin_dir, read_jsonl, rlvr_command, write_jsonl  # noqa: F401  (fixture)

from rlvr.cli import main


def make_rows(n: int, sleep_ms: float | None) -> list:
    rows: list = []
    for i in range(n):
        extra = {"sleep_ms": sleep_ms} if sleep_ms else {}
        if i % 41 == 7:
            rows.append('{"id": "broken", ')
        elif i % 9 == 0:
            rows.append({"id": f"g{i}", "completions": [str(i), "no", str(i), "x" * (i % 5)], "solution": str(i), **extra})
        else:
            rows.append({"id": f"r{i}", "completion": str(i) if i % 4 else "nope", "solution": str(i), **extra})
    return rows


REWARDS = ["--plugin", PLUGIN, "-r", "cli_test_exact", "-r", "cli_test_len=0.5"]


def reference(tmp_path: Path, n: int) -> tuple[bytes, dict]:
    src = write_jsonl(tmp_path / "ref_in.jsonl", make_rows(n, None))
    out, summary = tmp_path / "ref_out.jsonl", tmp_path / "ref_summary.json"
    assert main(["score", str(src), *REWARDS, "-o", str(out), "--summary-json", str(summary), "-q"]) == 1
    return out.read_bytes(), json.loads(summary.read_text())


def close(a, b) -> bool:
    """Equal, with floats compared to 1e-9 (sums are added up in another order after a resume)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b


def same_stats(a: dict, b: dict) -> None:
    for key in ("lines", "rows", "malformed_lines", "failed_rows", "rewards", "total", "groups"):
        assert close(a[key], b[key]), (key, a[key], b[key])


def test_sigkill_mid_run_then_resume_matches_uninterrupted_run(plugin_dir, tmp_path):
    n = 600
    expected, expected_summary = reference(tmp_path, n)
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(n, sleep_ms=3))  # ~3 s of work in total
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, PYTHONPATH=str(plugin_dir))
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--chunk-size", "8", "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 150:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = out.read_bytes()
    assert 0 < len(partial) < len(expected) and expected.startswith(partial[: partial.rfind(b"\n") + 1])

    summary = tmp_path / "summary.json"
    resumed = subprocess.run(cmd[:-1] + ["--resume", "--summary-json", str(summary)], env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 1, resumed.stderr  # the input holds malformed lines
    assert out.read_bytes() == expected
    s = json.loads(summary.read_text())
    assert s["resumed_lines"] > 0 and s["new_rows"] < s["rows"]
    same_stats(s, expected_summary)


@pytest.mark.parametrize("cut", ["torn_line", "mid_group", "line_boundary", "empty", "complete"])
def test_resume_cuts_torn_lines_and_incomplete_groups(plugin_dir, tmp_path, cut):
    expected, expected_summary = reference(tmp_path, 120)
    lines = expected.splitlines(keepends=True)
    group_rows = [i for i, line in enumerate(lines) if json.loads(line).get("index") == 2]
    if cut == "torn_line":
        data = b"".join(lines[:50]) + lines[50][:17]
    elif cut == "mid_group":
        data = b"".join(lines[: group_rows[3] + 1])  # rows 0..2 of a 4-row group
    elif cut == "line_boundary":
        data = b"".join(lines[:33])
    elif cut == "empty":
        data = b""
    else:
        data = expected
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(120, None))
    out = tmp_path / "out.jsonl"
    out.write_bytes(data)
    summary = tmp_path / "s.json"
    assert main(["score", str(src), *REWARDS, "-o", str(out), "--resume", "--summary-json", str(summary), "-q"]) == 1
    assert out.read_bytes() == expected
    s = json.loads(summary.read_text())
    same_stats(s, expected_summary)
    if cut == "complete":
        assert s["new_rows"] == 0


def test_resume_refusals(plugin_dir, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "1", "solution": "1"}] * 3)
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), *REWARDS, "-o", str(out), "-q"]) == 0
    before = out.read_bytes()
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "-o", str(out), "--resume"]) == 2
    assert "was scored with rewards" in capsys.readouterr().err and out.read_bytes() == before
    other = tmp_path / "notes.jsonl"
    other.write_text("hello\nworld\n")
    assert main(["score", str(src), *REWARDS, "-o", str(other), "--resume"]) == 2
    assert "not an rlvr score row" in capsys.readouterr().err and other.read_text() == "hello\nworld\n"
    assert main(["score", str(src), *REWARDS, "--resume"]) == 2  # stdout cannot be resumed
    fresh = tmp_path / "fresh.jsonl"
    assert main(["score", str(src), *REWARDS, "-o", str(fresh), "--resume", "-q"]) == 0  # nothing to resume: a fresh run
    assert fresh.read_bytes() == before
