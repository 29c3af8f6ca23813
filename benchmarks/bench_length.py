"""Length and repetition reward throughput, side by side with TRL's rewards in the same run.

    python benchmarks/bench_length.py [--n 5000] [--repeats 7] [--tokens 300]

Prints completions per second per core (single process, CPU time; wall time next to it),
best of ``--repeats``, through the trainer-facing ``__call__`` with ``completion_ids``.

Baselines: TRL's ``get_repetition_penalty_reward`` and ``get_soft_overlong_punishment`` when
``trl`` is installed (else local re-writes of the same approach), and a no-op rlvr reward that
measures the base class's per-sample overhead (normalising completions, building samples and
Scores, the TRL return contract).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from typing import Any

from _timing import best_rate

from rlvr import get_reward
from rlvr.rewards.base import Reward, Sample
from rlvr.score import Score, Status


class _NoOp(Reward):
    """Not registered: returns 0.0 for every sample (measures the base class's overhead)."""

    name = "noop"

    def judge(self, sample: Sample) -> Score:
        return Score(0.0, Status.OK)


def _trl_baselines(ngram: int, max_len: int, cache: int) -> tuple[str, Callable[..., Any], Callable[..., Any]]:
    try:
        from trl.rewards import get_repetition_penalty_reward, get_soft_overlong_punishment

        return "TRL", get_repetition_penalty_reward(ngram_size=ngram, max_penalty=-1.0), \
            get_soft_overlong_punishment(max_completion_len=max_len, soft_punish_cache=cache)
    except Exception:  # trl not installed: the same approach, written here
        def repetition(completion_ids, **kwargs):
            out = []
            for ids in completion_ids:
                if len(ids) < ngram:
                    out.append(0.0)
                    continue
                grams = set(zip(*[ids[i:] for i in range(ngram)]))
                out.append((1 - len(grams) / (len(ids) - ngram + 1)) * -1.0)
            return out

        def overlong(completion_ids, **kwargs):
            free = max_len - cache
            return [0.0 if len(i) <= free else ((free - len(i)) / cache if len(i) <= max_len else -1.0)
                    for i in completion_ids]

        return "local copy of TRL's approach", repetition, overlong


def make_batch(n: int, tokens: int, seed: int = 0) -> tuple[list[str], list[list[int]], list[str]]:
    rng = random.Random(seed)
    words = ("let me check the sum again so 25 minus 3 is 22 and times 4 gives 88 plus 7 makes 95 "
             "wait maybe another order works better we need exactly the target").split()
    completions, ids, prompts = [], [], []
    for i in range(n):
        k = max(4, int(rng.gauss(tokens, tokens / 4)))
        think = " ".join(rng.choice(words) for _ in range(int(k * 0.8)))
        completions.append(f"<think>{think}</think>\n<answer>(25 - 3) * 4 + 7</answer>")
        ids.append([rng.randrange(50_000) for _ in range(k)])
        prompts.append(f"prompt {i // 8}")  # GRPO groups of 8
    return completions, ids, prompts




def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--tokens", type=int, default=300, help="mean completion length in tokens")
    args = ap.parse_args(argv)
    n = args.n
    completions, ids, prompts = make_batch(n, args.tokens)
    targets, nums = [95] * n, [[25, 3, 4, 7]] * n
    source, trl_rep, trl_overlong = _trl_baselines(3, 512, 128)

    rlvr = {
        "thought_length": get_reward("thought_length"),
        "soft_overlong": get_reward("soft_overlong", max_completion_len=512, soft_punish_cache=128),
        "repetition_penalty": get_reward("repetition_penalty"),
        "cosine_length (inner: countdown)": get_reward("cosine_length", max_len=512, accuracy="countdown"),
        "kimi_length (inner: countdown)": get_reward("kimi_length", accuracy="countdown"),
    }
    noop = _NoOp()
    common = dict(prompts=prompts, completions=completions, completion_ids=ids)
    rows: list[tuple[str, Callable[[], object]]] = [
        ("base Reward overhead (no-op reward)", lambda: noop(**common)),
        ("thought_length", lambda: rlvr["thought_length"](**common)),
        ("soft_overlong", lambda: rlvr["soft_overlong"](**common)),
        (f"baseline: {source} soft_overlong", lambda: trl_overlong(completion_ids=ids)),
        ("repetition_penalty (token ids)", lambda: rlvr["repetition_penalty"](**common)),
        (f"baseline: {source} repetition_penalty", lambda: trl_rep(completion_ids=ids)),
        ("repetition_penalty (text: words/CJK chars)",
         lambda: rlvr["repetition_penalty"](prompts=prompts, completions=completions)),
        ("countdown alone (inner of the next two)",
         lambda: get_reward("countdown")(completions=completions, target=targets, nums=nums)),
        ("cosine_length (inner: countdown)",
         lambda: rlvr["cosine_length (inner: countdown)"](target=targets, nums=nums, **common)),
        ("kimi_length (inner: countdown)",
         lambda: rlvr["kimi_length (inner: countdown)"](target=targets, nums=nums, **common)),
    ]
    # same values as the baselines on these inputs
    assert rlvr["soft_overlong"](**common) == trl_overlong(completion_ids=ids)
    ours = rlvr["repetition_penalty"](**common)
    theirs = trl_rep(completion_ids=ids)
    assert all(abs(a - b) < 1e-12 for a, b in zip(ours, theirs))

    mean_chars = sum(map(len, completions)) // n
    print(f"length/repetition: {n} completions, ~{args.tokens} tokens / ~{mean_chars} chars each, best of "
          f"{args.repeats}; values identical to the baselines")
    print(f"{'reward':46s} {'per core (cpu)':>16s} {'wall':>12s}")
    rates = {}
    for name, fn in rows:
        cpu, wall = best_rate(fn, n, args.repeats)
        rates[name] = cpu
        print(f"{name:46s} {cpu:14,.0f}/s {wall:10,.0f}/s")
    overlong_ratio = rates["soft_overlong"] / rates[f"baseline: {source} soft_overlong"]
    print(f"ratio soft_overlong rlvr/{source}: {overlong_ratio:.2f}x;"
          f" repetition rlvr/{source}: "
          f"{rates['repetition_penalty (token ids)'] / rates[f'baseline: {source} repetition_penalty']:.2f}x")
    for name in ("thought_length", "soft_overlong", "repetition_penalty (token ids)"):
        status = "met" if rates[name] >= 50_000 else "NOT met"
        print(f"target >= 50,000/s per core, {name}: {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
