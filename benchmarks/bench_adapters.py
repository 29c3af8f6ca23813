"""Overhead of rlvr's trainer-facing layers, measured against a bare function in the same run.

    python benchmarks/bench_adapters.py

Rows (µs per completion, best of 5 repeats; ratios are what matter on a shared machine):

* ``plain function``: a bare TRL-style function doing the same judgement (the baseline).
* ``Reward.__call__``: the same judgement as an rlvr reward (normalisation, Sample, Score,
  none_as) as TRL calls it, standard and conversational completions, with and without the
  TRL >= 1.0 log hooks.
* ``RewardStack (combined)``: two rewards combined in one callable.
* ``veRL compute_score`` / ``compute_score_batch``: the veRL adapter per sample and batched.
"""

from __future__ import annotations

import time

from rlvr import Reward, RewardStack, Sample, Score, Status, register
from rlvr.adapters import verl
from rlvr.adapters.verl import RewardSpec, compute_score, compute_score_batch, register_data_source

N = 512
REPEATS = 5


def plain_contains(completions, answer, **kwargs):
    out = []
    for c, a in zip(completions, answer):
        text = c if isinstance(c, str) else c[-1]["content"]
        out.append(1.0 if a in text else 0.0)
    return out


@register("_bench_contains")
class Contains(Reward):
    """1.0 when the completion contains the answer column."""

    def required_columns(self) -> tuple[str, ...]:
        return ("answer",)

    def judge(self, sample: Sample) -> Score:
        return Score(1.0 if sample.fields["answer"] in sample.text else 0.0, Status.OK)


@register("_bench_len")
class Len(Reward):
    """Length / 100."""

    def judge(self, sample: Sample) -> Score:
        return Score(len(sample.text) / 100.0, Status.OK)


def best_us_per_item(fn, n: int) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best / n * 1e6


def main() -> None:
    texts = [f"<think>reasoning {i}</think><answer>{i % 7}</answer>" for i in range(N)]
    convs = [[{"role": "assistant", "content": t}] for t in texts]
    answers = [str(i % 5) for i in range(N)]
    prompts = ["What?"] * N
    reward = Contains()
    stack = RewardStack([(Contains(), 1.0), (Len(), 0.1)])
    hooks = {"log_extra": lambda c, v: None, "log_metric": lambda k, v: None}
    register_data_source("bench", RewardSpec("_bench_contains", ground_truth_column="answer"))

    rows = []
    base = best_us_per_item(lambda: plain_contains(completions=texts, answer=answers, prompts=prompts), N)
    rows.append(("plain function (baseline)", base))
    rows.append(("Reward.__call__ standard", best_us_per_item(
        lambda: reward(prompts=prompts, completions=texts, answer=answers), N)))
    rows.append(("Reward.__call__ conversational", best_us_per_item(
        lambda: reward(prompts=prompts, completions=convs, answer=answers), N)))
    rows.append(("Reward.__call__ + log hooks", best_us_per_item(
        lambda: reward(prompts=prompts, completions=texts, answer=answers, **hooks), N)))
    rows.append(("RewardStack combined (2 rewards)", best_us_per_item(
        lambda: stack(prompts=prompts, completions=texts, answer=answers), N)))
    rows.append(("veRL compute_score (per sample)", best_us_per_item(
        lambda: [compute_score("bench", t, a) for t, a in zip(texts, answers)], N)))
    rows.append(("veRL compute_score_batch", best_us_per_item(
        lambda: compute_score_batch(["bench"] * N, texts, answers), N)))
    plain_out = plain_contains(completions=texts, answer=answers)
    assert reward(completions=texts, answer=answers) == plain_out
    assert [r["score"] for r in compute_score_batch(["bench"] * N, texts, answers)] == plain_out

    print(f"{N} completions per call, best of {REPEATS}")
    print(f"{'variant':40s} {'us/completion':>14s} {'x baseline':>11s}")
    for name, us in rows:
        print(f"{name:40s} {us:14.2f} {us / base:11.1f}")
    verl.DATA_SOURCES.pop("bench", None)


if __name__ == "__main__":
    main()
