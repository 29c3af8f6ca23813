"""The output file of `rlvr score` (the installed command, real subprocesses): one run at a time
(a lock; a second run fails fast with exit code 3), `--resume` verifies the existing rows before
appending (corrupt files are refused, naming the line), a full disk gives one clear line and
exit code 4 with a resumable file (a real 64 KiB tmpfs, and /dev/full), a closed stdout ends
quietly with 141, and the exit-code table is the same in `--help`, the docs and the code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from test_cli import PLUGIN, plugin_dir, rlvr_command, run_cli, write_jsonl  # noqa: F401  (fixture)
from test_cli_resume import REWARDS, make_rows, reference

from rlvr.scoring import runner

ROOT = Path(__file__).resolve().parents[1]


def _env(plugin_dir: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]))


def _wait_for_rows(out: Path, proc: subprocess.Popen, n: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= n:
            return
        time.sleep(0.01)
    raise AssertionError("the first run did not write rows in time")


# ---------------------------------------------------------------------------- item 9: lock
def test_second_run_on_the_same_output_fails_fast_and_changes_nothing(plugin_dir, tmp_path):
    expected, _ = reference(tmp_path, 400)
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(400, sleep_ms=20))
    out = tmp_path / "out.jsonl"
    base = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--chunk-size", "4", "-q"]
    first = subprocess.Popen(base, env=_env(plugin_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_rows(out, first, 20)
        for extra in (["--resume"], ["--overwrite"], [], ["--resume", "--workers", "2"]):
            size = out.stat().st_size
            started = time.monotonic()
            second = subprocess.run(base + extra, env=_env(plugin_dir), capture_output=True, text=True, timeout=60,
                                    check=False)
            assert second.returncode == 3, (extra, second.returncode, second.stderr)
            assert time.monotonic() - started < 10  # fails at once: no waiting for the lock
            assert "being written by another rlvr score run" in second.stderr and "Traceback" not in second.stderr
            assert len(second.stderr.strip().splitlines()) == 1
            assert out.stat().st_size >= size  # not truncated, not rewritten
        assert first.poll() is None, "the first run ended before the second runs were tried"
        first.wait(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        first.stderr.close()  # type: ignore[union-attr]
    assert first.returncode == 1  # malformed lines in the input
    assert out.read_bytes() == expected  # no duplicated or lost row


def test_two_resume_runs_started_together_write_each_row_once(plugin_dir, tmp_path):
    expected, _ = reference(tmp_path, 300)
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(300, sleep_ms=5))
    out = tmp_path / "out.jsonl"
    out.write_bytes(expected[: expected.index(b"\n", len(expected) // 4) + 1])  # a run stopped a quarter in
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--chunk-size", "4", "--resume", "-q"]
    procs = [subprocess.Popen(cmd, env=_env(plugin_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(2)]
    codes = []
    for proc in procs:
        proc.wait(timeout=120)
        codes.append(proc.returncode)
        proc.stderr.close()  # type: ignore[union-attr]
    assert sorted(codes) == [1, 3]  # one finishes (malformed lines: 1), the other is refused
    assert out.read_bytes() == expected


# ---------------------------------------------------------------------------- item 9: verified resume
def _single_rows(lines: list[bytes]) -> list[int]:
    """Indexes i >= 10 where lines i and i + 1 are both rows of single completions."""
    single = [json.loads(line).get("group_size") is None for line in lines]
    return [i for i in range(10, len(lines) - 1) if single[i] and single[i + 1]]


def _corrupt(kind: str, lines: list[bytes]) -> tuple[bytes, int | None]:
    """A damaged output and the number of the output line resume must name (None: any)."""
    i = _single_rows(lines)[0]
    if kind == "duplicate_row":
        return b"".join(lines[:i + 1] + [lines[i]] + lines[i + 1:i + 10]), i + 2
    if kind == "second_run_appended":  # two runs wrote into the file one after the other
        return b"".join(lines[:30] + lines[:12]), 31
    if kind == "out_of_order":
        return b"".join(lines[:i] + [lines[i + 1], lines[i]] + lines[i + 2:i + 10]), i + 2
    if kind == "row_missing_in_group":
        starts = [k for k, line in enumerate(lines) if json.loads(line).get("index") == 1]
        k = starts[1]
        return b"".join(lines[:k] + lines[k + 1:k + 12]), None
    if kind == "blank_line":
        return b"".join(lines[:10] + [b"\n"] + lines[10:20]), 11
    if kind == "not_a_row":
        return b"".join(lines[:10] + [b'{"hello": "world"}\n'] + lines[10:20]), 11
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, message", [
    ("duplicate_row", "repeats input line"),
    ("second_run_appended", "out of input order"),
    ("out_of_order", "out of input order"),
    ("row_missing_in_group", "incomplete"),
    ("blank_line", "is blank"),
    ("not_a_row", "not an rlvr score row"),
])
def test_resume_refuses_a_corrupt_output_naming_the_line(plugin_dir, tmp_path, kind, message):
    expected, _ = reference(tmp_path, 120)
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(120, None))
    out = tmp_path / "out.jsonl"
    data, bad_line = _corrupt(kind, expected.splitlines(keepends=True))
    out.write_bytes(data)
    proc = run_cli(["score", str(src), *REWARDS, "-o", str(out), "--resume"], plugin_dir)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert re.search(rf"output line {bad_line if bad_line else '[0-9]+'}\b", proc.stderr), proc.stderr
    assert out.read_bytes() == data  # refused before anything was cut or appended


def test_resume_refuses_an_output_of_another_input(plugin_dir, tmp_path):
    expected, _ = reference(tmp_path, 120)
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"".join(expected.splitlines(keepends=True)[:40]))
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": f"x{i}", "completion": "1"} for i in range(120)])
    proc = run_cli(["score", str(other), *REWARDS, "-o", str(out), "--resume"], plugin_dir)
    assert proc.returncode == 2 and "another input" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    short = write_jsonl(tmp_path / "short.jsonl", make_rows(10, None))
    proc = run_cli(["score", str(short), *REWARDS, "-o", str(out), "--resume"], plugin_dir)
    assert proc.returncode == 2 and "the input has 10 lines" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------- item 10: disk full
@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB tmpfs (needs root, as in CI); unmounted afterwards."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / f"tiny-{uuid.uuid4().hex[:8]}"
    mnt.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True,
                          text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_disk_full_gives_one_line_exit_4_and_a_resumable_file(plugin_dir, tmp_path, tiny_disk, workers):
    expected, _ = reference(tmp_path, 1200)
    assert len(expected) > 3 * 64 * 1024
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(1200, None))
    out = tiny_disk / "out.jsonl"
    cmd = ["score", str(src), *REWARDS, "-o", str(out), "--workers", workers, "--chunk-size", "16"]
    proc = run_cli(cmd, plugin_dir)
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "No space left on device" in proc.stderr and "--resume" in proc.stderr
    partial = out.read_bytes()
    assert partial and partial.endswith(b"\n") and expected.startswith(partial)  # whole chunks only
    done = int(re.search(r"up to input line (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]
    assert json.loads(partial.splitlines()[-1])["line"] == done

    again = run_cli(cmd + ["--resume"], plugin_dir)  # still full: the same clean failure, nothing lost
    assert again.returncode == 4 and expected.startswith(out.read_bytes()), again.stderr
    subprocess.run(["mount", "-o", "remount,size=8m", str(tiny_disk)], check=True)  # room again
    resumed = run_cli(cmd + ["--resume", "-q"], plugin_dir)
    assert resumed.returncode == 1, resumed.stderr  # malformed lines in the input
    assert out.read_bytes() == expected


def test_full_stdout_gives_one_line_and_exit_4(plugin_dir, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(50, None))
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(rlvr_command() + ["score", str(src), *REWARDS], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=_env(plugin_dir), timeout=60, check=False)
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "Traceback" not in proc.stderr
    assert "cannot write to stdout: No space left on device (ENOSPC)" in proc.stderr


def test_closed_stdout_ends_quietly_with_141(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "x" * 100}] * 20000)
    for workers in ("1", "2"):
        cmd = " ".join(rlvr_command()) + f" score {src} --plugin {PLUGIN} -r cli_test_len -j {workers} | head -n 1;" \
              ' echo "rc=${PIPESTATUS[0]}" >&2'
        proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=_env(plugin_dir), timeout=120,
                              check=False)
        assert json.loads(proc.stdout)["line"] == 1
        assert proc.stderr.strip() == "rc=141", proc.stderr


# ---------------------------------------------------------------------------- a worker dies
def test_a_dying_worker_ends_the_run_with_exit_5_and_a_resumable_file(plugin_dir, tmp_path):
    rows = [{"id": i, "completion": f"row {i}"} for i in range(1, 201)]
    rows[99]["completion"] = "DIE-CLI-TEST"  # input line 100 kills the worker scoring it
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    cmd = ["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_batch", "-j", "2", "--chunk-size", "8", "-o", str(out)]
    proc = run_cli(cmd, plugin_dir, timeout=60)
    assert proc.returncode == 5, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "a worker process died (exit code -9) while scoring input lines 97-104" in proc.stderr
    assert [json.loads(line)["line"] for line in out.read_text().splitlines()] == list(range(1, 97))
    rows[99]["completion"] = "row 100"
    write_jsonl(src, rows)
    resumed = run_cli(cmd + ["--resume", "-q"], plugin_dir)
    assert resumed.returncode == 0, resumed.stderr
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == list(range(1, 201))


# ---------------------------------------------------------------------------- exit code table
def test_exit_codes_are_documented_in_help_and_docs():
    codes = {value for name, value in vars(runner).items() if name.startswith("EXIT_")}
    assert codes == {0, 1, 2, 3, 4, 5, 6, 130, 141}
    help_text = run_cli(["score", "--help"]).stdout
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    table = re.search(r"## Exit codes\n(.*?)\n## ", docs, re.S).group(1)  # type: ignore[union-attr]
    for code in codes:
        assert re.search(rf"^  {code}\s+\S", help_text, re.M), f"exit code {code} missing from rlvr score --help"
        assert re.search(rf"^\| {code} \|", table, re.M), f"exit code {code} missing from docs/cli.md"
    assert "disk full" in help_text and "another rlvr score run" in help_text
