"""The local engine's serial part: for a plain JSONL file the parent process only finds chunk
boundaries (byte ranges) and writes results; workers read and parse their own lines. Same
lines, line numbers and output bytes as reading the file line by line (stdin), whatever the
chunking and the number of workers; workers start as work arrives."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import random
from pathlib import Path

import pytest
from test_cli import rlvr_command, run_cli

from rlvr.scoring import chunk as chunk_module
from rlvr.scoring.line_ranges import LineRange, LineRangeReader, read_range
from rlvr.scoring.plan import build_plan
from rlvr.scoring.resume import ResumeError
from rlvr.scoring.runner import ScoreOptions, run_scoring
from rlvr.scoring.sources import ChunkReader, InputReadError, JsonlSource
from rlvr.scoring.workers import run_parallel


def _random_file(path: Path, rng: random.Random) -> list[bytes]:
    lines = []
    for _ in range(rng.randint(0, 50)):
        k = rng.random()
        if k < 0.1:
            lines.append(b"")
        elif k < 0.15:
            lines.append(b"  \r")
        else:
            lines.append(os.urandom(rng.choice([1, 7, 60, 400, 9000, 70000])).replace(b"\n", b"x"))
    data = b"\n".join(lines) + (b"\n" if lines and rng.random() < 0.7 else b"")
    path.write_bytes(data)
    with open(path, "rb") as f:
        return list(f)


def test_line_ranges_give_the_lines_of_iterating_the_file(tmp_path):
    rng = random.Random(11)
    path = tmp_path / "f.jsonl"
    for _ in range(150):
        expect = _random_file(path, rng)
        size = rng.choice([1, 2, 5, 64])
        skip = rng.randint(0, len(expect)) if rng.random() < 0.3 else 0
        limit = rng.randint(0, len(expect) + 2) if rng.random() < 0.3 else None
        stop = len(expect) if limit is None else min(limit, len(expect))
        checked: list[bytes] = []
        reader = LineRangeReader(str(path), skip, size, checked.append, workers=rng.choice([1, 3, 16]), limit=limit,
                                 max_bytes=rng.choice([200, 8 << 20]))
        if skip > stop:
            with pytest.raises(ResumeError, match="resume with the input"):
                list(reader)
            continue
        got: list[tuple[int, bytes]] = []
        for job in reader:
            lines = read_range(job)
            assert job.first_line == len(got) + skip + 1
            assert len(lines) == job.n_lines and (len(lines) <= size or len(lines) == 1)
            got.extend((job.first_line + i, line) for i, line in enumerate(lines))
        assert checked == ([expect[skip - 1]] if skip else [])
        assert got == [(i + 1, raw.rstrip(b"\n")) for i, raw in enumerate(expect)][skip:stop]
        assert reader.bytes_read == (path.stat().st_size if stop == len(expect) else reader.bytes_read)


def test_last_chunks_shrink_so_workers_finish_together(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(b'{"completion": "%d"}\n' % i for i in range(200_000)))  # ~4 MB
    size = path.stat().st_size
    jobs = list(LineRangeReader(str(path), 0, 4096, workers=8))
    for job in jobs:
        assert job.length <= max(64 * 1024 + 32, (size - job.offset) // 24 + 32)
    assert jobs[-1].length <= 64 * 1024 + 32 and sum(j.n_lines for j in jobs) == 200_000


def test_a_job_is_a_few_numbers_whatever_the_lines(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(json.dumps({"completion": "x" * 100_000, "id": i}).encode() + b"\n" for i in range(20)))
    jobs = list(JsonlSource(str(path)).line_ranges(0, 8, workers=2))
    assert all(isinstance(j, LineRange) for j in jobs)
    assert sum(j.n_lines for j in jobs) == 20
    assert max(len(pickle.dumps(j)) for j in jobs) < 400  # the lines (2 MB) stay in the file


def test_read_range_refuses_a_file_that_changed(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b'{"completion": "a"}\n{"completion": "b"}\n')
    (job,) = list(LineRangeReader(str(path), 0, 10))
    path.write_bytes(b'{"completion": "a"}\n\n\n{"completion": "b"}\n')
    with pytest.raises(InputReadError, match="after input line 0: the file changed while it was being scored: "
                                             "input lines 1-2 are not"):
        read_range(job)


def test_a_range_that_cannot_be_read_any_more_ends_the_run_after_the_chunks_before(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(b'{"completion": "%d"}\n' % i for i in range(100)))
    jobs = list(LineRangeReader(str(path), 0, 30))
    assert len(jobs) == 4
    with open(path, "r+b") as f:  # the file loses its end after the first two chunks were cut
        f.truncate(jobs[2].offset + 5)
    got: list[int] = []
    with pytest.raises(InputReadError, match="after input line 60: .*input lines 61-90"):
        run_parallel(build_plan(["format"]), jobs, 2, lambda result: got.append(result.first_line))
    assert got == [1, 31]


def test_the_parent_neither_reads_lines_nor_parses_them(tmp_path, monkeypatch):
    """With workers, the parent of a JSONL run only cuts byte ranges; a parent that cut the
    input into lists of lines or parsed them (the old serial part) fails this test."""
    parent = os.getpid()
    real_parse = chunk_module.parse_line

    def parse_line_outside_parent(*args, **kwargs):
        assert os.getpid() != parent, "the parent process parsed an input line"
        return real_parse(*args, **kwargs)

    def no_line_chunks(self):
        raise AssertionError("the parent process cut the input into chunks of lines")

    monkeypatch.setattr(chunk_module, "parse_line", parse_line_outside_parent)
    monkeypatch.setattr(ChunkReader, "__iter__", no_line_chunks)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "completion": f"<think>t</think><answer>{i}</answer>"}) + "\n"
                           for i in range(3000)))
    out = tmp_path / "out.jsonl"
    plan = build_plan(["format", "tag_count"])
    code = run_scoring(ScoreOptions(input=str(src), plan=plan, output=str(out), workers=2, quiet=True))
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["line"] for r in rows] == list(range(1, 3001)) and rows[-1]["id"] == 2999


def test_workers_start_only_as_jobs_arrive(tmp_path):
    plan = build_plan(["format"])
    seen: list[int] = []
    jobs = [(1, [b'{"completion": "a"}']), (2, [b'{"completion": "b"}'])]
    run_parallel(plan, jobs, 8, lambda result: seen.append(len(multiprocessing.active_children())))
    assert len(seen) == 2 and max(seen) <= 2  # two jobs: two workers forked, not eight


def _edge_case_input(path: Path) -> bytes:
    rows = [json.dumps({"id": i, "completion": f"<think>r{i}</think>\n<answer>{i}</answer>", "solution": str(i)})
            for i in range(400)]
    rows[3] = ""  # blank line
    rows[10] = '{"id": "torn", "completion": '  # malformed
    rows[11] = json.dumps({"id": "grp", "completions": ["<think>a</think><answer>1</answer>", "x"], "solution": "1"})
    rows[50] = json.dumps({"id": "long", "completion": "<think>" + "y" * 300_000 + "</think><answer>5</answer>"})
    rows[60] = rows[60] + "\r"  # CRLF line
    data = ("\n".join(rows)).encode()  # no newline after the last line
    path.write_bytes(data)
    return data


def test_output_is_byte_identical_across_workers_chunking_and_stdin(tmp_path):
    src = tmp_path / "in.jsonl"
    data = _edge_case_input(src)
    rewards = ["-r", "format", "-r", "numeric_answer=0.5"]
    outputs = {}
    for label, extra in {"stdin": ["--workers", "1"], "w1": ["--workers", "1"], "w2": ["--workers", "2"],
                         "w3-chunk7": ["--workers", "3", "--chunk-size", "7"],
                         "w2-chunk1": ["--workers", "2", "--chunk-size", "1"]}.items():
        out = tmp_path / f"{label}.jsonl"
        if label == "stdin":
            proc = run_cli(["score", "-", *rewards, *extra, "-o", str(out)], stdin=data.decode())
        else:
            proc = run_cli(["score", str(src), *rewards, *extra, "-o", str(out)])
        assert proc.returncode == 1, proc.stderr  # the malformed line
        outputs[label] = out.read_bytes()
    assert len({v for v in outputs.values()}) == 1, {k: len(v) for k, v in outputs.items()}
    rows = [json.loads(line) for line in outputs["w2"].splitlines()]
    assert [r["line"] for r in rows if r["index"] in (0, None)] == [n for n in range(1, 401) if n != 4]
    assert rows[-1]["line"] == 400 and rows[-1]["id"] == 399


def test_resume_with_workers_continues_a_cut_output(tmp_path):
    src = tmp_path / "in.jsonl"
    _edge_case_input(src)
    rewards = ["-r", "format", "-r", "numeric_answer=0.5"]
    full = tmp_path / "full.jsonl"
    assert run_cli(["score", str(src), *rewards, "-o", str(full), "--workers", "2"]).returncode == 1
    expected = full.read_bytes()
    for cut_rows in (1, 11, 52, 300):
        part = tmp_path / f"part{cut_rows}.jsonl"
        part.write_bytes(b"".join(expected.splitlines(keepends=True)[:cut_rows]))
        proc = run_cli(["score", str(src), *rewards, "-o", str(part), "--workers", "2", "--resume"])
        assert proc.returncode == 1, proc.stderr
        assert part.read_bytes() == expected


def test_installed_command_scores_a_large_file_with_two_workers(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "completion": f"<think>t</think>\n<answer>{i}</answer>"}) + "\n"
                           for i in range(20_000)))
    out1, out2 = tmp_path / "o1.jsonl", tmp_path / "o2.jsonl"
    for out, workers in ((out1, "1"), (out2, "2")):
        proc = run_cli(["score", str(src), "-r", "format", "-o", str(out), "--workers", workers, "-q"])
        assert proc.returncode == 0, proc.stderr
    assert out1.read_bytes() == out2.read_bytes() and out1.read_bytes().count(b"\n") == 20_000
    assert rlvr_command()
