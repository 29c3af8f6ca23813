"""math_accuracy meets its verdict-accuracy targets on the labelled benchmark.

The labelled pairs are a copy, inside the repository, of the shared maths benchmark
(``tests/data/math_labelled_pairs.jsonl``: 642 rows, see ``benchmarks/bench_math_accuracy.py``
for the fields); the test reads nothing outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

from _file_module import load_file_module

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "math_labelled_pairs.jsonl"


def _bench_module():
    return load_file_module(REPO / "benchmarks/bench_math_accuracy.py")


def test_labelled_data_is_inside_the_repository():
    assert DATA.is_file() and REPO in DATA.resolve().parents
    assert _bench_module().find_dataset() == DATA


def test_math_accuracy_meets_targets():
    bench = _bench_module()
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if not r.get("exclude")]
    predicted, _status, _seconds = bench.run_rlvr(rows)
    by_split: dict[str, list[tuple[bool, bool]]] = {"independent": [], "regression": []}
    for row, pred in zip(rows, predicted):
        by_split[bench.split_name(row)].append((row["expected"], pred))
    independent = bench.metrics(by_split["independent"])
    regression = bench.metrics(by_split["regression"])
    assert independent["n"] >= 100 and regression["n"] >= 300
    assert independent["accuracy"] >= 0.90, independent
    assert independent["precision"] >= 0.97, independent
    assert regression["accuracy"] >= 0.97, regression
