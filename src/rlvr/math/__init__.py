"""Maths answers in two calls: find the final answer, then judge it against the reference.

>>> import rlvr.math
>>> found = rlvr.math.extract("<think>3 + 4 = 7</think> The answer is $\\\\frac{14}{2}$.")
>>> found.answer, found.path
('\\\\frac{14}{2}', 'answer_phrase')
>>> rlvr.math.verify("7", found.answer).status  # gold first; 7 = 14/2 without sympy
<Status.CORRECT: 'correct'>

* :func:`extract` (:func:`~rlvr.math.extraction.extract_answer`): strict extraction from a
  completion (text after the reasoning, the last ``\\boxed{}``, ``#### n``, "the answer is";
  never the last number of the text unless asked) -> :class:`Extraction` (``answer`` or ``None``,
  and the ``path`` that found it or says why not).
* :func:`verify`: ``verify(gold, answer) -> Verdict``, **gold first**. ``Verdict.status`` is a
  :class:`~rlvr.score.Status`: ``CORRECT``, ``WRONG``, ``GOLD_UNPARSEABLE`` (never reward it),
  ``TIMEOUT`` (the comparison passed its deadline and its worker was killed), ``ERROR``.
  Safe from any thread: sympy work runs in worker processes under a kill-able deadline.

The stages, one module each, in data-flow order: :mod:`~rlvr.math.extraction` (answer from a
completion), :mod:`~rlvr.math.normalise` (same canonical text for both sides, Unicode
look-alikes folded), :mod:`~rlvr.math.numbers` (plain numbers, exact), :mod:`~rlvr.math.structures`
(intervals, tuples, lists, choices), :mod:`~rlvr.math.symbolic` (worker side: sympy /
math-verify), :mod:`~rlvr.math.verifier` (parent side: fast paths, caches, the worker pool
from :mod:`rlvr.runtime.deadline_pool`). :mod:`~rlvr.math.verdict` holds the policy
(:class:`VerifyConfig`) and the outcome (:class:`Verdict`).

Importing this package is light (no sympy, no math-verify: they load in the workers).
"""

from __future__ import annotations

import threading

from rlvr.math.extraction import DEFAULT_STRATEGIES, Extraction, extract_answer
from rlvr.math.normalise import fold_lookalikes, normalise_answer
from rlvr.math.verdict import Verdict, VerifyConfig
from rlvr.math.verifier import MathVerifier

__all__ = [
    "DEFAULT_STRATEGIES",
    "Extraction",
    "MathVerifier",
    "Verdict",
    "VerifyConfig",
    "extract",
    "fold_lookalikes",
    "normalise_answer",
    "verify",
]

#: ``extract(text, **options) -> Extraction``: :func:`rlvr.math.extraction.extract_answer`
#: (strict; options ``think_tag``, ``prefilled``, ``answer_tag``, ``strategies``, ...).
extract = extract_answer

_verifiers: dict[tuple[VerifyConfig, float | None], MathVerifier] = {}
_verifiers_lock = threading.Lock()


def verify(gold: str, answer: str, *, config: VerifyConfig | None = None, timeout: float | None = 10.0) -> Verdict:
    """Is ``answer`` mathematically equivalent to the reference ``gold``? Gold comes FIRST.

    Both are answer texts (``"\\\\frac{1}{2}"``, ``"x^2+1"``, ``"(1, \\\\infty)"``), not whole
    completions: take the answer out of a completion with :func:`extract` first. ``config``
    sets the policy (:class:`VerifyConfig`: rounding, strictness, list order...); ``timeout``
    is the hard deadline in seconds of one sympy comparison (its worker is killed past it;
    ``None``/``0``: none). An empty ``gold`` is ``GOLD_UNPARSEABLE``; an empty answer is
    ``WRONG``. Verdicts are cached per (config, timeout) in this process, so asking twice
    costs a dictionary look-up. For many pairs at once use
    ``MathVerifier(config).verify_many(pairs)`` (one round trip to the workers).
    """
    key = (config or VerifyConfig(), timeout if timeout else None)
    with _verifiers_lock:
        verifier = _verifiers.get(key)
        if verifier is None:
            verifier = _verifiers[key] = MathVerifier(key[0], timeout=key[1])
    return verifier.verify(gold, answer)
