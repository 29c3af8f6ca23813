"""Throughput of the format-family rewards, side by side with the originals.

    python benchmarks/bench_format.py [--n 5000] [--repeat 7]

1. 2 KB completions (a mix of valid and invalid layouts), scored through the full TRL
   call path (``reward(completions=...)``, conversational shape): completions/s per core,
   next to TRL's ``trl.rewards.think_format_reward`` on the same data (ratio = rlvr / TRL),
   and to the original recipes' regex functions re-stated as plain Python (no rlvr overhead).
   The rlvr base overhead (a reward whose judge does nothing) is measured too.
2. 1 MB hostile completions (repeated / unbalanced tags, near misses): seconds per
   completion for every reward (budget: 50 ms), plus the original regexes on a 50 KB slice
   of the same input (they are quadratic on several of these).

Single process, single thread: figures are per core. The machine may be shared, so compare
ratios, not absolute numbers; the best of ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from typing import Any

from rlvr import get_reward
from rlvr.rewards.base import Reward
from rlvr.score import Score, Status

UNSLOTH = {"think_open": "<start_working_out>", "think_close": "<end_working_out>", "answer_open": "<SOLUTION>", "answer_close": "</SOLUTION>"}

CONFIGS: list[tuple[str, str, dict[str, Any]]] = [
    ("format (flexible)", "format", {}),
    ("format (open_r1)", "format", {"layout": "open_r1"}),
    ("format (gsm8k_strict)", "format", {"layout": "gsm8k_strict", "think_tag": "reasoning"}),
    ("format (gsm8k_soft)", "format", {"layout": "gsm8k_soft", "think_tag": "reasoning"}),
    ("format (unsloth, prefilled)", "format", {**UNSLOTH, "prefilled": True, "value": 3.0, "eos_token": "<|endoftext|>"}),
    ("format_approx", "format_approx", {}),
    ("think_format", "think_format", {}),
    ("tag_count", "tag_count", {}),
    ("xml_count", "xml_count", {}),
    ("reasoning_steps", "reasoning_steps", {}),
    ("reasoning_steps (custom cues)", "reasoning_steps", {"cues": [r"Therefore", r"\bso\b", r"^\d+\)"]}),
]


# ----------------------------------------------------------------------------- originals (as specified)
_OPEN_R1 = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)
_GSM_STRICT = re.compile(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$")
_GSM_SOFT = re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>")
_STEPS = re.compile(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)")


def orig_open_r1(texts: list[str]) -> list[float]:
    return [1.0 if _OPEN_R1.match(t) else 0.0 for t in texts]


def orig_gsm_strict(texts: list[str]) -> list[float]:
    return [0.5 if _GSM_STRICT.match(t) else 0.0 for t in texts]


def orig_gsm_soft(texts: list[str]) -> list[float]:
    return [0.5 if _GSM_SOFT.match(t) else 0.0 for t in texts]


def orig_tag_count(texts: list[str]) -> list[float]:
    return [sum(0.25 for m in ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>") if t.count(m) == 1) for t in texts]


def orig_count_xml(texts: list[str]) -> list[float]:
    out = []
    for t in texts:
        c = 0.0
        if t.count("<think>\n") == 1:
            c += 0.125
        if t.count("\n</think>\n") == 1:
            c += 0.125
        if t.count("\n<answer>\n") == 1:
            c += 0.125 - len(t.split("\n</answer>\n")[-1]) * 0.001
        if t.count("\n</answer>") == 1:
            c += 0.125 - (len(t.split("\n</answer>")[-1]) - 1) * 0.001
        out.append(c)
    return out


def orig_steps(texts: list[str]) -> list[float]:
    return [min(1.0, len(_STEPS.findall(t)) / 3) for t in texts]


BASELINES: dict[str, tuple[str, Callable[[list[str]], list[float]]]] = {
    "format (open_r1)": ("open-r1 format regex", orig_open_r1),
    "format (gsm8k_strict)": ("GSM8K strict regex", orig_gsm_strict),
    "format (gsm8k_soft)": ("GSM8K soft regex", orig_gsm_soft),
    "tag_count": ("open-r1 tag_count", orig_tag_count),
    "xml_count": ("GSM8K count_xml", orig_count_xml),
    "reasoning_steps": ("open-r1 reasoning_steps", orig_steps),
}


class _Noop(Reward):
    """Measures the base-class per-sample overhead (normalise + Sample + Score)."""

    name = "noop_bench"

    def judge(self, sample):  # type: ignore[override]
        return Score(1.0, Status.OK)


# ----------------------------------------------------------------------------- data
def make_completions(n: int, size: int = 2048, seed: int = 0) -> list[str]:
    """~2 KB completions: 60% valid think/answer layouts (line tags, one-line tags, reasoning
    tags, Unsloth tags, numbered steps), 40% broken (missing/repeated tags, junk after)."""
    rng = random.Random(seed)
    words = ["so", "we", "compute", "the", "sum", "then", "First,", "Next,", "Step", "3:", "check", "12", "+", "30", "=", "42", "therefore"]
    out = []
    for i in range(n):
        body = []
        while sum(len(w) + 1 for w in body) < size - 120:
            w = rng.choice(words)
            body.append(w + ("\n" if rng.random() < 0.1 else " "))
        reasoning = "".join(body)
        kind = i % 10
        if kind < 3:
            text = f"<think>\n{reasoning}\n</think>\n<answer>\n42\n</answer>"
        elif kind == 3:
            text = f"<think>{reasoning}</think> <answer>42</answer>"
        elif kind == 4:
            text = f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n42\n</answer>\n"
        elif kind == 5:
            text = f"{reasoning}<end_working_out><SOLUTION>42</SOLUTION><|endoftext|>"
        elif kind == 6:
            text = f"<think>\n{reasoning}\n</think>\n<answer>\n42\n</answer>\nAlso, {reasoning[:80]}"
        elif kind == 7:
            text = f"<think>{reasoning}<think>more</think><answer>42</answer>"
        elif kind == 8:
            text = f"<think>\n{reasoning}"  # truncated
        else:
            text = f"The answer is 42. {reasoning}"
        out.append(text[: size + 64])
    return out


def hostile_inputs(size: int = 1_000_000) -> dict[str, str]:
    return {
        "repeated <think>": "<think>" * (size // 7),
        "repeated \\n</answer>": "\n</answer>" * (size // 10),
        "open_r1 near miss": "<think>\n" + "\n</think>\n<answer>\n" * (size // 19),
        "soft near miss": "<think>" + "</think> <answer>" * (size // 17),
        "gsm8k soft near miss": "<reasoning>" + "</reasoning> <answer>" * (size // 21),
        "unbalanced tags": "<think><answer></think></answer>\n" * (size // 34),
        "newlines": "\n" * size,
        "numbered-ish lines": "\n1" * (size // 2),
        "whitespace gap": "<think>a</think>" + " " * size + "<answer>",
    }


# ----------------------------------------------------------------------------- timing
def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def interleaved(repeat: int, *fns: Callable[[], Any]) -> list[float]:
    """Best time of each function, alternating them so that load spikes on a shared machine
    hit all of them alike (the ratios stay meaningful)."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="completions per throughput run")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    texts = make_completions(args.n)
    conv = [[{"role": "assistant", "content": t}] for t in texts]
    avg = sum(map(len, texts)) / len(texts)
    n = len(conv)
    print(f"# 1. throughput: {n} completions, mean {avg:.0f} chars, best of {args.repeat} interleaved runs, per core\n")
    try:
        from trl.rewards import think_format_reward
    except ImportError:
        think_format_reward = None
        print("TRL not installed: no baseline ratio")

    def trl_call() -> None:
        if think_format_reward is not None:
            think_format_reward(conv)

    noop = _Noop()
    t_trl, t_noop = interleaved(args.repeat, trl_call, lambda: noop(completions=conv))
    if think_format_reward is not None:
        print(f"{'TRL think_format_reward (baseline)':38s} {n / t_trl:12,.0f} /s")
    print(f"{'rlvr base overhead (no-op reward)':38s} {n / t_noop:12,.0f} /s   ({t_noop / n * 1e6:.2f} us/sample: "
          "normalise + Sample + Score)\n")

    header = (f"{'reward':38s} {'rlvr /s':>12s} {'us/sample':>10s} {'judge us':>9s} {'x TRL':>7s}"
              "   original recipe fn (/s, rlvr/orig)")
    print(header)
    print("-" * len(header))
    for label, name, params in CONFIGS:
        reward = get_reward(name, **params)
        fns = [lambda r=reward: r(completions=conv), trl_call, lambda: noop(completions=conv)]
        if label in BASELINES:
            blabel, bfn = BASELINES[label]
            fns.append(lambda f=bfn: f(texts))
        times = interleaved(args.repeat, *fns)
        rate = n / times[0]
        ratio = f"{times[1] / times[0]:7.2f}" if think_format_reward is not None else "    n/a"
        judge_us = max(0.0, (times[0] - times[2]) / n * 1e6)
        extra = f"   {blabel}: {n / times[3]:,.0f} /s ({times[3] / times[0]:.2f}x)" if label in BASELINES else ""
        flag = "" if rate >= 50_000 else "  <-- below 50k/s"
        print(f"{label:38s} {rate:12,.0f} {1e6 / rate:10.2f} {judge_us:9.2f} {ratio}{extra}{flag}")

    print("\n# 2. hostile 1 MB completions: ms per completion (budget 50 ms); worst input per reward\n")
    hostile = hostile_inputs()
    worst_all = 0.0
    for label, name, params in CONFIGS:
        reward = get_reward(name, **params)
        times = {k: best_of(args.repeat, lambda t=t, r=reward: r.score(t)) for k, t in hostile.items()}
        worst = max(times, key=times.get)
        if "custom" not in label:
            worst_all = max(worst_all, times[worst])
        flag = "ok" if times[worst] <= 0.05 else "OVER BUDGET"
        if "custom" in label:
            flag += " (user regexes: their cost is the user's)"
        print(f"{label:38s} worst {times[worst] * 1e3:7.2f} ms ({worst}); mean {sum(times.values()) / len(times) * 1e3:6.2f} ms  {flag}")
    print(f"\nworst case over all rewards (default cues): {worst_all * 1e3:.2f} ms per 1 MB completion")

    print("\n# 3. the original regexes on a 50 KB slice of the same hostile inputs (quadratic cases)\n")
    small = hostile_inputs(50_000)
    fns = [("open-r1 format", orig_open_r1), ("GSM8K soft", orig_gsm_soft), ("open-r1 reasoning_steps", orig_steps)]
    fmt = get_reward("format", layout="open_r1")
    soft = get_reward("format", layout="gsm8k_soft", think_tag="reasoning")
    for k in ("open_r1 near miss", "gsm8k soft near miss"):
        t = small[k]
        for fname, fn in fns[:2]:
            dt = best_of(1, lambda f=fn, t=t: f([t]))
            print(f"{fname:24s} on 50 KB {k:22s}: {dt * 1e3:9.2f} ms")
        print(f"{'rlvr open_r1 / gsm8k_soft':24s} on 50 KB {k:22s}: "
              f"{best_of(args.repeat, lambda t=t: fmt.score(t)) * 1e3:9.3f} / {best_of(args.repeat, lambda t=t: soft.score(t)) * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
