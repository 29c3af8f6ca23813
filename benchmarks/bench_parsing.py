"""Cost of :func:`rlvr.parsing.split`, side by side with the two ways rewards found the answer before.

    python benchmarks/bench_parsing.py [--n 20000] [--repeat 5]

1. 2 KB completions (closed, prefilled, unclosed, repeated blocks, no tags): splits/s per core
   (CPU time) of ``split`` (reasoning, every block, answer region and answer block) next to
   the cheapest per-reward helper it replaced, one ``str.rfind("</think>")`` plus one ``in``
   test (ratio = split / helper; below 1.0 is the price of doing it once, properly).
2. 1 MB hostile completions (repeated / unbalanced tags): milliseconds per split, next to the
   lazy ``<think>(.*?)</think>`` DOTALL regex recipes use, on a 50 KB slice of the same input
   (the regex is quadratic on several of these; the slice keeps the run short).

Single process, single thread. The machine may be shared: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import argparse
import random
import re
import time

from _timing import best_rate

from rlvr.parsing import DEFAULT_TAGS, split

RECIPE_REGEX = re.compile(r"<think>(.*?)</think>(.*)", re.DOTALL)


def rfind_helper(text: str) -> str | None:
    cut = text.rfind("</think>")
    if cut >= 0:
        return text[cut + 8:]
    return None if "<think>" in text else text


def completions(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = "the sum of both sides gives x equals two so we check again and".split()
    out = []
    for i in range(n):
        body = " ".join(rng.choice(words) for _ in range(300))[:1900]
        kind = i % 5
        if kind == 0:
            out.append(f"<think>{body}</think>\n<answer>42</answer>")
        elif kind == 1:
            out.append(f"{body}</think>\n<answer>42</answer>")
        elif kind == 2:
            out.append(f"<think>{body}")
        elif kind == 3:
            out.append(f"<think>{body[:900]}</think>x<think>{body[900:]}</think><answer>4</answer>")
        else:
            out.append(body)
    return out


HOSTILE = {
    "opening tags": lambda: "<think>" * 150_000,
    "closing tags": lambda: "</think>" * 130_000,
    "closed blocks": lambda: "<think></think>" * 70_000,
    "opens, one close at the end": lambda: "<think>a" * 120_000 + "</think>",
    "mismatched pairs": lambda: "</think><think>" * 40_000 + "</answer><answer>" * 30_000,
}


def per_call_ms(fn, text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn(text)
        best = min(best, time.process_time() - t0)
    return best * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    texts = completions(args.n)
    split_rate, _ = best_rate(lambda: [split(t, DEFAULT_TAGS) for t in texts], len(texts), args.repeat)
    helper_rate, _ = best_rate(lambda: [rfind_helper(t) for t in texts], len(texts), args.repeat)
    print(f"2 KB completions, n={args.n}, best of {args.repeat} (CPU time)")
    print(f"  {'split':<28}{split_rate:>12,.0f} /s")
    print(f"  {'rfind helper (baseline)':<28}{helper_rate:>12,.0f} /s   ratio split/helper = {split_rate / helper_rate:.2f}")

    print("\n1 MB hostile completions: ms per call (split on 1 MB, alone and with every block joined;"
          " recipe regex on a 50 KB slice)")
    print(f"  {'input':<30}{'split 1 MB':>12}{'+ all blocks':>14}{'regex 50 KB':>14}{'regex/split':>13}")
    for name, make in HOSTILE.items():
        text = make()
        ms_split = per_call_ms(split, text, args.repeat)
        ms_cot = per_call_ms(lambda t: split(t).chain_of_thought, text, args.repeat)
        ms_regex = per_call_ms(RECIPE_REGEX.search, text[:50_000], 1)
        print(f"  {name:<30}{ms_split:>12.3f}{ms_cot:>14.3f}{ms_regex:>14.1f}"
              f"{ms_regex / max(ms_split, 1e-6):>13.1f}x")


if __name__ == "__main__":
    main()
