"""`rlvr score` on real data (the installed command, real subprocesses): JSONL, .jsonl.gz, .jsonl.zst,
Parquet, a saved Hugging Face dataset and `load_dataset` on a local folder give byte-identical rows;
OpenR1-Math `generations` groups; --completion-column; --limit (and --resume with it); Parquet output
(readable with pyarrow, equal to the JSONL rows, interrupt + resume); --summary-json -; a closed stdout;
truncated and corrupt inputs."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_cli import PLUGIN, plugin_dir, rlvr_command, run_cli, write_jsonl  # noqa: F401  (fixture)
from test_cli_output import tiny_disk  # noqa: F401  (fixture: a 64 KiB tmpfs)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
zstandard = pytest.importorskip("zstandard")

ROOT = Path(__file__).resolve().parents[1]
REWARDS = ["--plugin", PLUGIN, "-r", "cli_test_exact", "-r", "cli_test_len=0.5"]


def _env(plugin_dir: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]),
                HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")


def score(plugin_dir: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(rlvr_command() + ["score", *map(str, args), *REWARDS], capture_output=True, text=True,
                          env=_env(plugin_dir), timeout=timeout, check=False)


def rows_of(n: int) -> list[dict]:
    """Rows every format can hold: single completions, groups, rows without a completion, unicode."""
    rows: list[dict] = []
    for i in range(n):
        if i % 7 == 3:
            rows.append({"id": f"g{i}", "prompt": "p", "completions": [str(i), "no", f"{i} "], "solution": str(i)})
        elif i % 11 == 5:
            rows.append({"id": f"n{i}", "solution": str(i)})  # no completion: one error row
        else:
            rows.append({"id": f"r{i}", "prompt": "p", "completion": str(i) if i % 3 else "ünï", "solution": str(i)})
    return rows


def table_of(rows: list[dict]):
    return pa.Table.from_struct_array(pa.array(rows))  # schema from every row, not only the first


def write_jsonl_bytes(path: Path, rows: list[dict]) -> bytes:
    data = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)
    path.write_bytes(data)
    return data


# ---------------------------------------------------------------------------- every format, same rows
def test_every_input_format_gives_byte_identical_rows(plugin_dir, tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = rows_of(60)
    data = write_jsonl_bytes(tmp_path / "in.jsonl", rows)
    half = len(data) // 2
    cut = data.index(b"\n", half) + 1
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]))  # two members
    (tmp_path / "in.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    table = table_of(rows)
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=16)
    dataset = datasets.Dataset(table)
    dataset.save_to_disk(str(tmp_path / "saved"))
    datasets.DatasetDict({"train": dataset, "test": dataset.select(range(5))}).save_to_disk(str(tmp_path / "dd"))
    (tmp_path / "folder" / "data").mkdir(parents=True)
    (tmp_path / "folder" / "data" / "train.jsonl").write_bytes(data)

    expected = score(plugin_dir, tmp_path / "in.jsonl", "-q")
    assert expected.returncode == 1, expected.stderr  # rows without a completion
    lines = expected.stdout.splitlines()
    assert sum('"error"' in line for line in lines) == sum(1 for r in rows if "solution" in r and len(r) == 2)
    assert len(lines) == sum(len(r.get("completions", [0])) for r in rows)
    for args in (["in.jsonl.gz"], ["in.jsonl.zst"], ["in.parquet"], ["saved"], ["dd", "--split", "train"],
                 ["folder", "--split", "train"]):
        got = score(plugin_dir, tmp_path / args[0], *args[1:], "-q")
        assert got.returncode == 1 and got.stderr == "", (args, got.stderr)
        assert got.stdout == expected.stdout, args
    test_split = score(plugin_dir, tmp_path / "dd", "--split", "test", "-q")
    assert test_split.stdout.splitlines() == lines[:len(test_split.stdout.splitlines())]
    assert {json.loads(x)["line"] for x in test_split.stdout.splitlines()} == {1, 2, 3, 4, 5}


def test_values_json_cannot_hold_do_not_crash(plugin_dir, tmp_path):
    import datetime
    import decimal

    table = pa.table({
        "id": pa.array([1, 2], pa.int64()),
        "completion": ["42", "7"],
        "solution": ["42", "8"],
        "blob": pa.array([b"\x00\xff", None], pa.binary()),
        "when": pa.array([datetime.datetime(2026, 12, 4, 20, 0), None], pa.timestamp("us")),
        "price": pa.array([decimal.Decimal("1.50"), None], pa.decimal128(5, 2)),
        "vec": pa.array([[1.0, 2.0], [3.0]], pa.list_(pa.float32())),
    })
    pq.write_table(table, tmp_path / "odd.parquet")
    proc = score(plugin_dir, tmp_path / "odd.parquet", "--keep", "blob,when,price,vec", "-q")
    assert proc.returncode == 0, proc.stderr
    first, second = map(json.loads, proc.stdout.splitlines())
    assert first["id"] == 1 and first["rewards"]["cli_test_exact"]["value"] == 1.0
    assert first["columns"]["price"] == "1.50" and first["columns"]["vec"] == [1.0, 2.0]
    assert first["columns"]["when"].startswith("2026-12-04") and isinstance(first["columns"]["blob"], str)
    assert second["columns"]["blob"] is None and second["rewards"]["cli_test_exact"]["status"] == "wrong"


# ---------------------------------------------------------------------------- which column holds completions
def test_openr1_generations_are_read_as_groups(plugin_dir, tmp_path):
    rows = [{"problem": f"q{i}", "answer": str(i), "uuid": f"u{i}", "generations": [str(i), "x", str(i)][: 1 + i % 3],
             "correctness_math_verify": [True, False, True][: 1 + i % 3]} for i in range(6)]
    pq.write_table(table_of(rows), tmp_path / "openr1.parquet")
    proc = score(plugin_dir, tmp_path / "openr1.parquet", "--id-column", "uuid", "-p",
                 "cli_test_exact.solution_column=answer", "-q")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [(r["line"], r["index"], r["group_size"]) for r in out[:6]] == [
        (1, 0, 1), (2, 0, 2), (2, 1, 2), (3, 0, 3), (3, 1, 3), (3, 2, 3)]
    assert [r["rewards"]["cli_test_exact"]["value"] for r in out[3:6]] == [1.0, 0.0, 1.0]
    assert out[0]["id"] == "u0" and len(out) == sum(len(r["generations"]) for r in rows)


def test_completion_column_reads_by_shape(plugin_dir, tmp_path):
    chat = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "5"}]
    rows = [
        {"id": 1, "response": "5", "solution": "5"},  # a string: one completion
        {"id": 2, "response": chat, "solution": "5"},  # a message list: one completion
        {"id": 3, "response": {"role": "assistant", "content": "5"}, "solution": "5"},  # a message dict
        {"id": 4, "response": ["5", "6"], "solution": "5"},  # a list of strings: a group
        {"id": 5, "response": [chat, chat], "solution": "5"},  # a list of message lists: a group
        {"id": 6, "completion": "5", "solution": "5"},  # lacks the column: one error row
        {"id": 7, "response": [], "solution": "5"},  # an empty group: one error row
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    proc = score(plugin_dir, src, "--completion-column", "response", "-q")
    assert proc.returncode == 1, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [(r["id"], r["index"], r["group_size"]) for r in out] == [
        (1, 0, None), (2, 0, None), (3, 0, None), (4, 0, 2), (4, 1, 2), (5, 0, 2), (5, 1, 2), (6, None, None),
        (7, None, None)]
    assert [r["rewards"]["cli_test_exact"]["value"] for r in out[:7]] == [1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    assert "no 'response' field" in out[7]["error"] and "empty list" in out[8]["error"]

    # --resume checks the last kept input line with the same --completion-column
    lines = proc.stdout.splitlines(keepends=True)
    out_file = tmp_path / "out.jsonl"
    out_file.write_text("".join(lines[:4]), encoding="utf-8")  # stopped inside the group of input line 4
    resumed = score(plugin_dir, src, "--completion-column", "response", "-o", out_file, "--resume", "-q")
    assert resumed.returncode == 1 and out_file.read_text(encoding="utf-8") == proc.stdout, resumed.stderr
    out_file.write_text("".join(lines[:5]), encoding="utf-8")
    other = score(plugin_dir, src, "-o", out_file, "--resume", "-q")  # line 4 has no 'completion': another input
    assert other.returncode == 2 and "input line 4 is malformed" in other.stderr, other.stderr

    unknown = score(plugin_dir, src, "--completion-column", "answer")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr, unknown.stderr
    assert unknown.stderr.count("\n") == 1 and "--completion-column 'answer'" in unknown.stderr


# ---------------------------------------------------------------------------- --limit
def test_limit_counts_input_lines_and_resume_with_the_same_limit_finishes_them(plugin_dir, tmp_path):
    rows = rows_of(80)
    data = write_jsonl_bytes(tmp_path / "in.jsonl", rows)
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(data))
    full = score(plugin_dir, tmp_path / "in.jsonl", "-q").stdout.splitlines(keepends=True)
    expected = "".join(line for line in full if json.loads(line)["line"] <= 50)
    for args in ([tmp_path / "in.jsonl"], [tmp_path / "in.jsonl", "-j", "2", "--chunk-size", "8"],
                 [tmp_path / "in.jsonl.gz"]):
        proc = score(plugin_dir, *args, "--limit", "50", "-q")
        assert proc.stdout == expected, args
    # a run stopped in the middle of a group, resumed with the same --limit: exactly lines 1-50
    out = tmp_path / "out.jsonl"
    group_rows = [i for i, line in enumerate(full) if json.loads(line)["index"] == 1 and json.loads(line)["line"] < 40]
    out.write_text("".join(full[: group_rows[-1] + 1]), encoding="utf-8")
    resumed = score(plugin_dir, tmp_path / "in.jsonl.gz", "--limit", "50", "-o", out, "--resume", "-q")
    assert resumed.returncode == 1, resumed.stderr
    assert out.read_text(encoding="utf-8") == expected


# ---------------------------------------------------------------------------- Parquet output
def _as_parquet_rows(jsonl: str, int_ids: bool) -> list[dict]:
    """The JSONL rows as docs/cli.md says they are stored in Parquet."""
    out = []
    for line in jsonl.splitlines():
        rec = json.loads(line)
        row = {"line": rec["line"], "id": rec["id"] if int_ids or rec["id"] is None or isinstance(rec["id"], str)
               else json.dumps(rec["id"], separators=(",", ":")), "index": rec["index"],
               "group_size": rec["group_size"], "total": rec["total"], "error": rec.get("error")}
        for name in ("cli_test_exact", "cli_test_len"):
            row[name] = rec["rewards"].get(name)
        out.append(row)
    return out


def test_parquet_output_holds_the_jsonl_rows(plugin_dir, tmp_path):
    rows = rows_of(40)
    rows[0]["id"], rows[1]["id"] = 7, [1, 2]  # mixed id types: a string column
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    jsonl = score(plugin_dir, src, "-q").stdout
    out = tmp_path / "out.parquet"
    proc = score(plugin_dir, src, "-o", out, "-q")
    assert proc.returncode == 1 and proc.stdout == "", proc.stderr
    table = pq.read_table(out)
    assert table.schema.field("id").type == pa.string()
    assert table.to_pylist() == _as_parquet_rows(jsonl, int_ids=False)
    assert table.column("id").to_pylist()[:2] == ["7", "[1,2]"]
    assert not (tmp_path / "out.parquet.partial.jsonl").exists()

    int_src = write_jsonl(tmp_path / "ints.jsonl", [{**r, "id": i} for i, r in enumerate(rows)])
    again = score(plugin_dir, int_src, "-o", out, "-q")
    assert again.returncode == 2 and "exists" in again.stderr  # never replaced without --overwrite
    again = score(plugin_dir, int_src, "-o", out, "--overwrite", "-q")
    assert again.returncode == 1, again.stderr
    table = pq.read_table(out)
    assert table.schema.field("id").type == pa.int64()
    assert table.to_pylist() == _as_parquet_rows(score(plugin_dir, int_src, "-q").stdout, int_ids=True)


def test_parquet_output_interrupted_then_resumed_equals_a_whole_run(plugin_dir, tmp_path):
    rows = [{"id": f"r{i}", "completion": str(i), "solution": str(i), "sleep_ms": 20} for i in range(80)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    ref = tmp_path / "ref.parquet"
    assert score(plugin_dir, src, "-o", ref, "--chunk-size", "80", "-q").returncode == 0
    out = tmp_path / "out.parquet"
    side = tmp_path / "out.parquet.partial.jsonl"
    cmd = rlvr_command() + ["score", str(src), *REWARDS, "-o", str(out), "--chunk-size", "4", "-q"]
    proc = subprocess.Popen(cmd, env=_env(plugin_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if side.exists() and side.read_bytes().count(b"\n") >= 12:
                break
            time.sleep(0.01)
        second = score(plugin_dir, src, "-o", out, "--resume", "-q")  # the side file is locked
        assert second.returncode == 3, second.stderr
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()  # type: ignore[union-attr]
    assert proc.returncode == 130, err
    assert "out.parquet.partial.jsonl holds every row up to input line" in err and err.count("\n") == 1
    assert not out.exists() and side.exists()
    refused = score(plugin_dir, src, "-o", out, "-q")
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = score(plugin_dir, src, "-o", out, "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert pq.read_table(out).equals(pq.read_table(ref)) and not side.exists()
    finished = score(plugin_dir, src, "-o", out, "--resume", "-q")
    assert finished.returncode == 2 and "finished output" in finished.stderr
    itself = score(plugin_dir, out, "-o", out, "--overwrite", "-q")  # Parquet in, the same file out
    assert itself.returncode == 2 and "the output file is the input file" in itself.stderr
    assert pq.read_table(out).equals(pq.read_table(ref))


# ---------------------------------------------------------------------------- stdout
def test_summary_json_to_stdout(plugin_dir, tmp_path):
    rows = rows_of(20)
    pq.write_table(table_of(rows), tmp_path / "in.parquet")
    proc = score(plugin_dir, tmp_path / "in.parquet", "-o", tmp_path / "out.jsonl", "--summary-json", "-")
    assert proc.returncode == 1
    summary = json.loads(proc.stdout)
    written = (tmp_path / "out.jsonl").read_text().splitlines()
    assert summary["lines"] == 20 and summary["rows"] + summary["malformed_lines"] == len(written)
    assert summary["malformed_lines"] == 2 and summary["output"] == str(tmp_path / "out.jsonl")
    assert "rlvr score:" in proc.stderr  # the text summary still goes to stderr
    both = score(plugin_dir, tmp_path / "in.parquet", "--summary-json", "-")
    assert both.returncode == 2 and "both would go to stdout" in both.stderr and both.stdout == ""
    # stdout already closed by its reader: quiet, 141
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        closed = subprocess.run(rlvr_command() + ["score", str(tmp_path / "in.parquet"), *REWARDS, "-o",
                                                  str(tmp_path / "out2.jsonl"), "--summary-json", "-", "-q"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, env=_env(plugin_dir), timeout=60,
                                check=False)
    finally:
        os.close(write_end)
    assert closed.returncode == 141 and closed.stderr == "", closed.stderr


def test_closed_stdout_ends_quietly_with_141_for_new_inputs(plugin_dir, tmp_path):
    rows = [{"id": i, "completion": "x" * 100, "solution": "x"} for i in range(20000)]
    data = write_jsonl_bytes(tmp_path / "in.jsonl", rows)
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(data))
    pq.write_table(table_of(rows), tmp_path / "in.parquet")
    for name in ("in.jsonl.gz", "in.parquet"):
        cmd = " ".join(rlvr_command()) + f" score {tmp_path / name} --plugin {PLUGIN} -r cli_test_len | head -n 1;" \
              ' echo "rc=${PIPESTATUS[0]}" >&2'
        proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=_env(plugin_dir), timeout=120,
                              check=False)
        assert json.loads(proc.stdout)["line"] == 1
        assert proc.stderr.strip() == "rc=141", (name, proc.stderr)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_truncated_compressed_input_writes_the_rows_before_and_exits_6(plugin_dir, tmp_path, kind):
    rows = [{"id": i, "completion": f"{i} " + "y" * (i % 97), "solution": str(i)} for i in range(6000)]
    data = write_jsonl_bytes(tmp_path / "full.jsonl", rows)
    packed = gzip.compress(data) if kind == "gz" else zstandard.ZstdCompressor().compress(data)
    src = tmp_path / f"in.jsonl.{kind}"
    src.write_bytes(packed[: len(packed) * 2 // 3])
    out = tmp_path / "out.jsonl"
    workers = "1" if kind == "gz" else "2"  # serial, and worker processes finishing the chunks in flight
    proc = score(plugin_dir, src, "-o", out, "-j", workers, "--chunk-size", "64", "-q")
    assert proc.returncode == 6, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    match = re.search(r"cannot read \S+ after input line (\d+): .*truncated.*holds every row up to input line (\d+); "
                      r"continue with --resume", proc.stderr)
    assert match and match.group(1) == match.group(2), proc.stderr
    done = int(match.group(1))
    assert 0 < done < 6000
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["line"] for r in written] == list(range(1, done + 1))
    src.write_bytes(packed)  # the input repaired: resume finishes it
    resumed = score(plugin_dir, src, "-o", out, "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_text() == score(plugin_dir, tmp_path / "full.jsonl", "-q").stdout


def test_corrupt_parquet_row_group_writes_the_rows_before_and_exits_6(plugin_dir, tmp_path):
    rows = [{"id": f"q{i}", "completion": "c" * 30 + str(i), "solution": str(i)} for i in range(3000)]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src, row_group_size=1000, compression="zstd")
    column = pq.ParquetFile(src).metadata.row_group(2).column(1)
    data = bytearray(src.read_bytes())
    at = column.data_page_offset + column.total_compressed_size // 2
    data[at:at + 40] = b"\xff" * 40
    src.write_bytes(bytes(data))
    out = tmp_path / "out.jsonl"
    proc = score(plugin_dir, src, "-o", out, "-q")
    assert proc.returncode == 6 and proc.stderr.count("\n") == 1, proc.stderr
    done = int(re.search(r"after input line (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]
    assert 1000 <= done < 3000
    assert [json.loads(x)["line"] for x in out.read_text().splitlines()] == list(range(1, done + 1))


def test_unreadable_inputs_are_one_line_usage_errors(plugin_dir, tmp_path):
    datasets = pytest.importorskip("datasets")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 this is not parquet")
    (tmp_path / "junk.jsonl.gz").write_bytes(b"plain text, not gzip\n")
    (tmp_path / "bad_header.jsonl.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 30)
    rows = rows_of(6)
    pq.write_table(table_of([{"text": "x", "n": 1}]), tmp_path / "nocompletion.parquet")
    dataset = datasets.Dataset(table_of(rows))
    datasets.DatasetDict({"train": dataset, "test": dataset}).save_to_disk(str(tmp_path / "dd"))
    (tmp_path / "folder").mkdir()
    write_jsonl(tmp_path / "folder" / "train.jsonl", rows)
    cases = [
        ([tmp_path / "missing.parquet"], "does not exist"),
        ([tmp_path / "junk.parquet"], "not a readable Parquet file"),
        ([tmp_path / "junk.jsonl.gz"], "not a gzip file"),
        ([tmp_path / "bad_header.jsonl.gz"], "not a readable gzip file"),
        ([tmp_path / "nocompletion.parquet"], "none of the columns completion, completions, generations"),
        ([tmp_path / "nocompletion.parquet", "--completion-column", "answer"], "has no such column; its columns: "
                                                                              "text, n"),
        ([tmp_path / "dd"], "splits ['train', 'test']: choose one with --split"),
        ([tmp_path / "dd", "--split", "validation"], "has no split 'validation'; its splits: ['train', 'test']"),
        ([tmp_path / "nocompletion.parquet", "--split", "train"], "--split and --config-name apply to"),
        ([tmp_path / "no_such_folder"], "load_dataset("),
        ([tmp_path / "folder", "--split", "nope"], "Bad split: nope. Available splits: ['train']"),
    ]
    for args, message in cases:
        proc = score(plugin_dir, *args, "-o", tmp_path / "out.jsonl")
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert not (tmp_path / "out.jsonl").exists()


def test_exit_code_6_is_documented_everywhere():
    from rlvr.scoring import runner

    assert runner.EXIT_INPUT_FAILED == 6
    help_text = run_cli(["score", "--help"]).stdout
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.search(r"^  6\s+the input could not be read", help_text, re.M)
    assert re.search(r"^\| 6 \| the input could not be read", docs, re.M)
    assert "``6`` the input could not be read" in (runner.__doc__ or "")


def test_disk_full_while_converting_to_parquet_keeps_the_rows_for_resume(plugin_dir, tmp_path, tiny_disk):
    import random

    rng = random.Random(7)  # incompressible ids: the Parquet file is about as big as the rows file
    rows = [{"id": f"{rng.getrandbits(3200):0800x}", "completion": "x", "solution": "x"} for _ in range(50)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tiny_disk / "out.parquet"
    side = tiny_disk / "out.parquet.partial.jsonl"
    proc = score(plugin_dir, src, "-o", out, "-q")
    assert proc.returncode == 4, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"cannot write to {out}" in proc.stderr and "out.parquet.partial.jsonl holds every row up to input line 50" \
        in proc.stderr, proc.stderr
    assert sorted(p.name for p in tiny_disk.iterdir()) == [side.name]  # no half-written Parquet, no temporary file
    assert side.read_text() == score(plugin_dir, src, "-q").stdout  # every row kept
    subprocess.run(["mount", "-o", "remount,size=8m", str(tiny_disk)], check=True)  # room again
    resumed = score(plugin_dir, src, "-o", out, "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    assert pq.read_table(out).column("id").to_pylist() == [r["id"] for r in rows] and not side.exists()
