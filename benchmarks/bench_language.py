"""Language consistency: speed and accuracy, side by side with simple baselines from the same run.

    python benchmarks/bench_language.py [--calls 300]

Speed: milliseconds per call on ~2,000-character chains of thought built from the labelled set
(zh target with English switches, en target with Chinese and Spanish, ja target), median and
p90 of ``--calls`` calls. Methods:

* ``rlvr script``: the default method (strip code/math, script counting, no detector);
* ``rlvr + py3langid`` / ``rlvr + lingua``: the optional detector extra, per sentence;
* ``naive regex``: a per-word regex script classifier without stripping (Han characters
  weighted 0.6 like rlvr, so only stripping and word rules differ);
* ``langdetect/sentence``: langdetect (seeded) on every sentence, words counted by whitespace.

Accuracy: mean absolute error of the proportion on ``tests/data/language_consistency.jsonl``
(hand-labelled segments; the labelling rule is in ``docs/language.md``). Baselines that are not
installed are reported as such.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rlvr import get_reward
from rlvr.verifiers.language import measure_language_consistency
from rlvr.verifiers.language_detect import available_backends, get_detector

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "language_consistency.jsonl"

# ----------------------------------------------------------------------------- baselines
_NAIVE = re.compile(r"([\u4e00-\u9fff])|([\u3040-\u30ff])|([A-Za-z]+)|([\u0400-\u04ff]+)|([\uac00-\ud7af]+)")
_NAIVE_LATIN = {"en", "es", "fr", "de", "pt", "it"}


def naive_regex(text: str, target: str) -> float:
    """Per-word regex script classifier, no stripping: Han -> zh, kana -> ja, Latin -> any Latin target."""
    counts = {"zh": 0.0, "ja": 0.0, "Latn": 0.0, "ru": 0.0, "ko": 0.0}
    for han, kana, latin, cyr, _hangul in _NAIVE.findall(text):
        if han:
            counts["zh"] += 0.6
        elif kana:
            counts["ja"] += 0.6
        elif latin:
            counts["Latn"] += 1
        elif cyr:
            counts["ru"] += 1
        else:
            counts["ko"] += 1
    total = sum(counts.values())
    if not total:
        return 0.0
    key = "Latn" if target in _NAIVE_LATIN else target
    if target == "ja":  # kana rule applied to the whole text
        return (counts["ja"] + (counts["zh"] if counts["ja"] else 0.0)) / total
    return counts[key] / total


_SENT = re.compile(r"(?<=[.!?。！？])\s*|\n")
_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def make_langdetect() -> Callable[[str, str], float] | None:
    if importlib.util.find_spec("langdetect") is None:
        return None
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0

    def per_sentence(text: str, target: str) -> float:
        hit = total = 0.0
        for sentence in _SENT.split(text):
            if not sentence or sentence.isspace():
                continue
            han = len(_HAN.findall(sentence))
            words = han * 0.6 + sum(1 for w in _HAN.sub(" ", sentence).split() if any(c.isalpha() for c in w))
            if not words:
                continue
            try:
                lang = detect(sentence)
            except LangDetectException:
                continue
            lang = "zh" if lang.startswith("zh") else lang
            total += words
            hit += words if lang == target else 0.0
        return hit / total if total else 0.0

    return per_sentence


# ----------------------------------------------------------------------------- harness
def load_rows() -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["text"] = "".join(t for _, t in row["segments"])
    return rows


def two_k(rows: list[dict], ids: list[str]) -> str:
    by_id = {r["id"]: r["text"] for r in rows}
    text = ""
    while len(text) < 2000:
        for i in ids:
            text += by_id[i] + "\n"
    return text[:2000]


def timed(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    fn()  # warm (lazy loads happen here, reported separately)
    samples = []
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    rows = load_rows()

    detectors = {}
    print("detector cold load (first use, this process):")
    for backend in available_backends():
        t = time.perf_counter()
        detectors[backend] = get_detector(backend)
        detectors[backend].probabilities("load every language model before timing")  # lingua loads lazily
        print(f"  {backend:10s} {time.perf_counter() - t:6.2f} s")
    if not detectors:
        print("  (none installed: pip install 'rlvr[lang]')")
    langdetect = make_langdetect()

    methods: dict[str, Callable[[str, str], float] | None] = {
        "rlvr script": lambda text, target: measure_language_consistency(text, target).proportion,
    }
    for backend, det in detectors.items():
        methods[f"rlvr + {backend}"] = lambda text, target, det=det: measure_language_consistency(text, target, detector=det).proportion
    rewards: dict[str, object] = {}

    def reward_score(text: str, target: str) -> float:
        # the whole reward (think extraction, Score), default method: detector="none"
        reward = rewards.get(target)
        if reward is None:
            reward = rewards[target] = get_reward("language_consistency", language=target, detector="none")
        return reward.score("<think>" + text + "</think>").value  # type: ignore[attr-defined]

    methods["reward.score, script"] = reward_score
    methods["naive regex"] = naive_regex
    methods["langdetect/sentence"] = langdetect

    cases = [
        ("zh target, zh+en+LaTeX", "zh", two_k(rows, ["zh-en-07", "zh-en-01", "zh-en-02", "zh-en-06", "zh-en-03"])),
        ("en target, en+zh+es", "en", two_k(rows, ["en-zh-03", "en-zh-01", "es-04", "en-pure-02", "en-de-02"])),
        ("ja target, ja+zh+en", "ja", two_k(rows, ["ja-01", "ja-02", "ja-03", "ja-06"])),
    ]
    print(f"\nspeed: ms per call on a 2,000-character CoT, median (p90) of {args.calls} calls")
    header = f"  {'method':22s}" + "".join(f"{name:>26s}" for name, _, _ in cases)
    print(header)
    base_median: dict[str, float] = {}
    for method, fn in methods.items():
        if fn is None:
            print(f"  {method:22s}  (not installed)")
            continue
        cells = []
        for name, target, text in cases:
            med, p90 = timed(lambda fn=fn, text=text, target=target: fn(text, target), args.calls if "lingua" not in method else max(10, args.calls // 20))
            if method == "rlvr script":
                base_median[name] = med
            ratio = med / base_median[name] if base_median.get(name) else 1.0
            cells.append(f"{med:7.3f} ({p90:6.3f}) x{ratio:5.1f}")
        print(f"  {method:22s}" + "".join(f"{c:>26s}" for c in cells))
    print("  (xN = median relative to 'rlvr script' in the same run; the target is <= 2 ms for 'rlvr script')")

    print(f"\naccuracy: mean absolute error of the proportion on {len(rows)} labelled samples ({DATA.name})")
    latin = {"en", "es", "fr", "de"}
    no_same_script = [r for r in rows if not (r["target"] in latin and len({lang for lang, _ in r["segments"]} & latin) > 1)]
    print(f"  {'method':22s} {'all':>8s} {'max err':>8s} {'no Latin-Latin switch':>22s}")
    for method, fn in methods.items():
        if fn is None:
            print(f"  {method:22s}  (not installed)")
            continue
        errs = {r["id"]: abs(fn(r["text"], r["target"]) - r["proportion"]) for r in rows}
        subset = [errs[r["id"]] for r in no_same_script]
        print(
            f"  {method:22s} {sum(errs.values()) / len(errs):8.4f} {max(errs.values()):8.3f} "
            f"{sum(subset) / len(subset):22.4f}   (n={len(rows)} / {len(subset)})"
        )
    print("  (target: MAE <= 0.03; without a detector Latin-script languages are told apart by script only)")


if __name__ == "__main__":
    sys.exit(main())
