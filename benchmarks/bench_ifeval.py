"""``ifeval`` reward: throughput and worst case, side by side with the reference checkers in the same run.

    python benchmarks/bench_ifeval.py [--rows 400] [--repeats 3]

Baseline: the google IFEval checkers as packaged by ``if-verifiable`` (``pip install if-verifiable
nltk langdetect immutabledict``; its ``ifeval/instructions.py`` is the reference implementation).
Its sentence counting and capital-word counting need NLTK's ``punkt_tab`` data, which cannot be
downloaded here, so both sides are timed on the constraints the reference can run offline (the
rows are the same; the two NLTK constraints are dropped from every row for both). When the
baseline is not installed, only rlvr's figures are printed.

1. Throughput: rows/s (CPU time, best of ``--repeats``) on ``--rows`` realistic rows: responses of
   80-700 words (prose, bullets, highlights, titles, JSON, postscripts) with 1-3 IFEval
   constraints each, drawn with a fixed seed.
2. Worst case: for prose and seven hostile shapes, the slowest row constraint set (of the first
   80 realistic rows) timed side by side with the reference on a 100 KB response (the reference
   runs in a subprocess killed after ``--limit`` seconds: its lazy/greedy regexes are quadratic on
   some shapes), then rlvr alone on 1 MB: that row set, and all 25 IFEval constraints at once (the
   reference cannot run all 25 offline).
3. IFBench: the slowest of the IFBench checkers on three 1 MB shapes, next to the same checker on
   100 KB (rlvr only; the growth factor shows the scans are linear).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_rate  # noqa: E402

from rlvr import get_reward  # noqa: E402
from rlvr.verifiers.instructions import IFEVAL_INSTRUCTION_IDS  # noqa: E402

NEEDS_NLTK_DATA = {"length_constraints:number_sentences", "change_case:capital_word_frequency"}

SENTENCES = [
    "The tide rises twice a day because the moon pulls on the oceans.",
    "Fishermen in small harbours still read the water before they read the forecast.",
    "Salt marshes store more carbon per hectare than most forests do.",
    "A rogue wave can be twice as tall as the waves around it.",
    "Coral reefs cover less than one percent of the sea floor, yet they feed a quarter of marine species.",
    "Dr. Marsh wrote in 1998 that coastal towns would need new sea walls by 2050.",
    "Is the deep sea the least explored place on Earth?",
    "NASA and NOAA share satellite data on sea surface temperature.",
    "Sailors once navigated by the stars, the sun and the colour of the water.",
    "Waves carry energy across whole oceans, but the water itself barely moves forward.",
]


def _response(rng: random.Random) -> str:
    parts: list[str] = []
    if rng.random() < 0.3:
        parts.append("<<" + rng.choice(["On Tides", "The Sea", "Harbour Notes"]) + ">>")
    for _ in range(rng.randint(2, 6)):
        para = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 8)))
        if rng.random() < 0.3:
            para = para.replace("moon", "*moon*").replace("water", "**water**")
        parts.append(para)
        if rng.random() < 0.3:
            parts.append("\n".join(f"* {rng.choice(SENTENCES)}" for _ in range(rng.randint(2, 5))))
    if rng.random() < 0.2:
        parts.append(json.dumps({"summary": rng.choice(SENTENCES), "facts": rng.sample(SENTENCES, 3)}))
    text = "\n\n".join(parts)
    if rng.random() < 0.2:
        text = text.lower().replace(",", "")
    if rng.random() < 0.2:
        text += "\n\nP.S. " + rng.choice(SENTENCES)
    return text


def _constraint(rng: random.Random, iid: str) -> dict:
    choices = {
        "keywords:existence": {"keywords": rng.sample(["tide", "moon", "coral", "salt", "harbour"], 2)},
        "keywords:frequency": {"keyword": "sea", "frequency": rng.randint(1, 5), "relation": rng.choice(["at least", "less than"])},
        "keywords:forbidden_words": {"forbidden_words": rng.sample(["storm", "ship", "wave", "deep"], 2)},
        "keywords:letter_frequency": {"letter": rng.choice("aeqz"), "let_frequency": rng.randint(2, 30),
                                      "let_relation": rng.choice(["at least", "less than"])},
        "language:response_language": {"language": rng.choice(["en", "de"])},
        "length_constraints:number_sentences": {"num_sentences": rng.randint(3, 30), "relation": rng.choice(["at least", "less than"])},
        "length_constraints:number_paragraphs": {"num_paragraphs": rng.randint(2, 5)},
        "length_constraints:number_words": {"num_words": rng.randint(50, 600), "relation": rng.choice(["at least", "less than"])},
        "length_constraints:nth_paragraph_first_word": {"num_paragraphs": rng.randint(2, 5), "nth_paragraph": 2, "first_word": "the"},
        "detectable_content:number_placeholders": {"num_placeholders": rng.randint(1, 3)},
        "detectable_content:postscript": {"postscript_marker": rng.choice(["P.S.", "P.P.S"])},
        "detectable_format:number_bullet_lists": {"num_bullets": rng.randint(2, 5)},
        "detectable_format:number_highlighted_sections": {"num_highlights": rng.randint(1, 4)},
        "detectable_format:multiple_sections": {"section_spliter": rng.choice(["Section", "SECTION"]), "num_sections": rng.randint(2, 4)},
        "combination:repeat_prompt": {"prompt_to_repeat": "Write about the sea."},
        "startend:end_checker": {"end_phrase": "Is there anything else I can help with?"},
        "change_case:capital_word_frequency": {"capital_frequency": rng.randint(1, 10), "capital_relation": rng.choice(["at least", "less than"])},
    }
    return choices.get(iid, {})


def realistic_rows(n: int, seed: int = 13) -> list[tuple[str, list[str], list[dict]]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        ids = rng.sample(IFEVAL_INSTRUCTION_IDS, rng.randint(1, 3))
        rows.append((_response(rng), ids, [_constraint(rng, i) for i in ids]))
    return rows


def _offline_subset(rows):
    out = []
    for text, ids, kwargs in rows:
        kept = [(i, k) for i, k in zip(ids, kwargs) if i not in NEEDS_NLTK_DATA]
        if kept:
            out.append((text, [i for i, _ in kept], [k for _, k in kept]))
    return out


# ----------------------------------------------------------------------------- the reference
def reference_available() -> bool:
    try:
        from if_verifiable.ifeval import instructions_registry  # noqa: F401
    except Exception:
        return False
    return True


def reference_row(text: str, ids: list[str], kwargs: list[dict]) -> bool:
    """Prompt-level strict result of the reference checkers (the IFEval evaluation loop)."""
    import logging

    from if_verifiable.ifeval import instructions_registry

    logging.disable(logging.CRITICAL)  # its language check logs the whole response when detection fails

    ok = True
    for iid, kw in zip(ids, kwargs):
        checker = instructions_registry.INSTRUCTION_DICT[iid](iid)
        checker.build_description(**kw)
        args = checker.get_instruction_args()
        if args and "prompt" in args:
            checker.build_description(prompt="Write about the sea.")
        ok = bool(text.strip() and checker.check_following(text)) and ok
    return ok


def _reference_worker(text, ids, kwargs, out):
    t = time.process_time()
    try:
        reference_row(text, ids, kwargs)
    except BaseException as exc:  # the reference crashing is a result worth printing
        out.put(f"crashed: {type(exc).__name__}")
        return
    out.put(time.process_time() - t)


def reference_timed(text, ids, kwargs, limit: float) -> float | str:
    """Seconds for the reference on one row in a subprocess, or why there is no figure."""
    queue: mp.Queue = mp.Queue()
    proc = mp.Process(target=_reference_worker, args=(text, ids, kwargs, queue))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return f"> {limit:g} s, killed"
    return queue.get() if not queue.empty() else "died"


# ----------------------------------------------------------------------------- main
HOSTILE_SHAPES = {
    "prose": lambda n: ("The sea is calm today, and the boats are out. " * (n // 46 + 1))[:n],
    "sentences": lambda n: ("sea. " * (n // 5 + 1))[:n],
    "dots": lambda n: "." * (n - 1) + "x",
    "brackets": lambda n: "[" * (n // 2) + "<<" * (n // 4),
    "asterisks": lambda n: "*" * n,
    "deep-json": lambda n: "[" * n,
    "lines": lambda n: "a\n" * (n // 2),
    "sections": lambda n: ("Section 1 " + "a" * 100 + "\n") * (n // 111),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--limit", type=float, default=10.0, help="seconds before a reference run is killed")
    args = ap.parse_args()

    have_ref = reference_available()
    rows = realistic_rows(args.rows)
    offline = _offline_subset(rows)
    reward = get_reward("ifeval")

    def run_rlvr(batch):
        texts = [t for t, _, _ in batch]
        reward(completions=texts, instruction_id_list=[i for _, i, _ in batch], kwargs=[k for _, _, k in batch])

    print(f"ifeval benchmark: {len(rows)} realistic rows ({sum(len(i) for _, i, _ in rows)} constraints), "
          f"reference {'= if-verifiable (google IFEval checkers)' if have_ref else 'not installed'}")
    print(f"\n1. throughput (rows/s, CPU time, best of {args.repeats})")
    print(f"   {'set':44s} {'rlvr':>10s} {'reference':>10s} {'ratio':>7s}")
    cpu_all, _ = best_rate(lambda: run_rlvr(rows), len(rows), args.repeats)
    print(f"   {'all 25 ids (rlvr only)':44s} {cpu_all:10.0f} {'-':>10s} {'-':>7s}")
    cpu_off, _ = best_rate(lambda: run_rlvr(offline), len(offline), args.repeats)
    if have_ref:
        ref_off, _ = best_rate(lambda: [reference_row(*r) for r in offline], len(offline), args.repeats)
        print(f"   {'23 ids the reference runs offline':44s} {cpu_off:10.0f} {ref_off:10.0f} {cpu_off / ref_off:6.1f}x")
    else:
        print(f"   {'23 ids the reference runs offline':44s} {cpu_off:10.0f} {'n/a':>10s}")
    agree = None
    if have_ref:
        values = reward(completions=[t for t, _, _ in offline], instruction_id_list=[i for _, i, _ in offline],
                        kwargs=[k for _, _, k in offline])
        ref = [reference_row(*r) for r in offline]
        agree = sum((v == 1.0) == r for v, r in zip(values, ref)) / len(offline)
        print(f"   prompt-level strict agreement with the reference on these rows: {agree:.1%}")

    print(f"\n2. worst case (CPU ms, best of {args.repeats}): the slowest row constraint set of the realistic rows on "
          "each shape,")
    print(f"   side by side at 100 KB (the reference in a subprocess killed after {args.limit:g} s), then rlvr at 1 MB")
    all_ids = list(IFEVAL_INSTRUCTION_IDS)
    all_kwargs = [_constraint(random.Random(0), i) for i in all_ids]
    candidates = _offline_subset(rows[:80]) if have_ref else rows[:80]
    print(f"   {'shape':10s} {'rlvr 100KB':>10s} {'ref 100KB':>22s} {'ratio':>7s} {'rlvr 1MB':>9s} {'1MB all 25':>11s}   row set")
    for shape, make in HOSTILE_SHAPES.items():
        big = make(1_000_000)
        small = make(100_000)

        def run(text, ids, kwargs):
            return _timed(lambda: reward(completions=[text], instruction_id_list=[ids], kwargs=[kwargs]))

        slowest = max(candidates, key=lambda r: run(big, r[1], r[2]))
        one_mb = min(run(big, slowest[1], slowest[2]) for _ in range(args.repeats))
        at_100k = min(run(small, slowest[1], slowest[2]) for _ in range(args.repeats))
        all_25 = min(run(big, all_ids, all_kwargs) for _ in range(args.repeats))
        ref_txt, ratio = "n/a", ""
        if have_ref:
            secs = reference_timed(small, slowest[1], slowest[2], args.limit)
            if isinstance(secs, str):
                ref_txt = secs
                ratio = f"> {args.limit / at_100k:.0f}x" if secs.startswith(">") else "-"
            else:
                ref_txt, ratio = f"{secs * 1000:.1f}", f"{secs / at_100k:.1f}x"
        print(f"   {shape:10s} {at_100k * 1000:10.1f} {ref_txt:>22s} {ratio:>7s} {one_mb * 1000:9.1f} {all_25 * 1000:11.1f}"
              f"   [{', '.join(i.split(':')[1] for i in slowest[1])}]")
    ifbench_scaling(args.repeats)


IFBENCH_KWARGS = {
    "count:word_count_range": {"min_words": 100, "max_words": 200}, "count:unique_word_count": {"N": 50},
    "count:conjunctions": {"small_n": 3}, "count:person_names": {"N": 3}, "count:numbers": {"N": 3},
    "count:keywords_multiple": {f"keyword{i}": w for i, w in enumerate(["sea", "boat", "calm", "out", "today"], 1)},
    "count:pronouns": {"N": 5}, "count:words_japanese": {"N": 3},
    "ratio:overlap": {"reference_text": "The sea is calm today.", "percentage": 50},
    "words:repeats": {"small_n": 3}, "words:keywords_specific_position": {"keyword": "sea", "n": 2, "m": 2},
    "words:words_position": {"keyword": "sea"}, "sentence:increment": {"small_n": 1}, "sentence:keyword": {"word": "sea", "N": 3},
    "format:options": {"options": "yes/no/maybe"}, "format:list": {"sep": "SEPARATOR"},
    "repeat:repeat_change": {"prompt_to_repeat": "Write about the sea."},
    "repeat:repeat_span": {"prompt_to_repeat": "Write about the sea.", "n_start": 0, "n_end": 5},
}


def ifbench_scaling(repeats: int) -> None:
    """The slowest IFBench checker on 100 KB and 1 MB (rlvr only: the reference IFBench code needs NLTK
    data that cannot be downloaded here; the 100 KB figure is the baseline that shows linear growth)."""
    from rlvr.verifiers.instructions import all_instructions
    from rlvr.verifiers.instructions.base import CheckContext, Kwargs
    from rlvr.verifiers.instructions.text_units import Response

    ids = [i for i in all_instructions() if i.split(":")[0] in ("count", "ratio", "words", "sentence", "format", "custom", "repeat")]
    ctx = CheckContext(detector_name="none")
    shapes = {"prose": HOSTILE_SHAPES["prose"], "quotes": lambda n: "\"'" * (n // 2), "brackets": lambda n: "([{" * (n // 3)}
    print(f"\n3. IFBench: the slowest of its {len(ids)} checkers per shape (CPU ms, best of {repeats}; x10 the size should cost x10)")
    print(f"   {'shape':10s} {'100 KB':>8s} {'1 MB':>8s} {'growth':>7s}   checker")
    for shape, make in shapes.items():
        small, big = make(100_000), make(1_000_000)

        def cost(text, iid):
            spec = all_instructions()[iid]
            kwargs = Kwargs(IFBENCH_KWARGS.get(iid, {}), iid)
            return min(_timed(lambda: spec.checker(Response(text), kwargs, ctx)) for _ in range(repeats))

        slowest = max(ids, key=lambda i: cost(big, i))
        a, b = cost(small, slowest), cost(big, slowest)
        print(f"   {shape:10s} {a * 1000:8.1f} {b * 1000:8.1f} {b / max(a, 1e-9):6.1f}x   {slowest}")


def _timed(fn) -> float:
    """CPU seconds of one call (steadier than wall time on a shared machine)."""
    t = time.process_time()
    fn()
    return time.process_time() - t


if __name__ == "__main__":
    main()
