"""Math-Verify's own test pairs (benchmarks/data/math_verify_suite.jsonl, extracted from its
repository by benchmarks/bench_math_verify_suite.py): rlvr never calls a pair equivalent that
Math-Verify's tests call different, except on the documented policy rows (docs/math.md)."""

from __future__ import annotations

import json
from pathlib import Path

from _file_module import load_file_module

REPO = Path(__file__).resolve().parents[1]


def _bench():
    return load_file_module(REPO / "benchmarks/bench_math_verify_suite.py")


def test_data_file_holds_the_suite():
    bench = _bench()
    rows = [json.loads(line) for line in bench.DATA.read_text().splitlines()]
    assert len(rows) >= 250 and sum(r["expected"] for r in rows) >= 200
    assert all({"gold", "prediction", "expected", "kind", "settings", "tags", "source"} <= set(r) for r in rows)
    assert all(r["source"].startswith("huggingface/Math-Verify@") for r in rows)


def test_no_false_positive_outside_documented_policies():
    bench = _bench()
    rows = [json.loads(line) for line in bench.DATA.read_text().splitlines()]
    rows = [r for r in rows if not any(t.startswith("artifact") or t == "disputed" for t in r["tags"])]
    predicted, status, _ = bench.run_rlvr(rows, boxed=True)
    false_pos = [r["id"] for p, r in zip(predicted, rows) if p and not r["expected"] and bench.kind_of(r, "") not in bench.POLICIES]
    assert false_pos == []
    agreement = sum(p == r["expected"] for p, r in zip(predicted, rows)) / len(rows)
    assert agreement >= 0.98, agreement
