"""The `rlvr` command: list, score (rows, groups, errors, exit codes, params, stacks, workers,
stdin/stdout, summary) and --version. Uses a small test-only reward plugin (written to a temp
folder, imported with --plugin) plus the real built-in format rewards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rlvr.cli import main

PLUGIN = "rlvr_cli_testplugin"
PLUGIN_SOURCE = textwrap.dedent('''
    """Test-only rewards for the rlvr CLI tests."""
    from __future__ import annotations

    import time

    from pydantic import Field

    from rlvr.rewards.base import Reward, RewardParams
    from rlvr.rewards.registry import get_reward, register, register_preset
    from rlvr.rewards.stack import RewardStack
    from rlvr.score import Score, Status


    class ExactParams(RewardParams):
        solution_column: str = Field("solution", description="column holding the expected text")


    @register("cli_test_exact")
    class ExactReward(Reward):
        """Test reward: 1.0 when the stripped completion equals the solution column, else 0.0."""

        Params = ExactParams
        judges_correctness = True  # group pass@k counts it (correct at 1.0)

        def required_columns(self):
            return (self.params.solution_column,)

        def judge(self, sample):
            delay = sample.fields.get("sleep_ms")
            if delay:
                time.sleep(float(delay) / 1000)
            gold = str(sample.fields[self.params.solution_column]).strip()
            if sample.text.strip() == gold:
                return Score(1.0, Status.CORRECT, "")
            return Score(0.0, Status.WRONG, f"expected {gold!r}")


    class LenParams(RewardParams):
        scale: float = Field(100.0, description="characters per 1.0")


    @register("cli_test_len")
    class LenReward(Reward):
        """Test reward: len(text) / scale."""

        Params = LenParams

        def judge(self, sample):
            return Score(len(sample.text) / self.params.scale, Status.OK, "")


    @register("cli_test_batch")
    class BatchSizeReward(Reward):
        """Test reward: the number of completions in its score_batch call; raises on BOOM-CLI-TEST;
        kills its own process on DIE-CLI-TEST (a worker dying)."""

        def judge_batch(self, samples):
            if any("DIE-CLI-TEST" in s.text for s in samples):
                import os, signal
                os.kill(os.getpid(), signal.SIGKILL)
            if any("BOOM-CLI-TEST" in s.text for s in samples):
                raise RuntimeError("boom")
            return [Score(float(len(samples)), Status.OK, "") for _ in samples]


    @register_preset("cli_test_preset")
    def cli_test_preset(len_weight: float = 0.5):
        """Test preset: cli_test_exact + cli_test_len."""
        return RewardStack([(get_reward("cli_test_exact"), 1.0), (get_reward("cli_test_len"), len_weight)])
''')


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory):
    """The plugin on sys.path for in-process runs; unregistered afterwards so other test files never see it."""
    from rlvr.rewards import registry

    folder = tmp_path_factory.mktemp("plugin")
    (folder / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    sys.modules.pop(PLUGIN, None)
    for name in ("cli_test_exact", "cli_test_len", "cli_test_batch"):
        registry._rewards.pop(name, None)
    registry._presets.pop("cli_test_preset", None)


def rlvr_command() -> list[str]:
    exe = Path(sys.executable).parent / "rlvr"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("rlvr")
    assert found, "the rlvr console script is not installed (pip install -e .)"
    return [found]


def run_cli(args, plugin_dir=None, stdin=None, timeout=120):
    env = dict(os.environ)
    if plugin_dir is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), env.get("PYTHONPATH", "")])
    return subprocess.run(rlvr_command() + list(args), input=stdin, capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


MIXED = [
    {"id": "a", "completion": "42", "solution": "42"},
    {"id": "b", "completion": [{"role": "assistant", "content": "41"}], "solution": "42"},
    "{not json",
    {"id": "g", "prompt": "p", "completions": ["7", "8", "7"], "solution": "7"},
    "",
    ["a", "list"],
    {"id": "n", "solution": "1"},
    {"completion": "x", "solution": "x"},
]


# ---------------------------------------------------------------------------- version / list
def test_version_runs_installed_command():
    proc = run_cli(["--version"])
    assert proc.returncode == 0
    from rlvr import __version__

    assert proc.stdout.strip() == f"rlvr {__version__}"


def test_list_shows_rewards_presets_and_params(plugin_dir):
    proc = run_cli(["list", "--plugin", PLUGIN], plugin_dir)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "cli_test_exact" in out and "1.0 when the stripped completion equals" in out
    assert "solution_column: str = 'solution'  column holding the expected text" in out
    assert "cli_test_preset  [preset]" in out.replace("   ", "  ") or "[preset] Test preset" in out
    assert "format" in out  # a real built-in reward


def test_list_json_is_machine_readable(plugin_dir, capsys):
    assert main(["list", "--json", "--plugin", PLUGIN, "cli_test"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {d["name"]: d for d in data}
    assert set(by_name) == {"cli_test_exact", "cli_test_len", "cli_test_batch", "cli_test_preset"}
    assert by_name["cli_test_preset"]["kind"] == "preset"
    assert by_name["cli_test_len"]["params"]["scale"]["default"] == 100.0
    assert by_name["cli_test_exact"]["description"].startswith("Test reward: 1.0")


def test_sandbox_command_is_wired(capsys):
    assert main(["sandbox", "--help"]) == 0
    assert "sandbox" in capsys.readouterr().out
    assert main([]) == 2  # no command: help on stderr, usage exit code


# ---------------------------------------------------------------------------- score: rows
def test_score_rows_groups_errors_and_exit_code(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", MIXED)
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "summary.json"
    code = main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_exact=2", "-r", "cli_test_len=0.5",
                 "-o", str(out), "--summary-json", str(summary), "-q"])
    assert code == 1  # malformed lines present
    rows = read_jsonl(out)
    assert [(r["line"], r["index"]) for r in rows] == [
        (1, 0), (2, 0), (3, None), (4, 0), (4, 1), (4, 2), (6, None), (7, None), (8, 0)]
    a, b, bad, g0, g1, g2, lst, nocomp, noid = rows
    assert a["id"] == "a" and a["group_size"] is None
    assert a["rewards"]["cli_test_exact"] == {"value": 1.0, "status": "correct", "reason": ""}
    assert a["rewards"]["cli_test_len"]["value"] == pytest.approx(0.02)
    assert a["total"] == pytest.approx(2 * 1.0 + 0.5 * 0.02)
    assert b["rewards"]["cli_test_exact"]["status"] == "wrong"  # chat message completion read
    assert b["total"] == pytest.approx(0.5 * 0.02)
    assert "invalid JSON" in bad["error"] and bad["rewards"] == {} and bad["total"] is None
    assert [r["group_size"] for r in (g0, g1, g2)] == [3, 3, 3] and {r["id"] for r in (g0, g1, g2)} == {"g"}
    assert [r["rewards"]["cli_test_exact"]["value"] for r in (g0, g1, g2)] == [1.0, 0.0, 1.0]
    assert "expected a JSON object" in lst["error"]
    assert nocomp["id"] == "n" and "no 'completion'" in nocomp["error"]
    assert noid["id"] is None and noid["total"] is not None

    s = json.loads(summary.read_text())
    assert s["lines"] == 7 and s["rows"] == 6 and s["malformed_lines"] == 3 and s["failed_rows"] == 0
    exact = s["rewards"]["cli_test_exact"]
    assert exact["weight"] == 2.0 and exact["statuses"] == {"correct": 4, "wrong": 2}
    assert exact["mean"] == pytest.approx(4 / 6)
    g = s["groups"]
    assert g["count"] == 1 and g["size_mean"] == 3
    assert g["pass_metric"] == "cli_test_exact" and g["pass_at_k"] == 1.0 and g["pass_at_1"] == pytest.approx(2 / 3)


def test_all_good_rows_exit_zero_and_summary_on_stderr(plugin_dir, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "1", "solution": "1"}, {"completion": "2", "solution": "1"}])
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_exact", "-o", str(tmp_path / "o.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "2 lines, 2 rows" in err and "cli_test_exact" in err and "correct=1, wrong=1" in err


def test_groups_stay_whole_in_one_reward_call(plugin_dir, tmp_path):
    rows = [{"completions": ["x"] * k, "solution": "x"} for k in (3, 5, 2, 8)]
    rows.insert(2, {"completion": "y", "solution": "x"})
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    for chunk in ("1", "2", "100"):
        out = tmp_path / f"out{chunk}.jsonl"
        main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_batch", "--chunk-size", chunk, "-o", str(out), "-q"])
        for r in read_jsonl(out):
            if r["group_size"] is not None:
                assert r["rewards"]["cli_test_batch"]["value"] == r["group_size"]


def test_reward_raising_costs_only_its_row(plugin_dir, tmp_path):
    rows = [{"completion": "fine"}, {"completion": "BOOM-CLI-TEST"}, {"completion": "ok too"},
            {"completions": ["a", "BOOM-CLI-TEST"]}, {"completions": ["b", "c"]}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_batch", "-r", "cli_test_len",
                 "-o", str(out), "-q", "--chunk-size", "50"]) == 1
    got = [(r["line"], r["rewards"]["cli_test_batch"]["status"]) for r in read_jsonl(out)]
    assert got == [(1, "ok"), (2, "error"), (3, "ok"), (4, "error"), (4, "error"), (5, "ok"), (5, "ok")]
    rows_out = read_jsonl(out)
    assert "RuntimeError: boom" in rows_out[1]["rewards"]["cli_test_batch"]["reason"]
    assert all(r["rewards"]["cli_test_len"]["status"] == "ok" for r in rows_out)  # other rewards unaffected


def test_missing_required_column_is_invalid_input_for_that_reward_only(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "1", "solution": "1"}, {"completion": "1"}])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_exact", "-r", "cli_test_len",
                 "-o", str(out), "-q"]) == 1
    first, second = read_jsonl(out)
    assert first["rewards"]["cli_test_exact"]["status"] == "correct"
    exact = second["rewards"]["cli_test_exact"]
    assert exact["value"] is None and exact["status"] == "invalid_input" and "'solution'" in exact["reason"]
    assert second["rewards"]["cli_test_len"]["status"] == "ok" and second["total"] == pytest.approx(0.01)


def test_param_and_preset_expansion(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "abcd", "answer": "abcd"}])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_preset=2",
                 "-p", "cli_test_preset.len_weight=0.25", "-o", str(out), "-q",
                 "--summary-json", str(tmp_path / "s.json")]) == 1  # preset's exact reward wants 'solution'
    out2 = tmp_path / "out2.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_exact", "-r", "cli_test_len",
                 "-p", "cli_test_exact.solution_column=answer", "-p", "cli_test_len.scale=2", "-o", str(out2), "-q"]) == 0
    (row,) = read_jsonl(out2)
    assert row["rewards"]["cli_test_exact"]["value"] == 1.0 and row["rewards"]["cli_test_len"]["value"] == 2.0
    weights = {r["name"]: r["weight"] for r in json.loads((tmp_path / "s.json").read_text())["plan"]["rewards"]}
    assert weights == {"cli_test_exact": 2.0, "cli_test_len": 0.5}  # preset weight x component weight


def test_stack_file_config(plugin_dir, tmp_path):
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps({"rewards": [
        {"name": "cli_test_len", "weight": 1.0, "alias": "len_chars", "params": {"scale": 1}},
        {"name": "cli_test_len", "weight": 0.0, "alias": "len_hundreds"},
    ]}))
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "abc"}])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "--config", str(stack), "-o", str(out), "-q"]) == 0
    (row,) = read_jsonl(out)
    assert list(row["rewards"]) == ["len_chars", "len_hundreds"]
    assert row["total"] == 3.0  # weight-0 reward reported, not counted


@pytest.mark.parametrize("args, message", [
    (["-r", "no_such_reward_xyz"], "unknown reward"),
    (["-r", "cli_test_len", "-p", "cli_test_len.bogus=1"], "unknown parameter 'bogus'"),
    (["-r", "cli_test_len", "-p", "other.scale=1"], "not a --reward name"),
    (["-r", "cli_test_len", "-p", "noequals"], "REWARD.KEY=VALUE"),
    ([], "at least one --reward"),
    (["-r", "cli_test_len=heavy"], "not a number"),
    (["-r", "cli_test_len", "--pass-reward", "nope"], "--pass-reward"),
])
def test_usage_errors_exit_2(plugin_dir, tmp_path, capsys, args, message):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "x"}])
    assert main(["score", str(src), "--plugin", PLUGIN, "-o", str(tmp_path / "o.jsonl"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_file_errors_exit_2(plugin_dir, tmp_path, capsys):
    assert main(["score", str(tmp_path / "missing.jsonl"), "--plugin", PLUGIN, "-r", "cli_test_len"]) == 2
    assert "does not exist" in capsys.readouterr().err
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "x"}])
    existing = tmp_path / "o.jsonl"
    existing.write_text("precious\n")
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "-o", str(existing)]) == 2
    assert "--overwrite" in capsys.readouterr().err and existing.read_text() == "precious\n"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "-o", str(existing), "--overwrite", "-q"]) == 0
    assert main(["score", str(src), "-r", "cli_test_len", "--workers", "many"]) == 2
    assert main(["frobnicate"]) == 2


def test_malformed_inputs_each_become_one_error_record(plugin_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"completion": "ok"}\n'
                    b'\xff\xfe not utf-8\n'
                    b'{"completion": "a", "completions": ["b"]}\n'
                    b'{"completions": []}\n'
                    b'{"completions": "str"}\n'
                    b'   \n'
                    b'{"completion": {"no": "content"}}\n'
                    b'{"completion": "NaN", "x": NaN}\n'
                    b'{"completion": "last, no newline"}')
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "-o", str(out), "-q"]) == 1
    rows = read_jsonl(out)
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 7, 8, 9]
    errors = {r["line"]: r.get("error", "") for r in rows}
    assert "invalid JSON" in errors[2]
    assert "both" in errors[3] and "empty" in errors[4] and "must be a list" in errors[5]
    assert errors[7] == "" and rows[5]["rewards"]["cli_test_len"]["status"] == "invalid_input"
    assert "invalid JSON" in errors[8]
    assert rows[-1]["rewards"]["cli_test_len"]["value"] == pytest.approx(0.16)


def test_keep_and_details(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": 7, "prompt": "p", "completion": "c", "meta": {"k": 1}}])
    out = tmp_path / "out.jsonl"
    assert main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "--keep", "prompt,completion",
                 "--keep", "meta", "--details", "-o", str(out), "-q"]) == 0
    (row,) = read_jsonl(out)
    assert row["id"] == 7 and row["columns"] == {"prompt": "p", "completion": "c", "meta": {"k": 1}}
    assert row["rewards"]["cli_test_len"]["details"] == {}


def test_workers_give_identical_output(plugin_dir, tmp_path):
    rows = []
    for i in range(300):
        if i % 37 == 5:
            rows.append("{broken")
        elif i % 10 == 0:
            rows.append({"id": i, "completions": [str(i), "x" * (i % 7), str(i)], "solution": str(i)})
        else:
            rows.append({"id": i, "completion": str(i) if i % 3 else "no", "solution": str(i)})
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        code = main(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_exact", "-r", "cli_test_len",
                     "-r", "cli_test_batch=0", "--workers", workers, "--chunk-size", "16", "-o", str(out), "-q"])
        assert code == 1
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    groups = sum(1 for r in rows if isinstance(r, dict) and "completions" in r)
    assert len(outs[0].splitlines()) == 300 + 2 * groups


def test_stdin_to_stdout_with_installed_command(plugin_dir):
    data = "\n".join(json.dumps(r) for r in [{"completion": "1", "solution": "1"},
                                              {"completions": ["1", "2"], "solution": "2"}]) + "\n"
    proc = run_cli(["score", "-", "--plugin", PLUGIN, "-r", "cli_test_exact"], plugin_dir, stdin=data)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["rewards"]["cli_test_exact"]["value"] for r in rows] == [1.0, 0.0, 1.0]
    assert "pass@k 1.000" in proc.stderr and "pass@1 0.500" in proc.stderr  # summary on stderr only


def test_progress_line_when_forced(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "x"}] * 50)
    env = dict(os.environ, PYTHONPATH=str(plugin_dir))
    base = rlvr_command() + ["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len"]
    proc = subprocess.run(base + ["--progress", "-o", str(tmp_path / "o.jsonl")], capture_output=True, env=env, check=False)
    assert proc.returncode == 0
    assert b"\rrlvr score " in proc.stderr and b" lines | " in proc.stderr and b"rows/s" in proc.stderr
    quiet = subprocess.run(base + ["-o", str(tmp_path / "o2.jsonl")], capture_output=True, env=env, check=False)
    assert quiet.returncode == 0 and b"\r" not in quiet.stderr  # stderr is not a terminal: no progress line


def test_broken_pipe_is_quiet(plugin_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"completion": "x" * 100}] * 20000)
    cmd = " ".join(rlvr_command()) + f" score {src} --plugin {PLUGIN} -r cli_test_len | head -n 1"
    env = dict(os.environ, PYTHONPATH=str(plugin_dir))
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert json.loads(proc.stdout)["line"] == 1
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------- real rewards
def test_sample_data_with_real_format_rewards(tmp_path):
    sample = Path(__file__).resolve().parents[1] / "examples" / "data" / "sample_completions.jsonl"
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "s.json"
    proc = run_cli(["score", str(sample), "--reward", "format", "--reward", "tag_count=0.5", "-o", str(out),
                    "--summary-json", str(summary)])
    assert proc.returncode == 1, proc.stderr  # the sample holds malformed lines on purpose
    rows = read_jsonl(out)
    by_id = {}
    for r in rows:
        by_id.setdefault(r["id"], []).append(r)
    assert by_id["gsm-001"][0]["rewards"]["format"]["status"] == "ok"
    assert by_id["gsm-001"][0]["total"] == pytest.approx(1.5)
    assert by_id["fmt-001"][0]["rewards"]["format"]["value"] == 0.0  # no think/answer blocks
    assert by_id["chat-002"][0]["rewards"]["format"]["value"] == 1.0  # reasoning_content rebuilt into <think>
    assert len(by_id["grp-001"]) == 4 and [r["index"] for r in by_id["grp-001"]] == [0, 1, 2, 3]
    assert by_id["bad-shape"][0]["rewards"]["format"]["status"] == "invalid_input"
    s = json.loads(summary.read_text())
    assert s["malformed_lines"] == 4 and s["groups"]["count"] == 6
    assert s["rows"] == sum(1 for r in rows if "error" not in r)


def test_sample_data_with_open_r1_math_preset(tmp_path):
    sample = Path(__file__).resolve().parents[1] / "examples" / "data" / "sample_completions.jsonl"
    out = tmp_path / "out.jsonl"
    summary = tmp_path / "s.json"
    proc = run_cli(["score", str(sample), "--reward", "open_r1_math", "-o", str(out), "--summary-json", str(summary)])
    assert proc.returncode == 1, proc.stderr
    rows = {(r["id"], r["index"]): r for r in read_jsonl(out) if "error" not in r}
    assert list(rows[("gsm-001", 0)]["rewards"]) == ["math_accuracy", "format", "tag_count"]  # preset expanded
    assert rows[("gsm-001", 0)]["rewards"]["math_accuracy"]["status"] == "correct"
    assert rows[("gsm-005", 0)]["rewards"]["math_accuracy"]["status"] == "wrong"
    assert rows[("ref-001", 0)]["rewards"]["math_accuracy"]["value"] is None  # unparseable gold: cannot judge
    assert [rows[("grp-003", i)]["rewards"]["math_accuracy"]["value"] for i in range(4)] == [1.0] * 4
    s = json.loads(summary.read_text())
    groups = s["groups"]
    assert groups["pass_metric"] == "math_accuracy" and groups["count"] == 6
    # pass@k: every group but grp-004 has a correct member; pass@1: mean fraction correct per group
    assert groups["pass_at_k"] == pytest.approx(5 / 6)
    assert groups["pass_at_1"] == pytest.approx((3 / 4 + 2 / 4 + 1 + 0 + 3 / 4 + 1 / 3) / 6)
