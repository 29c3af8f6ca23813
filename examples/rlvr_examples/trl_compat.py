"""Build TRL configs from plain keywords on every TRL version the examples support.

Unsloth pins TRL 0.22-0.24; pip gives TRL 1.x. Some keywords exist on one side only
(``max_prompt_length`` was removed in TRL 0.28; ``multi_objective_aggregation`` appeared in
0.27; SFT's ``max_seq_length`` became ``max_length`` in 0.20; transformers 5 folded
``warmup_ratio`` into a float ``warmup_steps``). :func:`build_trl_config` reads the
config class's fields, renames what was renamed, drops *known* version-dependent keywords the
installed TRL lacks (with a log line), and refuses anything else it does not know (a typo in a
YAML file must not be silently ignored).
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["VERSION_DEPENDENT_KEYS", "UnknownTrainingKey", "build_trl_config", "config_fields"]

log = logging.getLogger("rlvr_examples")

#: Keywords that exist in some supported TRL/transformers versions and not in others.
VERSION_DEPENDENT_KEYS = frozenset(
    {
        "max_prompt_length",  # GRPO: removed in TRL 0.28 (we also filter long prompts ourselves)
        "multi_objective_aggregation",  # GRPO: TRL >= 0.27
        "mask_truncated_completions",
        "top_entropy_quantile",
        "importance_sampling_level",
        "epsilon_high",
        "vllm_mode",
        "vllm_importance_sampling_correction",
        "generation_batch_size",
        "steps_per_generation",
        "log_completions",
        "num_completions_to_print",
        "completion_only_loss",
        "assistant_only_loss",
        "use_liger_kernel",
        "use_liger_loss",
        "padding_free",
        "unsloth_num_chunks",
    }
)

#: Old name -> new name, applied when only the new one exists.
RENAMED_KEYS = {"max_seq_length": "max_length"}


class UnknownTrainingKey(ValueError):
    """A ``train:`` key that the installed TRL config class does not have."""


def config_fields(cls: type) -> set[str]:
    """Names the config class accepts (dataclass fields, else ``__init__`` parameters)."""
    if dataclasses.is_dataclass(cls):
        return {f.name for f in dataclasses.fields(cls) if f.init}
    params = inspect.signature(cls.__init__).parameters
    return {n for n, p in params.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def filter_config_kwargs(cls: type, kwargs: Mapping[str, Any], *, where: str = "train") -> dict[str, Any]:
    """The keywords ``cls`` accepts; see the module docstring for the rules."""
    known = config_fields(cls)
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in kwargs.items():
        if key in known:
            out[key] = value
        elif key == "warmup_ratio" and "warmup_steps" in known:
            out.setdefault("warmup_steps", float(value))  # transformers >= 5: a float warmup_steps is a ratio
        elif key in RENAMED_KEYS and RENAMED_KEYS[key] in known:
            out.setdefault(RENAMED_KEYS[key], value)
        elif {v: k for k, v in RENAMED_KEYS.items()}.get(key) in known:
            out.setdefault({v: k for k, v in RENAMED_KEYS.items()}[key], value)
        elif key in VERSION_DEPENDENT_KEYS:
            log.info("%s: %s.%s is not supported by the installed TRL; dropped", where, cls.__name__, key)
        else:
            unknown.append(key)
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(known), n=2)
            hints.append(f"{key!r}" + (f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""))
        raise UnknownTrainingKey(f"{where}: {cls.__name__} has no parameter(s) {', '.join(hints)}")
    return out


def build_trl_config(cls: type, kwargs: Mapping[str, Any], *, where: str = "train") -> Any:
    """Instantiate ``cls`` (e.g. ``trl.GRPOConfig``) from keywords filtered for this TRL version."""
    return cls(**filter_config_kwargs(cls, kwargs, where=where))
