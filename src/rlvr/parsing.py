"""Split a completion into its reasoning and its answer: the one place that reads think blocks.

Every reward that needs "the reasoning" or "the answer" of a completion asks :func:`split`;
none searches for ``</think>`` itself. The rules below are decided here once; a reward that
wants a different outcome for an edge case says so through the ``unclosed`` / ``reopened``
options of :func:`split` or by reading :attr:`Split.how`, never by scanning the text again.

* :class:`TagSpec` - the tag strings of a layout (``<think>``, ``</think>``, and ``<answer>``,
  ``</answer>`` or no answer tags) and ``prefilled``: whether the chat template already wrote
  the opening think tag into the prompt (Qwen3, DeepSeek-R1 distills), so the completion starts
  inside the reasoning.
* :func:`split` - ``split(text, spec) -> Split``: character spans of the reasoning, of the
  answer region (the text after the reasoning) and of the last answer block, plus
  :class:`Found`, how the reasoning was found.
* :func:`join` - the inverse used for chat messages whose reasoning was parsed out by the
  serving stack (``reasoning_content``): ``think_open + "\\n" + reasoning + "\\n" + think_close
  + "\\n" + content``.

How the reasoning is found (:class:`Found`), with ``<think>``/``</think>`` standing for
``spec.think_open``/``spec.think_close``:

============  ==========================================================  =====================
``how``       when                                                        answer ``region``
============  ==========================================================  =====================
``closed``    a ``<think>`` comes before the first ``</think>``           after the LAST
                                                                          ``</think>``
``prefilled`` the first ``</think>`` has no ``<think>`` before it (the    after the LAST
              template opened the block; accepted whatever                ``</think>``
              ``spec.prefilled`` says: a reward that refuses it checks
              ``how``)
``unclosed``  no ``</think>`` at all, but a ``<think>``, or               None (no answer yet);
              ``spec.prefilled`` (the template opened a block the model   ``unclosed="whole"``:
              never closed: generation was cut off)                       the whole text
``none``      no think tag at all and not ``spec.prefilled``              the whole text
============  ==========================================================  =====================

``reopened`` (a separate flag, with ``closed`` or ``prefilled``): a ``<think>`` after the last
``</think>``, i.e. the model went back to thinking and was cut off. The region is still the text
after the last ``</think>``; ``reopened="no_answer"`` makes it None.

Spans (``(start, end)`` indices into ``text``, tags excluded; read them with ``text[s:e]``
or the ``*_text`` properties; no copy of a megabyte completion is made until asked):

* ``reasoning``: the FIRST reasoning block: from after the first ``<think>`` (or from 0 when
  ``prefilled``) to the first ``</think>`` after it; for ``unclosed`` to the end of the text.
  A second ``<think>`` inside a block is part of it (nesting is not tracked: the block ends at
  the first ``</think>``). ``None`` for ``none``.
* ``blocks`` (computed when asked): every CLOSED reasoning block in order (a prefilled first
  block included): what a chain-of-thought measure reads (``chain_of_thought`` joins them).
  Empty for ``none`` and for ``unclosed``.
* ``region``: the answer region (table above).
* ``answer``: the inside of the last complete ``answer_open ... answer_close`` pair inside the
  region (the last closing tag and the last opening tag before it); ``None`` when the spec has
  no answer tags or the region holds no complete pair. Answer blocks inside the reasoning never
  count (unless ``unclosed="whole"`` made the whole text the region).

What the built-in rewards make of the edge cases (each passes the options / reads ``how``):

=====================  ==================================  ==============================
reward                 unclosed think block                reopened after the last close
=====================  ==================================  ==============================
math (``rlvr.math``)   no answer                           text after the last close
code_tests/_format     no answer                           text after the last close
countdown              whole text searched (``"whole"``)   text after the last close
ifeval                 no answer                           no answer (``"no_answer"``)
thought_length         no closed block: 0, ``bad_format``  first block measured
language_consistency   the open block is measured          closed blocks measured
=====================  ==================================  ==============================

``thought_length`` alone refuses ``prefilled`` unless its own ``prefilled`` option is on. The
format family judges the exact layout instead (:mod:`rlvr.verifiers.tags`, same
:class:`TagSpec`). A chat message's parsed-out reasoning is rebuilt with the think tags of the
reward's :meth:`~rlvr.rewards.base.Reward.tag_spec` (:func:`join`).

Linear time in ``len(text)``: :func:`split` makes a constant number of ``str.find`` /
``str.rfind`` calls and copies nothing; ``blocks`` is one more pass. A megabyte of repeated or
unbalanced tags splits in well under a millisecond. No regular expression.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

__all__ = ["DEFAULT_TAGS", "Found", "Span", "Split", "TagSpec", "join", "split"]

#: ``(start, end)`` character indices into the split text (``text[start:end]``).
Span = tuple[int, int]


class Found(str, Enum):
    """How the reasoning of a completion was found (see the module docstring's table)."""

    CLOSED = "closed"
    PREFILLED = "prefilled"
    UNCLOSED = "unclosed"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class TagSpec:
    """The tags of a think-then-answer layout and whether the template prefills the think tag.

    ``answer_open``/``answer_close`` are ``None`` for layouts without answer tags (the answer is
    the text after the reasoning). ``prefilled=True``: the chat template already wrote
    ``think_open``, so a completion without ``think_close`` is reasoning that never ended.
    Build from tag names with :meth:`from_names`, which also validates the tags.
    """

    think_open: str = "<think>"
    think_close: str = "</think>"
    answer_open: str | None = "<answer>"
    answer_close: str | None = "</answer>"
    prefilled: bool = False

    @classmethod
    def from_names(
        cls,
        think_tag: str = "think",
        answer_tag: str | None = "answer",
        *,
        think_open: str | None = None,
        think_close: str | None = None,
        answer_open: str | None = None,
        answer_close: str | None = None,
        prefilled: bool = False,
    ) -> TagSpec:
        """``<think_tag>``/``</think_tag>``/``<answer_tag>``/``</answer_tag>``, each replaceable
        by an explicit string; ``answer_tag=None``: no answer tags unless both explicit answer
        strings are given. Raises ``ValueError`` if the result is unusable (see :meth:`check`)."""
        spec = cls(
            think_open if think_open is not None else f"<{think_tag}>",
            think_close if think_close is not None else f"</{think_tag}>",
            answer_open if answer_open is not None or answer_tag is None else f"<{answer_tag}>",
            answer_close if answer_close is not None or answer_tag is None else f"</{answer_tag}>",
            prefilled,
        )
        spec.check()
        return spec

    @property
    def tags(self) -> tuple[str, str, str, str]:
        """The four tag strings; raises ``ValueError`` for a spec without answer tags."""
        if self.answer_open is None or self.answer_close is None:
            raise ValueError("this TagSpec has no answer tags")
        return (self.think_open, self.think_close, self.answer_open, self.answer_close)

    def check(self) -> None:
        """Raise ``ValueError`` when a tag is empty or whitespace, when only one answer tag is
        set, or when one tag contains another (every ``</x>`` would also count as an ``x>``)."""
        if (self.answer_open is None) != (self.answer_close is None):
            raise ValueError("answer_open and answer_close must both be set or both be None")
        named = [("think_open", self.think_open), ("think_close", self.think_close)]
        if self.answer_open is not None and self.answer_close is not None:
            named += [("answer_open", self.answer_open), ("answer_close", self.answer_close)]
        for name, tag in named:
            if not isinstance(tag, str) or not tag or tag.isspace():
                raise ValueError(f"{name} must be a non-empty, non-whitespace string, got {tag!r}")
        for i, (a_name, a) in enumerate(named):
            for b_name, b in named[i + 1:]:
                if a in b or b in a:
                    raise ValueError(
                        f"{a_name}={a!r} and {b_name}={b!r} overlap (one contains the other); "
                        "use distinct tags none of which contains another"
                    )


#: ``<think>``/``</think>`` and ``<answer>``/``</answer>``, not prefilled.
DEFAULT_TAGS = TagSpec()


@dataclass(frozen=True, slots=True)
class Split:
    """The outcome of :func:`split`: spans into :attr:`text` (see the module docstring)."""

    text: str
    spec: TagSpec
    how: Found
    reasoning: Span | None
    region: Span | None
    answer: Span | None = None
    reopened: bool = False

    @property
    def reasoning_text(self) -> str | None:
        """The first reasoning block (``None`` when there is none)."""
        return None if self.reasoning is None else self.text[self.reasoning[0]:self.reasoning[1]]

    @property
    def region_text(self) -> str | None:
        """The answer region: the text after the reasoning (``None``: no answer yet)."""
        return None if self.region is None else self.text[self.region[0]:self.region[1]]

    @property
    def answer_text(self) -> str | None:
        """The inside of the last answer block of the region (``None`` when there is none)."""
        return None if self.answer is None else self.text[self.answer[0]:self.answer[1]]

    @property
    def blocks(self) -> tuple[Span, ...]:
        """Every closed reasoning block, in order: the first one (prefilled or not), then each
        later ``think_open`` with the first ``think_close`` after it. Empty for ``unclosed`` and
        ``none``. Computed on each access (one linear pass), so a reward that never asks pays
        nothing for a completion made of thousands of blocks."""
        if self.reasoning is None or self.how is Found.UNCLOSED:
            return ()
        text, to, tc = self.text, self.spec.think_open, self.spec.think_close
        out = [self.reasoning]
        pos, n = self.reasoning[1] + len(tc), len(text)
        while pos < n:
            start = text.find(to, pos)
            if start < 0:
                break
            end = text.find(tc, start + len(to))
            if end < 0:
                break
            out.append((start + len(to), end))
            pos = end + len(tc)
        return tuple(out)

    @property
    def chain_of_thought(self) -> str | None:
        """Every closed reasoning block joined by ``"\\n"``; for ``unclosed`` the open block;
        ``None`` for ``none``."""
        blocks = self.blocks
        if blocks:
            return "\n".join(self.text[s:e] for s, e in blocks)
        return self.reasoning_text


def split(
    text: str,
    spec: TagSpec = DEFAULT_TAGS,
    *,
    unclosed: Literal["no_answer", "whole"] = "no_answer",
    reopened: Literal["answer", "no_answer"] = "answer",
) -> Split:
    """Find the reasoning, the answer region and the last answer block of ``text``.

    ``unclosed``: what reasoning that never ended (:attr:`Found.UNCLOSED`) leaves as the answer
    region: ``"no_answer"`` (None, default) or ``"whole"`` (the whole text is searched).
    ``reopened``: whether the text after the last ``think_close`` still counts when a new
    ``think_open`` there is never closed (:attr:`Split.reopened`): ``"answer"`` (default) or
    ``"no_answer"`` (None). See the module docstring for every case; a constant number of
    ``str.find``/``str.rfind`` calls.
    """
    to, tc = spec.think_open, spec.think_close
    n = len(text)
    first_close = text.find(tc)
    if first_close < 0:
        first_open = text.find(to)
        if first_open >= 0:
            how, reasoning = Found.UNCLOSED, (first_open + len(to), n)
        elif spec.prefilled:
            how, reasoning = Found.UNCLOSED, (0, n)
        else:
            return _with_answer(text, spec, Found.NONE, None, (0, n))
        return _with_answer(text, spec, how, reasoning, (0, n) if unclosed == "whole" else None)
    first_open = text.find(to, 0, first_close)
    if first_open < 0:
        how, reasoning = Found.PREFILLED, (0, first_close)
    else:
        how, reasoning = Found.CLOSED, (first_open + len(to), first_close)
    after = text.rfind(tc) + len(tc)
    is_reopened = text.find(to, after) >= 0
    region = None if is_reopened and reopened == "no_answer" else (after, n)
    return _with_answer(text, spec, how, reasoning, region, is_reopened)


def _with_answer(text: str, spec: TagSpec, how: Found, reasoning: Span | None, region: Span | None,
                 is_reopened: bool = False) -> Split:
    answer: Span | None = None
    ao, ac = spec.answer_open, spec.answer_close
    if region is not None and ao is not None and ac is not None:
        lo, hi = region
        close = text.rfind(ac, lo, hi)
        if close >= 0:
            opening = text.rfind(ao, lo, close)
            if opening >= 0:
                answer = (opening + len(ao), close)
    return Split(text, spec, how, reasoning, region, answer, is_reopened)


def join(reasoning: str, content: str, spec: TagSpec = DEFAULT_TAGS) -> str:
    """Rebuild the text a model wrote from a parsed-out reasoning and the message content.

    ``think_open + "\\n" + reasoning.strip() + "\\n" + think_close + "\\n" + content.lstrip()``:
    the layout models write and the open-r1 format regex expects. ``split`` of the result finds
    the reasoning as ``closed`` (unless the reasoning itself contains the tags).
    """
    return f"{spec.think_open}\n{reasoning.strip()}\n{spec.think_close}\n{content.lstrip()}"
