"""Benchmark ``rlvr score`` reading + scoring each input format, JSONL as the baseline (same run).

Generates ROWS rows (default 50,000; string completions and GRPO groups, as in real sampling
output), writes them as JSONL, .jsonl.gz, .jsonl.zst, Parquet and a saved Hugging Face dataset
folder, then runs the installed ``rlvr score INPUT -r format --workers 1 -q`` on each (end to end,
process start included; best of REPEAT runs) and prints rows/s and the ratio to JSONL. Every
format must produce the same output bytes as JSONL; the benchmark checks it.

Usage: ``python benchmarks/bench_inputs.py [ROWS] [--repeat N] [--reward NAME ...]``.
Needs pyarrow, zstandard and datasets (``pip install 'rlvr[io]'``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    words = ["the", "of", "and", "to", "we", "so", "thus", "then", "let", "compute", "check", "answer", "sum"]
    rows = []
    for i in range(n):
        answer = str(rng.randint(0, 999))

        def completion(answer: str = answer) -> str:
            think = " ".join(rng.choice(words) for _ in range(rng.randint(20, 80)))
            return f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>"

        if i % 5 == 0:
            rows.append({"id": f"g{i}", "prompt": "What is it?", "completions": [completion() for _ in range(4)],
                         "solution": answer})
        else:
            rows.append({"id": f"r{i}", "prompt": "What is it?", "completion": completion(), "solution": answer})
    return rows


def write_inputs(rows: list[dict], folder: Path) -> dict[str, Path]:
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq
    import zstandard

    datasets.disable_progress_bars()
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    paths = {"jsonl": folder / "in.jsonl", "gz": folder / "in.jsonl.gz", "zst": folder / "in.jsonl.zst",
             "parquet": folder / "in.parquet", "hf_dir": folder / "saved"}
    paths["jsonl"].write_bytes(data)
    paths["gz"].write_bytes(gzip.compress(data, compresslevel=6))
    paths["zst"].write_bytes(zstandard.ZstdCompressor(level=3).compress(data))
    table = pa.Table.from_struct_array(pa.array(rows))
    pq.write_table(table, paths["parquet"])
    datasets.Dataset(table).save_to_disk(str(paths["hf_dir"]))
    return paths


def rlvr_command() -> list[str]:
    exe = Path(sys.executable).parent / "rlvr"
    return [str(exe)] if exe.exists() else [shutil.which("rlvr") or "rlvr"]


def run(path: Path, rewards: list[str], out: Path) -> float:
    cmd = rlvr_command() + ["score", str(path), "--workers", "1", "-q", "-o", str(out), "--overwrite"]
    for name in rewards:
        cmd += ["-r", name]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"rlvr score {path} failed ({proc.returncode}): {proc.stderr.strip()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per format; the best counts (default 2)")
    parser.add_argument("--reward", action="append", help="rewards to score with (default: format)")
    args = parser.parse_args()
    rewards = args.reward or ["format"]
    rows = make_rows(args.rows)
    n_out = sum(len(r.get("completions", [0])) for r in rows)
    folder = Path(tempfile.mkdtemp(prefix="rlvr-bench-inputs-"))
    try:
        paths = write_inputs(rows, folder)
        results: dict[str, float] = {}
        digests: dict[str, str] = {}
        for _ in range(args.repeat):  # interleaved, so load changes on a shared machine hit every format alike
            for name, path in paths.items():
                out = folder / f"out_{name}.jsonl"
                seconds = run(path, rewards, out)
                results[name] = min(results.get(name, float("inf")), seconds)
                digests[name] = hashlib.sha256(out.read_bytes()).hexdigest()
        base = results["jsonl"]
        print(f"rlvr score -r {' -r '.join(rewards)} --workers 1: {args.rows:,} input rows, {n_out:,} output rows "
              f"(best of {args.repeat}, process start included)")
        print(f"{'input':<9} {'size MB':>8} {'seconds':>8} {'rows/s':>9} {'vs JSONL':>9}  output")
        for name, path in paths.items():
            size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
            same = "identical" if digests[name] == digests["jsonl"] else "DIFFERENT"
            print(f"{name:<9} {size / 1e6:8.2f} {results[name]:8.2f} {n_out / results[name]:9,.0f} "
                  f"{base / results[name]:8.2f}x  {same}")
        if len(set(digests.values())) != 1:
            raise SystemExit("formats gave different output")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
