"""rlvr's ``math_accuracy`` on Math-Verify's own test pairs (a peer's regression suite).

Math-Verify (huggingface/Math-Verify) tests its grader with ~270 (gold, prediction, expected)
pairs. They encode its design choices, several of which rlvr refuses on purpose (see
docs/math.md, "Math-Verify's test suite"), so this is a measure of agreement and of false
positives, not an accuracy target. What is reported, side by side with math-verify itself
(``verify(parse(gold), parse(prediction))`` with the per-test settings, measured in the same run):

* agreement with the expected verdicts, overall and per Math-Verify test function;
* false positives (rlvr says correct where Math-Verify's test says wrong): must be 0;
* false negatives, grouped by kind (the ``policy:*`` tag of the pair, else its test function).

Two ways of feeding rlvr, both reported: ``as written`` (the prediction text is the completion:
rlvr's strict extraction applies, so free text whose only cue is a bare ``$...$`` has no answer)
and ``boxed`` (the prediction wrapped in ``\\boxed{}`` unless it already holds a box).
Rows tagged ``artifact:*`` (labels corrupted by ``\\t``/``\\f`` escapes in the test source) or
``disputed`` (a wrong label) are reported separately and not counted.

Data: ``benchmarks/data/math_verify_suite.jsonl`` (one pair per line: ``id``, ``gold``,
``prediction``, ``expected``, ``kind`` (test function), ``settings`` (match types, precision,
strict, allow_set_relation_comp), ``tags``, ``source``). Regenerate it from a Math-Verify
checkout (its tests are run once under a recording pytest plugin; only the pairs are stored)::

    python benchmarks/bench_math_verify_suite.py --extract PATH_TO_MATH_VERIFY_GIT_DIR

Run: ``python benchmarks/bench_math_verify_suite.py [--show-errors] [--check]`` (``--check``
exits 1 on any false positive outside the documented policy rows).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks/data/math_verify_suite.jsonl"

# Pairs whose label is known bad: excluded from the counts (see docs/math.md).
KNOWN_BAD = {
    ("$1 - \\frac{1}{\\mathrm{e}}$", "$1 + \\frac{1}{\\mathrm{e}}$"): "disputed",  # 1-1/e is not 1+1/e (upstream PR #82)
}

# Kinds of pairs whose expectation rlvr refuses on purpose (keys of ``classify``), with the reason.
POLICIES = {
    "policy:assignment": "an equation/assignment gold (`k=1`, `f(x)=1`, `7=11a+c`) vs a bare value: strict variables",
    "policy:solution-chain": "a chain `x = 5+5+1 = 7 = 11` is not a final answer",
    "policy:approx-suffix": "`x = 1/3 \\approx 1.3`: the approximate tail is what the model asserts",
    "policy:set-vs-relation": "an inequality gold vs an interval answer (allow_set_relation_comp=False)",
    "policy:tuple-vs-set": "`(3,1)` is an ordered pair, `{1,3}` a set",
    "policy:multi-boxed": "every box of a reference is part of one multi-part answer, whatever the prose "
                          "between them (issue 9 item 15); math-verify joins only nearby boxes",
    "policy:comma-tuple": "`32, 349` is a list of two numbers, not the number 32349",
    "policy:strict-variables": "`f(x)` vs `f(y)` under strict=False",
    "policy:pm": "`\\pm 2021` vs `2021`",
    "approx": "a decimal against an exact value at the test's low `precision`",
    "no-answer-marker": "free text whose only cue is a bare `$...$` or a number: no answer marker",
}


# --------------------------------------------------------------------------- extraction
_RECORDER = r'''
import json, os
import pytest

_OUT = os.environ["RLVR_MV_RECORD"]
_calls = []


def _install():
    import tests.test_all as suite
    original = suite.compare_strings

    def recording(gold, pred, match_types=["latex", "expr"], precision=6, strict=True, allow_set_relation_comp=False):
        result = original(gold, pred, match_types=match_types, precision=precision, strict=strict,
                          allow_set_relation_comp=allow_set_relation_comp)
        _calls.append({"gold": gold, "prediction": pred, "expected": bool(result),
                       "settings": {"match_types": list(match_types), "precision": precision, "strict": strict,
                                    "allow_set_relation_comp": allow_set_relation_comp}})
        return result

    suite.compare_strings = recording


_install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    del _calls[:]
    outcome = yield
    calls = list(_calls)
    params = getattr(getattr(item, "callspec", None), "params", {})
    if not calls and {"gold", "pred", "result"} <= set(params):  # tests that call parse/verify directly
        calls = [{"gold": params["gold"], "prediction": params["pred"], "expected": bool(params["result"]),
                  "settings": {"match_types": ["parse-defaults"], "precision": 6, "strict": True,
                               "allow_set_relation_comp": False}}]
    with open(_OUT, "a") as f:
        for c in calls:
            f.write(json.dumps({"node": item.nodeid, "passed": outcome.excinfo is None, **c}) + "\n")
'''


def classify(gold: str, pred: str, expected: bool) -> list[str]:
    """Tags of a pair: known-bad labels (``artifact:*``, ``disputed``) and the policy kinds above."""
    tags = []
    if any(c in gold + pred for c in "\t\f\b\v"):
        tags.append("artifact:escape-sequence")
    bad = KNOWN_BAD.get((gold, pred))
    if bad:
        tags.append(bad)
    return tags


def extract(git_dir: Path, out: Path) -> int:
    """Run Math-Verify's tests (from ``git_dir`` at HEAD) under the recording plugin; write the pairs."""
    commit = subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "HEAD", "tests"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "x"], input=archive, cwd=tmp, check=True)
        Path(tmp, "conftest.py").write_text(_RECORDER)
        record = Path(tmp, "record.jsonl")
        env = dict(os.environ, RLVR_MV_RECORD=str(record))
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=tmp, env=env)
        raw = [json.loads(line) for line in record.read_text().splitlines()]
    # policy tags are a reviewer's judgement: keep those of pairs already in the file
    old = {}
    if out.is_file():
        for line in out.read_text().splitlines():
            o = json.loads(line)
            old[(o["gold"], o["prediction"], o["expected"])] = [t for t in o["tags"] if t.startswith("policy:") or t == "approx"]
    rows = []
    for n, r in enumerate(x for x in raw if x["passed"]):
        path, _, test = r["node"].partition("::")
        kind = test.split("[")[0]
        rows.append({"id": f"mv-{n:04d}", "gold": r["gold"], "prediction": r["prediction"], "expected": r["expected"],
                     "kind": kind, "settings": r["settings"], "tags": classify(r["gold"], r["prediction"], r["expected"])
                     + old.get((r["gold"], r["prediction"], r["expected"]), []),
                     "source": f"huggingface/Math-Verify@{commit}:{path}::{kind}"})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} pairs ({sum(r['expected'] for r in rows)} expected equivalent) written to {out}")
    return 0


# --------------------------------------------------------------------------- running
def as_boxed(pred: str) -> str:
    return pred if ("\\boxed" in pred or "\\fbox" in pred) else "\\boxed{" + pred + "}"


def run_rlvr(rows: list[dict], boxed: bool) -> tuple[list[bool], list[str], float]:
    from rlvr import get_reward

    reward = get_reward("math_accuracy", timeout_seconds=10.0, max_answer_chars=20_000, workers=2)
    t = time.perf_counter()
    completions = [as_boxed(r["prediction"]) if boxed else r["prediction"] for r in rows]
    scores = reward.score_batch(completions, solution=[r["gold"] for r in rows])
    return [s.value == 1.0 for s in scores], [s.status.value for s in scores], time.perf_counter() - t


def run_math_verify(rows: list[dict]) -> tuple[list[bool], list[str], float]:
    """Math-Verify itself with each test's own settings (the baseline: agrees by construction)."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    out, status = [], []
    t = time.perf_counter()
    for r in rows:
        s = r["settings"]
        configs = None
        if s["match_types"] != ["parse-defaults"]:
            configs = [LatexExtractionConfig(boxed_match_priority=0) if m == "latex" else ExprExtractionConfig()
                       for m in s["match_types"]]
        try:
            g = parse(r["gold"], configs) if configs else parse(r["gold"])
            p = parse(r["prediction"], configs) if configs else parse(r["prediction"])
            out.append(bool(verify(g, p, float_rounding=s["precision"], strict=s["strict"],
                                   allow_set_relation_comp=s["allow_set_relation_comp"])))
            status.append("ok")
        except Exception as exc:  # report, never crash the benchmark
            out.append(False)
            status.append(type(exc).__name__)
    return out, status, time.perf_counter() - t


def kind_of(row: dict, status: str) -> str:
    policy = [t for t in row["tags"] if t.startswith("policy:") or t == "approx"]
    if policy:
        return policy[0]
    if status == "no_answer":
        return "no-answer-marker"
    return "unclassified:" + row["kind"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--extract", metavar="GIT_DIR", help="regenerate the data file from a Math-Verify git directory")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--check", action="store_true", help="exit 1 on any false positive")
    args = ap.parse_args(argv)
    if args.extract:
        return extract(Path(args.extract), Path(args.data))
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.ERROR)
    all_rows = [json.loads(line) for line in Path(args.data).read_text().splitlines() if line.strip()]
    bad = [r for r in all_rows if any(t.startswith("artifact") or t == "disputed" for t in r["tags"])]
    rows = [r for r in all_rows if r not in bad]
    print(f"{len(all_rows)} Math-Verify test pairs ({sum(r['expected'] for r in all_rows)} expected equivalent); "
          f"{len(bad)} with a corrupted or wrong label left out: {[r['id'] for r in bad]}")

    graders = {
        "math-verify (per-test config)": run_math_verify(rows),
        "rlvr, as written": run_rlvr(rows, boxed=False),
        "rlvr, boxed": run_rlvr(rows, boxed=True),
    }
    header = f"{'grader':32} {'n':>4} {'agree':>6} {'FP':>4} {'FP pol':>6} {'FN':>4} {'time s':>7}"
    print(header)
    print("-" * len(header))
    fps_total = 0
    policy_fps: list[str] = []
    for name, (pred, _status, seconds) in graders.items():
        agree = sum(p == r["expected"] for p, r in zip(pred, rows))
        fp_rows = [r for p, r in zip(pred, rows) if p and not r["expected"]]
        fp_policy = [r for r in fp_rows if kind_of(r, "") in POLICIES]
        fn = sum(r["expected"] and not p for p, r in zip(pred, rows))
        if name.startswith("rlvr"):
            fps_total += len(fp_rows) - len(fp_policy)
            policy_fps += [f"{name}: {r['id']} ({kind_of(r, '')})" for r in fp_policy]
        print(f"{name:32} {len(rows):4d} {agree / len(rows):6.3f} {len(fp_rows):4d} {len(fp_policy):6d} {fn:4d} {seconds:7.1f}")
    print("(FP: rlvr says equivalent where the test says not; 'FP pol': of those, rows of a documented policy)")

    for name in ("rlvr, as written", "rlvr, boxed"):
        pred, status, _ = graders[name]
        by_kind: Counter[str] = Counter()
        by_test: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for p, s, r in zip(pred, status, rows):
            by_test[r["kind"]][0] += p == r["expected"]
            by_test[r["kind"]][1] += 1
            if r["expected"] and not p:
                by_kind[kind_of(r, s)] += 1
        print(f"\n{name}: false negatives by kind")
        for kind, count in by_kind.most_common():
            print(f"  {count:4d}  {kind:28} {POLICIES.get(kind, '')}")
        print(f"{name}: agreement per Math-Verify test function")
        for test, (ok, n) in sorted(by_test.items()):
            print(f"  {ok:4d}/{n:<4d} {test}")
        if args.show_errors:
            for p, s, r in zip(pred, status, rows):
                if p != r["expected"]:
                    print(f"  {r['id']} expected={r['expected']!s:5} got={s:16} gold={r['gold'][:60]!r} "
                          f"pred={r['prediction'][:70]!r} {r['tags']}")
    print(f"\nfalse positives (rlvr) outside documented policies: {fps_total}",
          "(target 0: MET)" if fps_total == 0 else "(target 0: MISSED)")
    if policy_fps:
        print("on documented policy rows (see docs/math.md):", "; ".join(policy_fps))
    return 1 if (fps_total and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
