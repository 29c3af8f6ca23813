"""Verdict accuracy of rlvr's ``math_accuracy`` against human/third-party labels, side by side
with plain ``math_verify.verify(parse(gold), parse(pred))`` and TRL's ``accuracy_reward``.

Data: ``tests/data/math_labelled_pairs.jsonl`` (a copy of the shared labelled maths pairs;
rows with ``exclude`` are skipped; fields ``id``, ``prediction``, ``gold``, ``expected``, ``set``,
``split``, ``tags``, ``exclude``, ``source``, ``note``). Each prediction is an answer string; rlvr and TRL get it as a
completion ``\\boxed{prediction}`` (as is when it already holds a ``\\boxed`` or a think
block); plain math-verify gets the raw strings. rlvr runs with its defaults except
``max_answer_chars=20000``: some regression "answers" are whole worked solutions.

Run: ``python benchmarks/bench_math_accuracy.py [--data PATH] [--check] [--show-errors]``.
``--check`` exits 1 when rlvr misses its targets (independent: accuracy >= 0.90 and
precision >= 0.97; regression: accuracy >= 0.97).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"independent": {"accuracy": 0.90, "precision": 0.97}, "regression": {"accuracy": 0.97}}


def find_dataset(explicit: str | None = None) -> Path:
    """``--data``, else the copy in the repository (``tests/data/math_labelled_pairs.jsonl``)."""
    candidates = [Path(explicit)] if explicit else []
    candidates.append(REPO / "tests/data/math_labelled_pairs.jsonl")
    for c in candidates:
        if c.is_file():
            return c
    raise SystemExit("labelled pairs not found; looked in: " + ", ".join(map(str, candidates)) + " (pass --data)")


def split_name(row: dict) -> str:
    return "independent" if row["split"] == "independent" else "regression"


def as_completion(pred: str) -> str:
    return pred if ("\\boxed" in pred or "</think>" in pred) else "\\boxed{" + pred + "}"


def metrics(pairs: list[tuple[bool, bool]]) -> dict[str, float]:
    c = Counter(pairs)
    tp, fp, fn, tn = c[(True, True)], c[(False, True)], c[(True, False)], c[(False, False)]
    n = max(1, len(pairs))
    return {"n": len(pairs), "accuracy": (tp + tn) / n, "precision": tp / max(1, tp + fp),
            "recall": tp / max(1, tp + fn), "FP": fp, "FN": fn}


def run_rlvr(rows: list[dict], workers: int = 2) -> tuple[list[bool], list[str], float]:
    from rlvr import get_reward

    # Some regression "answers" are whole worked solutions (up to 11 k characters): the answer
    # length cap that protects training (default 1000) would refuse them before any verdict.
    reward = get_reward("math_accuracy", timeout_seconds=10.0, max_answer_chars=20_000, workers=workers)
    t = time.perf_counter()
    scores = reward.score_batch([as_completion(r["prediction"]) for r in rows], solution=[r["gold"] for r in rows])
    return [s.value == 1.0 for s in scores], [s.status.value for s in scores], time.perf_counter() - t


def run_plain_math_verify(rows: list[dict]) -> tuple[list[bool], list[str], float]:
    from math_verify import parse, verify

    out, status = [], []
    t = time.perf_counter()
    for r in rows:
        try:
            ok = bool(verify(parse(r["gold"]), parse(r["prediction"])))
            status.append("ok")
        except Exception as exc:  # report, never crash the benchmark
            ok = False
            status.append(type(exc).__name__)
        out.append(ok)
    return out, status, time.perf_counter() - t


def run_trl(rows: list[dict]) -> tuple[list[bool], list[str], float] | None:
    try:
        from trl.rewards import accuracy_reward
    except Exception as exc:  # TRL not installed: the column is left out
        print(f"(TRL accuracy_reward unavailable: {exc})")
        return None
    out, status = [], []
    t = time.perf_counter()
    for r in rows:
        v = accuracy_reward(completions=[[{"role": "assistant", "content": as_completion(r["prediction"])}]],
                            solution=[r["gold"]])[0]
        out.append(v == 1.0)
        status.append("none" if v is None else "ok")
    return out, status, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--no-baselines", action="store_true")
    args = ap.parse_args(argv)
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    path = find_dataset(args.data)
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if not r.get("exclude")]
    print(f"{len(rows)} labelled pairs from {path}")

    graders: dict[str, tuple[list[bool], list[str], float]] = {"rlvr math_accuracy": run_rlvr(rows)}
    if not args.no_baselines:
        graders["verify(parse(g), parse(p))"] = run_plain_math_verify(rows)
        trl = run_trl(rows)
        if trl is not None:
            graders["TRL accuracy_reward"] = trl

    header = f"{'grader':30} {'split':12} {'n':>4} {'acc':>6} {'prec':>6} {'rec':>6} {'FP':>4} {'FN':>4} {'None':>5}"
    print(header)
    print("-" * len(header))
    results: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for name, (pred, status, seconds) in graders.items():
        for split in ("independent", "regression"):
            idx = [i for i, r in enumerate(rows) if split_name(r) == split]
            m = metrics([(rows[i]["expected"], pred[i]) for i in idx])
            unjudged = sum(status[i] in ("gold_unparseable", "none", "error") for i in idx)
            results[name][split] = m
            print(f"{name:30} {split:12} {m['n']:4d} {m['accuracy']:6.3f} {m['precision']:6.3f} {m['recall']:6.3f} "
                  f"{m['FP']:4d} {m['FN']:4d} {unjudged:5d}")
        print(f"{'':30} time {seconds:.1f} s for {len(rows)} pairs")

    ours_pred, ours_status, _ = graders["rlvr math_accuracy"]
    print("\nrlvr status counts:", dict(Counter(ours_status)))
    if args.show_errors:
        for r, p, s in zip(rows, ours_pred, ours_status):
            if p != r["expected"]:
                print(f"  {r['id']:12} expected={r['expected']!s:5} got={s:16} gold={r['gold'][:60]!r} pred={r['prediction'][:60]!r} {r['tags']}")

    failed = []
    for split, targets in TARGETS.items():
        for metric, target in targets.items():
            got = results["rlvr math_accuracy"][split][metric]
            if got < target:
                failed.append(f"{split} {metric} {got:.3f} < {target}")
    print("\ntargets:", "MET" if not failed else "MISSED: " + "; ".join(failed))
    return 1 if (failed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
