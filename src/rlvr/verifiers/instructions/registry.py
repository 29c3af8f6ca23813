"""Instruction id -> checker. Family modules register with :func:`instruction`; :func:`get_instruction`
loads them on first use and returns ``None`` for an id nobody registered (the reward then says
``unsupported``: never a silent pass)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

from rlvr.verifiers.instructions.base import Checker, InstructionSpec

__all__ = ["FAMILY_MODULES", "UNSUPPORTED_IFBENCH", "all_instructions", "get_instruction", "instruction"]

#: IFBench constraints left out, and why (they report ``unsupported``, never a pass).
UNSUPPORTED_IFBENCH: dict[str, str] = {
    "ratio:stop_words": "needs NLTK's English stop-word list (a corpus download)",
    "words:start_verb": "needs a part-of-speech tagger model",
    "words:odd_even_syllables": "needs a pronunciation dictionary / syllable model",
    "custom:european_capitals_sort": "needs a world-knowledge answer key (capitals sorted by latitude)",
}

#: Modules whose import registers checkers.
FAMILY_MODULES: tuple[str, ...] = (
    "rlvr.verifiers.instructions.keywords",
    "rlvr.verifiers.instructions.length",
    "rlvr.verifiers.instructions.content",
    "rlvr.verifiers.instructions.detectable_format",
    "rlvr.verifiers.instructions.combination",
    "rlvr.verifiers.instructions.startend",
    "rlvr.verifiers.instructions.case",
    "rlvr.verifiers.instructions.punctuation",
    "rlvr.verifiers.instructions.language",
    "rlvr.verifiers.instructions.ifbench_count",
    "rlvr.verifiers.instructions.ifbench_words",
    "rlvr.verifiers.instructions.ifbench_format",
    "rlvr.verifiers.instructions.ifbench_tasks",
    "rlvr.verifiers.instructions.rlvr_ifeval",
)

_REGISTRY: dict[str, InstructionSpec] = {}
_lock = threading.Lock()
_loaded = False


def instruction(instruction_id: str, *, family: str, kwargs: tuple[str, ...] = ()) -> Callable[[Checker], Checker]:
    """Decorator registering a checker under ``instruction_id`` (a second registration raises)."""

    def decorate(func: Checker) -> Checker:
        if instruction_id in _REGISTRY and _REGISTRY[instruction_id].checker is not func:
            existing = _REGISTRY[instruction_id].checker
            if (existing.__module__, existing.__qualname__) != (func.__module__, func.__qualname__):
                raise ValueError(f"instruction {instruction_id!r} registered twice")
        doc = (func.__doc__ or "").strip().split("\n\n")[0]
        _REGISTRY[instruction_id] = InstructionSpec(instruction_id, func, family, kwargs, " ".join(doc.split()))
        return func

    return decorate


def _load() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for module in FAMILY_MODULES:
                importlib.import_module(module)
            _loaded = True


def get_instruction(instruction_id: str) -> InstructionSpec | None:
    """The registered instruction, or ``None`` when the id is unknown."""
    _load()
    return _REGISTRY.get(instruction_id)


def all_instructions() -> dict[str, InstructionSpec]:
    """Every registered instruction by id (a copy)."""
    _load()
    return dict(_REGISTRY)
