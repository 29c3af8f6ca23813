"""Ctrl-C on `rlvr score` with 2 workers (the installed command, a real subprocess): every
interrupt (one SIGINT, or two 2 ms apart; to the main process or to the whole process group, as
a terminal does) ends the run within 2 s with exit code 130, one line on stderr and no worker
tracebacks, and leaves an output that `--resume` continues until it equals an uninterrupted run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_cli import plugin_dir, rlvr_command, write_jsonl  # noqa: F401  (fixture)
from test_cli_resume import REWARDS, make_rows, reference

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")

ROWS = 1500
INTERRUPTS = 14
EXIT_LIMIT_S = 2.0


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _interrupt(proc: subprocess.Popen, double: bool, group: bool) -> float:
    """Send SIGINT (twice, 2 ms apart, when ``double``); returns the time of the first one."""
    send = (lambda: os.killpg(proc.pid, signal.SIGINT)) if group else (lambda: proc.send_signal(signal.SIGINT))
    sent = time.monotonic()
    send()
    if double:
        time.sleep(0.002)
        send()
    return sent


@pytest.mark.slow
def test_repeated_interrupts_with_two_workers_then_resume(plugin_dir, tmp_path):
    expected, _ = reference(tmp_path, ROWS)
    expected_lines = expected.count(b"\n")
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(ROWS, sleep_ms=4))
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]))
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--workers", "2", "--chunk-size", "4",
                            "--resume"]
    rng = random.Random(7)
    exits: list[float] = []
    for attempt in range(INTERRUPTS):
        before = _lines(out)
        target = before + rng.randint(1, 80)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while proc.poll() is None and _lines(out) < target and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.random() * 0.03)
            assert proc.poll() is None, "the run ended before it could be interrupted"
            double, group = attempt % 2 == 1, attempt % 4 >= 2
            sent = _interrupt(proc, double, group)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pytest.fail(f"attempt {attempt}: rlvr score did not exit 30 s after SIGINT (double={double})")
            exits.append(time.monotonic() - sent)
            err = proc.stderr.read().decode("utf-8", "replace")  # type: ignore[union-attr]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            proc.stderr.close()  # type: ignore[union-attr]
        assert proc.returncode == 130, (attempt, proc.returncode, err)
        assert "Traceback" not in err and "BrokenPipeError" not in err and "KeyboardInterrupt" not in err, err
        assert len(err.strip().splitlines()) == 1 and "--resume" in err, err
        partial = out.read_bytes()
        assert partial.endswith(b"\n") and expected.startswith(partial), f"attempt {attempt}: not a prefix"
        assert exits[-1] < EXIT_LIMIT_S, f"attempt {attempt}: {exits[-1]:.2f} s from SIGINT to exit"
    assert _lines(out) < expected_lines, "the interrupted runs finished the whole file"
    done = subprocess.run(cmd + ["-q"], env=env, capture_output=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr  # the input holds malformed lines on purpose
    assert out.read_bytes() == expected  # no row lost, none duplicated


def test_interrupt_single_worker_exits_130_with_one_line(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(300, sleep_ms=5))
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]))
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--workers", "1", "--chunk-size", "4"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while proc.poll() is None and _lines(out) < 20:
            time.sleep(0.002)
        sent = _interrupt(proc, double=True, group=True)
        proc.wait(timeout=30)
        elapsed = time.monotonic() - sent
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == 130 and elapsed < EXIT_LIMIT_S
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err and "Traceback" not in err, err
