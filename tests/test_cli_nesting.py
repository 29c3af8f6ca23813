"""Deeply nested JSON never crashes `rlvr score` (the installed command): a line nested 100,000
levels deep is one error record like any malformed line, the run goes on, `--resume` reads past
it; values nested just within the parser's limit are written so they can be read back; deep
stack files and --param values are usage errors (exit 2), not tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import PLUGIN, plugin_dir, read_jsonl, run_cli  # noqa: F401  (fixture)

DEEP = 100_000


def _input(path: Path) -> Path:
    lines = [
        json.dumps({"id": "a", "completion": "ok", "solution": "ok"}),
        "[" * DEEP,  # the line: 100k '['
        json.dumps({"id": "b", "completion": "fine", "solution": "x"}),
        '{"id": "c", "completion": "deep column", "meta": ' + "[" * DEEP + "]" * DEEP + "}",  # valid JSON, too deep
        '{"id": ' + "[" * 1000 + "]" * 1000 + ', "completion": "deep id"}',  # orjson parses it; still refused
        '{"id": "d", "completions": ["1", "2"], "meta": ' + "{\"k\": " * 3000 + "1" + "}" * 3000 + "}",
        json.dumps({"id": "e", "completion": "last", "solution": "last"}),
        '{"id": ' + "[" * 100 + "]" * 100 + ', "completion": "100 levels", "meta": ' + "[" * 126 + "]" * 126 + "}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_deep_lines_become_error_records_and_resume_reads_past_them(plugin_dir, tmp_path, workers):
    src = _input(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    args = ["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "--keep", "meta", "--workers", workers,
            "--chunk-size", "2", "-o", str(out)]
    proc = run_cli(args, plugin_dir)
    assert proc.returncode == 1, proc.stderr  # malformed lines present; not a crash
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    rows = read_jsonl(out)
    assert [(r["line"], r["index"]) for r in rows] == [
        (1, 0), (2, None), (3, 0), (4, None), (5, None), (6, None), (7, 0), (8, 0)]
    for r in (rows[1], rows[3], rows[4], rows[5]):
        assert r["rewards"] == {} and "invalid JSON" in r["error"] and "nested too deeply" in r["error"]
    assert rows[2]["id"] == "b" and rows[6]["id"] == "e" and rows[6]["rewards"]["cli_test_len"]["status"] == "ok"
    within = json.loads(src.read_text().splitlines()[7])  # 128 levels are fine, written in full
    assert rows[7]["id"] == within["id"] and rows[7]["columns"]["meta"] == within["meta"]
    assert rows[7]["rewards"]["cli_test_len"]["status"] == "ok"
    full = out.read_bytes()

    lines = full.splitlines(keepends=True)
    for keep in (2, 4, 5, 6):  # cut right after each error record, then resume
        out.write_bytes(b"".join(lines[:keep]))
        resumed = run_cli(args + ["--resume", "-q"], plugin_dir)
        assert resumed.returncode == 1, resumed.stderr
        assert "Traceback" not in resumed.stderr
        assert out.read_bytes() == full


def test_deep_line_on_stdin(plugin_dir):
    data = '{"completion": "a"}\n' + "[" * DEEP + "\n" + '{"completion": "bb"}\n'
    proc = run_cli(["score", "-", "--plugin", PLUGIN, "-r", "cli_test_len"], plugin_dir, stdin=data)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["line"] for r in rows] == [1, 2, 3] and "error" in rows[1]


def test_resume_refuses_a_deep_garbage_line_with_its_number(plugin_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "a"}\n{"completion": "b"}\n{"completion": "c"}\n')
    out = tmp_path / "out.jsonl"
    args = ["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "-o", str(out)]
    assert run_cli(args, plugin_dir).returncode == 0
    first = out.read_bytes().splitlines(keepends=True)[0]
    out.write_bytes(first + b"[" * DEEP + b"\n")
    proc = run_cli(args + ["--resume"], plugin_dir)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "output line 2" in proc.stderr and "not an rlvr score row" in proc.stderr


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"rewards": ' + "[" * DEEP + "]" * DEEP + "}"),
    (".toml", "x = " + "[" * DEEP + "]" * DEEP + "\n"),
    (".yaml", "rewards: " + "[" * DEEP + "]" * DEEP + "\n"),
], ids=["json", "toml", "yaml"])
def test_deep_stack_file_is_a_usage_error(plugin_dir, tmp_path, suffix, text):
    if suffix == ".yaml":
        pytest.importorskip("yaml")
    stack = tmp_path / f"stack{suffix}"
    stack.write_text(text)
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "a"}\n')
    proc = run_cli(["score", str(src), "--plugin", PLUGIN, "--config", str(stack), "-o", str(tmp_path / "o.jsonl")],
                   plugin_dir)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and f"--config {stack}" in proc.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_deep_param_value_is_a_usage_error(plugin_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "a"}\n')
    proc = run_cli(["score", str(src), "--plugin", PLUGIN, "-r", "cli_test_len", "-p",
                    "cli_test_len.scale=" + "[" * 20_000 + "]" * 20_000], plugin_dir)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "nested too deeply" in proc.stderr


def test_rows_with_values_too_deep_for_the_encoder_are_written_clipped():
    from rlvr.scoring.jsonl import MAX_WRITE_DEPTH, dumps, dumps_many, loads

    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    for data in (dumps({"details": deep}), dumps_many([{"details": deep}])[0]):
        value, depth = loads(data)["details"], 1
        while isinstance(value, list):
            value, depth = value[0], depth + 1
        assert depth == MAX_WRITE_DEPTH and value == f"<nested deeper than {MAX_WRITE_DEPTH} levels>"
