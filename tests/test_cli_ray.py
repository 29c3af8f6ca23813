"""`rlvr score --engine ray` on real Ray (never mocked): the installed `rlvr` command against a local
Ray instance it starts itself, and against a multi-node cluster simulated with Ray's own
``ray.cluster_utils.Cluster`` (separate raylets on this machine).

Every Ray run must give byte-identical output to ``--engine local``: groups, malformed lines and a
reward error row included; after a killed actor (its chunk is retried), a removed node, a killed
driver (``--resume``), a Ctrl-C (exit 130, whole chunks, ``--resume``). A killed driver leaves no
Ray process behind; an unreachable address fails in seconds with one line and exit 2.

Each test's Ray processes carry a marker in their environment, so the test only ever looks at (and
kills) processes of the Ray instance or cluster it started itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import pytest
from test_cli import plugin_dir, rlvr_command, write_jsonl  # noqa: F401  (fixture)
from test_cli_resume import REWARDS, make_rows

from rlvr.cli import main

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")

MARKER = "RLVR_RAY_TEST_MARKER"
#: ``cli_test_exact`` raises on this row (its delay is not a number): a reward ``error`` (exit code 1)
BOOM_ROW = {"id": "boom", "completion": "1", "solution": "1", "sleep_ms": "not a number"}


def _rows(n: int, sleep_ms: float | None) -> list:
    rows = make_rows(n, sleep_ms)
    rows.insert(5, BOOM_ROW)
    return rows


def _reference(tmp_path: Path, rows: list, *extra: str) -> bytes:
    """The local engine's output (in-process, one worker) for ``rows`` scored with the same flags."""
    src = write_jsonl(tmp_path / "ref_in.jsonl", [_strip_sleep(r) for r in rows])
    out = tmp_path / "ref_out.jsonl"
    assert main(["score", str(src), *REWARDS, "-o", str(out), "-q", *extra]) == 1
    return out.read_bytes()


def _strip_sleep(row):
    if isinstance(row, dict) and isinstance(row.get("sleep_ms"), (int, float)):
        return {k: v for k, v in row.items() if k != "sleep_ms"}
    return row


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _marked(marker: str) -> list[psutil.Process]:
    """Live processes (other than this one) whose environment carries ``marker``."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(MARKER) == marker and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _actors(marker: str) -> list[psutil.Process]:
    out = []
    for proc in _marked(marker):
        try:
            if "RlvrChunkScorer" in " ".join(proc.cmdline()):
                out.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def _wait_gone(marker: str, timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    left = _marked(marker)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _marked(marker)
    return left


def _kill_marked(marker: str) -> None:
    for proc in _marked(marker):
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.fixture
def ray_env(plugin_dir):
    """Environment for an `rlvr score --engine ray` subprocess: the test plugin importable by the driver
    and its actors, a private Ray temp dir, and a marker naming this test's processes."""
    marker = uuid.uuid4().hex
    tmp = tempfile.mkdtemp(prefix="rlvr-rt-", dir="/tmp")  # short: Ray's unix socket paths must fit 107 bytes
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]),
               RAY_TMPDIR=tmp, TMPDIR=tmp, **{MARKER: marker})  # a killed driver's temp files go too
    env.pop("RAY_ADDRESS", None)
    yield env
    _kill_marked(marker)  # only if a test failed half-way: never leave this test's Ray processes running
    subprocess.run(["rm", "-rf", tmp], check=False)


def _run(env: dict, args: list, timeout: float = 240, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(rlvr_command() + args, env=env, capture_output=True, timeout=timeout, check=False, **kw)


# ---------------------------------------------------------------------------- a cluster of separate raylets
@pytest.fixture(scope="module")
def cluster(plugin_dir):
    """Head (2 CPUs) + one worker node (1 CPU), each its own raylet; the plugin importable on both."""
    from ray.cluster_utils import Cluster

    marker = uuid.uuid4().hex
    tmp = tempfile.mkdtemp(prefix="rlvr-rc-", dir="/tmp")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "RAY_TMPDIR", MARKER, "RAY_ADDRESS")}
    os.environ.update(PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]),
                      RAY_TMPDIR=tmp, **{MARKER: marker})
    os.environ.pop("RAY_ADDRESS", None)
    small = {"object_store_memory": 100 * 1024 * 1024, "include_dashboard": False}
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, **small})
    try:
        c.add_node(num_cpus=1, **small)
        c.wait_for_nodes()
        c.marker = marker  # type: ignore[attr-defined]
        c.small = small  # type: ignore[attr-defined]
        yield c
    finally:
        c.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _kill_marked(marker)
        subprocess.run(["rm", "-rf", tmp], check=False)


def _cluster_env(cluster) -> dict:
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    return env


def test_cluster_output_identical_to_local_engine(cluster, tmp_path):
    rows = _rows(400, None)
    expected = _reference(tmp_path, rows)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    proc = _run(_cluster_env(cluster), ["score", str(src), *REWARDS, "-o", str(out), "--engine", "ray",
                                        "--address", cluster.address, "--workers", "2", "--chunk-size", "16",
                                        "--summary-json", str(summary)])
    assert proc.returncode == 1, proc.stderr  # malformed lines and the reward error row
    assert out.read_bytes() == expected
    data = json.loads(summary.read_text())
    assert data["engine"] == "ray" and data["address"] == cluster.address and data["actors"] == 2
    assert data["workers"] == 2 and data["malformed_lines"] > 0 and data["failed_rows"] >= 1
    assert data["rewards"]["cli_test_exact"]["statuses"].get("error") == 1
    assert b"Traceback" not in proc.stderr


def test_cluster_resume_with_another_input_is_a_usage_error(cluster, tmp_path):
    """The resume check runs in Ray's read task; its error reaches the user as locally: exit 2, one line."""
    rows = _rows(60, None)
    out = tmp_path / "out.jsonl"
    out.write_bytes(_reference(tmp_path, rows))
    other = write_jsonl(tmp_path / "other.jsonl", [{"id": f"z{i}", "completion": "1", "solution": "1"}
                                                  for i in range(80)])
    proc = _run(_cluster_env(cluster), ["score", str(other), *REWARDS, "-o", str(out), "--resume",
                                        "--engine", "ray", "--address", cluster.address])
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "scored from another input" in err and len(err.strip().splitlines()) == 1, err


def test_cluster_truncated_gzip_input_ends_as_locally(cluster, tmp_path):
    """A compressed input that ends early: the rows before the damage are written and the exit code is
    6, with the Ray engine as with the local one (the read error travels from Ray's read task)."""
    import gzip

    rows = _rows(300, None)
    whole = gzip.compress(write_jsonl(tmp_path / "plain.jsonl", rows).read_bytes())
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(whole[: len(whole) * 2 // 3])
    outs = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"out-{engine}.jsonl"
        extra = ["--engine", "ray", "--address", cluster.address, "--workers", "2"] if engine == "ray" else []
        proc = _run(_cluster_env(cluster), ["score", str(src), *REWARDS, "-o", str(out), "--chunk-size", "16",
                                            "-q", *extra])
        err = proc.stderr.decode()
        assert proc.returncode == 6, (engine, err)
        assert "cannot read" in err and len(err.strip().splitlines()) == 1, (engine, err)
        outs[engine] = out.read_bytes()
    assert outs["ray"] == outs["local"] and outs["local"].count(b"\n") > 50


def test_cluster_killed_actor_loses_no_row(cluster, tmp_path):
    rows = _rows(500, 4)
    expected = _reference(tmp_path, rows)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--engine", "ray", "--address",
                            cluster.address, "--workers", "2", "--chunk-size", "12", "-q"]
    proc = subprocess.Popen(cmd, env=_cluster_env(cluster), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = None
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and _lines(out) < 40:
            time.sleep(0.05)
        actors = _actors(cluster.marker)
        assert proc.poll() is None and actors, "no scoring actor to kill while the run was going"
        killed = actors[0].pid
        actors[0].kill()
        proc.wait(timeout=180)
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    assert killed is not None and _lines(out) > 40
    assert proc.returncode == 1, err
    assert out.read_bytes() == expected  # the killed actor's chunks were scored again, exactly once


def test_cluster_row_that_kills_every_actor_ends_with_exit_5(cluster, tmp_path):
    """A chunk that kills its actor on every try (a hostile row) is retried ``--ray-max-retries`` times,
    then the run stops cleanly (exit 5, one line, whole chunks before it written), never looping
    forever as Ray Data's default (unlimited task retries) would."""
    rows = [{"id": f"r{i}", "completion": str(i), "solution": str(i)} for i in range(100)]
    die = {"id": "die", "completion": "DIE-CLI-TEST", "solution": "x"}
    tail = [{"id": f"t{i}", "completion": "1", "solution": "1"} for i in range(30)]
    rewards = [*REWARDS, "-r", "cli_test_batch=0"]
    ref_in = write_jsonl(tmp_path / "ref_in.jsonl", rows)
    ref_out = tmp_path / "ref_out.jsonl"
    assert main(["score", str(ref_in), *rewards, "-o", str(ref_out), "--chunk-size", "10", "-q"]) == 0
    src = write_jsonl(tmp_path / "in.jsonl", [*rows, die, *tail])  # the die row starts the 11th chunk
    out = tmp_path / "out.jsonl"
    start = time.monotonic()
    proc = _run(_cluster_env(cluster), ["score", str(src), *rewards, "-o", str(out), "--engine", "ray",
                                        "--address", cluster.address, "--workers", "2", "--chunk-size", "10",
                                        "--ray-max-retries", "1"], timeout=180)
    err = proc.stderr.decode()
    assert proc.returncode == 5, err
    assert len(err.strip().splitlines()) == 1 and "Ray engine failed" in err and "--resume" in err, err
    # Ray Data stops the whole dataset at the failure: the chunks still in flight before the die row are
    # not written either; what is written is whole chunks, exactly the local engine's rows
    written = out.read_bytes()
    assert ref_out.read_bytes().startswith(written)
    last_line = json.loads(written.splitlines()[-1])["line"] if written else 0
    assert last_line % 10 == 0 and f"after line {last_line} " in err, err
    assert time.monotonic() - start < 120


def test_cluster_node_removed_mid_run_loses_no_row(cluster, tmp_path):
    """A worker node (its own raylet) is removed while its actor scores. Ray Data 2.60 gives up on the
    chunk that ran there (``ActorUnavailableError``); rlvr starts the pipeline again after the last
    written chunk, on the nodes left. The run completes and equals the local engine's output."""
    import ray._private.ray_constants as ray_constants

    node = cluster.add_node(num_cpus=1, **cluster.small)
    cluster.wait_for_nodes()
    raylet = node.all_processes[ray_constants.PROCESS_TYPE_RAYLET][0].process.pid
    rows = _rows(600, 4)
    expected = _reference(tmp_path, rows)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--engine", "ray", "--address",
                            cluster.address, "--workers", "3", "--chunk-size", "12", "-q", "--summary-json",
                            str(summary)]
    proc = subprocess.Popen(cmd, env=_cluster_env(cluster), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    removed = False
    try:
        deadline = time.monotonic() + 120
        on_node: list = []
        while proc.poll() is None and time.monotonic() < deadline:
            on_node = [a for a in _actors(cluster.marker) if a.ppid() == raylet]
            if on_node and _lines(out) >= 40:
                break
            time.sleep(0.05)
        assert proc.poll() is None and on_node, "no actor ran on the node to remove"
        cluster.remove_node(node, allow_graceful=False)
        removed = True
        proc.wait(timeout=180)
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        if not removed:
            cluster.remove_node(node)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == 1, err
    assert err == ""
    assert out.read_bytes() == expected
    assert json.loads(summary.read_text())["ray_run"]["restarts"] <= 3


# ---------------------------------------------------------------------------- a local instance per run
def test_local_instance_stdin_matches_local_engine(ray_env, tmp_path):
    """Stdin is spooled to a temporary file on the driver (Ray's read task reopens its input)."""
    rows = _rows(150, None)
    expected = _reference(tmp_path, rows)
    data = write_jsonl(tmp_path / "in.jsonl", rows).read_bytes()
    proc = _run(ray_env, ["score", "-", *REWARDS, "--engine", "ray", "--workers", "2", "--chunk-size", "7",
                          "-q"], input=data)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == expected
    assert proc.stderr == b""  # -q: Ray's own start-up chatter stays off stderr too
    assert not _wait_gone(ray_env[MARKER], 15), "the local Ray instance outlived the run"


def test_driver_killed_leaves_no_ray_process_and_resume_matches(ray_env, tmp_path):
    rows = _rows(500, 4)
    expected = _reference(tmp_path, rows)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--engine", "ray", "--workers", "2",
                            "--chunk-size", "10", "-q"]
    proc = subprocess.Popen(cmd, env=ray_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and _lines(out) < 60:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        assert _actors(ray_env[MARKER]), "no Ray actor seen: the run is not on Ray"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    partial = out.read_bytes()
    assert 0 < len(partial) < len(expected)
    left = _wait_gone(ray_env[MARKER], 20)
    assert not left, f"Ray processes outlived the killed driver: {[p.cmdline()[:2] for p in left]}"
    resumed = subprocess.run(cmd + ["--resume"], env=ray_env, capture_output=True, timeout=240, check=False)
    assert resumed.returncode == 1, resumed.stderr
    assert out.read_bytes() == expected


def test_ctrl_c_exits_130_with_whole_chunks_then_resume(ray_env, tmp_path):
    rows = _rows(400, 5)
    expected = _reference(tmp_path, rows)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--engine", "ray", "--workers", "2",
                            "--chunk-size", "10"]
    proc = subprocess.Popen(cmd, env=ray_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and _lines(out) < 40:
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        sent = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole process group
        proc.wait(timeout=60)
        elapsed = time.monotonic() - sent
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err and "--resume" in err, err
    assert elapsed < 15, f"{elapsed:.1f} s from Ctrl-C to exit"
    partial = out.read_bytes()
    assert partial.endswith(b"\n") and expected.startswith(partial) and len(partial) < len(expected)
    assert not _wait_gone(ray_env[MARKER], 20), "Ray processes outlived the interrupted run"
    resumed = subprocess.run(cmd + ["--resume", "-q"], env=ray_env, capture_output=True, timeout=240, check=False)
    assert resumed.returncode == 1, resumed.stderr
    assert out.read_bytes() == expected


# ---------------------------------------------------------------------------- bad addresses, no Ray started
def test_unreachable_address_fails_fast_with_one_line(ray_env, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", _rows(10, None))
    out = tmp_path / "out.jsonl"
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with socket.socket() as server:  # a port that accepts connections but is no Ray cluster
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        not_ray = f"127.0.0.1:{server.getsockname()[1]}"
        for address, words in ((f"127.0.0.1:{port}", "cannot reach the Ray cluster"),
                               (not_ray, "does not answer as a Ray cluster")):
            start = time.monotonic()
            proc = _run(ray_env, ["score", str(src), *REWARDS, "-o", str(out), "--engine", "ray",
                                  "--address", address], timeout=60)
            took = time.monotonic() - start
            err = proc.stderr.decode()
            assert proc.returncode == 2, err
            assert words in err and address in err and len(err.strip().splitlines()) == 1, err
            assert took < 12, f"{took:.1f} s to give up on {address}"
            assert not out.exists(), "an unreachable cluster must not create the output"
    env = dict(ray_env, RAY_ADDRESS=f"127.0.0.1:{port}")  # RAY_ADDRESS is the default address
    proc = _run(env, ["score", str(src), *REWARDS, "--engine", "ray"], timeout=60)
    assert proc.returncode == 2 and b"cannot reach" in proc.stderr, proc.stderr


def test_ray_flags_need_the_ray_engine(ray_env, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", _rows(3, None))
    proc = _run(ray_env, ["score", str(src), *REWARDS, "--address", "127.0.0.1:6379"], timeout=60)
    assert proc.returncode == 2 and b"only apply with --engine ray" in proc.stderr, proc.stderr
    proc = _run(ray_env, ["score", str(src), *REWARDS, "--engine", "ray", "--address", "ray://h:10001"],
                timeout=60)
    assert proc.returncode == 2 and b"Ray Client" in proc.stderr, proc.stderr


def test_import_rlvr_scoring_does_not_import_ray():
    code = ("import sys, rlvr, rlvr.cli, rlvr.scoring.runner, rlvr.scoring.ray_engine; "
            "print(any(m == 'ray' or m.startswith('ray.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
