"""The :class:`Reward` base class: one named, configured reward function.

A reward is used two ways:

* ``reward.score(completion, *, prompt=None, **fields) -> Score`` judges one sample;
* ``reward(prompts=None, completions=None, completion_ids=None, **columns)`` is exactly the
  callable TRL's ``GRPOTrainer``/``RLOOTrainer`` and Unsloth call: keyword-only, unknown
  keywords ignored, dataset columns as lists aligned with ``completions``, returns
  ``len(completions)`` plain floats or ``None`` (never NaN/inf).

**The one extension point.** A subclass overrides exactly one of

* :meth:`Reward.judge` ``(sample) -> Score`` when samples are judged independently, or
* :meth:`Reward.judge_batch` ``(samples) -> list[Score]`` when it needs the whole batch
  (group-relative length rewards, parallel code execution, a composite calling inner rewards).

The base class does the rest: a single :meth:`Reward.score` goes through ``judge_batch``; the
default ``judge_batch`` calls ``judge`` per sample. ``score`` and ``score_batch`` are final
(overriding them raises ``TypeError`` when the class is defined): they normalise the batch and
enforce "one finite Score per sample, no exception escapes". ``__call__`` (the trainer edge:
``none_as``, ``log_extra``/``log_metric``) is not a place for judging either; only a test
double that records what a trainer passed wraps it.
Subclasses declare parameters as a pydantic model in ``Params`` (a :class:`RewardParams`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rlvr.async_reward import AsyncReward
from rlvr.completion import InvalidCompletion, completion_text
from rlvr.parsing import DEFAULT_TAGS, TagSpec
from rlvr.score import Score, Status

__all__ = [
    "MissingColumnError",
    "Reward",
    "RewardConfigError",
    "RewardParams",
    "Sample",
    "TRAINER_KWARGS",
]

log = logging.getLogger("rlvr")

#: Methods of :class:`Reward` that subclasses must not override (see the module docstring).
_FINAL_METHODS = frozenset({"score", "score_batch"})

#: Keywords trainers pass that are not dataset columns.
TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments"})


class RewardConfigError(ValueError):
    """A reward was configured with parameters it does not accept."""


class MissingColumnError(KeyError):
    """A reward needs a reference column the caller did not pass."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class RewardParams(BaseModel):
    """Parameters every reward accepts. Subclasses add their own fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    none_as: float | None = Field(
        default=None,
        description="Replace None ('cannot judge') by this value in the trainer-facing output. "
        "For TRL < 1.6 (and Unsloth on it), which counts an all-None row as 0 in the group baseline; "
        "TRL >= 1.6 leaves such rows out of the baseline (rlvr.adapters.unsloth picks this by version).",
    )


@dataclass(slots=True)
class Sample:
    """One completion with everything a reward may need to judge it.

    ``text`` is the normalised completion text (see :mod:`rlvr.completion`); ``fields`` holds
    this sample's value of every dataset column; ``completion_ids`` are the generated token
    ids when the trainer passed them.
    """

    text: str
    prompt: Any = None
    completion_ids: Sequence[int] | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    index: int = 0
    completion: Any = None


class Reward:
    """Base class of every rlvr reward (see the module docstring for the two call styles).

    Class attributes set by subclasses / :func:`rlvr.rewards.registry.register`:
    ``name`` (registry name), ``Params`` (pydantic parameter model), ``description``.
    """

    name: ClassVar[str] = "reward"
    description: ClassVar[str] = ""
    Params: ClassVar[type[RewardParams]] = RewardParams
    #: True for a reward that judges whether the task is *solved* (an answer checked against a
    #: reference, tests run, constraints verified), not form, length or style. ``rlvr score``
    #: counts a completion as passing for group pass@k from these rewards (:meth:`correct_at`).
    judges_correctness: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        final = sorted(m for m in _FINAL_METHODS if m in cls.__dict__)
        if final:
            raise TypeError(
                f"{cls.__qualname__} overrides {', '.join(final)}: override judge(sample) (independent samples) "
                "or judge_batch(samples) (needs the whole batch) instead; the base class normalises the batch, "
                "checks the results and talks to the trainer"
            )

    def __init__(self, params: RewardParams | None = None, /, *, alias: str | None = None, **kwargs: Any):
        if params is None:
            params = self.validate_params(kwargs)
        elif kwargs:
            raise RewardConfigError(f"reward {self.name!r}: pass either a Params object or keywords, not both")
        elif not isinstance(params, self.Params):
            raise RewardConfigError(f"reward {self.name!r}: expected {self.Params.__name__}, got {type(params).__name__}")
        self.params = params
        #: TRL <= 1.8 and Unsloth read ``reward_funcs[i].__name__`` directly; TRL logs under it.
        self.__name__ = alias or self.name
        self.setup()

    # ----------------------------------------------------------------- configuration
    @classmethod
    def validate_params(cls, values: Mapping[str, Any]) -> RewardParams:
        """Build ``cls.Params`` from keywords; errors name the parameter and the fix."""
        try:
            return cls.Params(**values)
        except ValidationError as exc:
            known = sorted(cls.Params.model_fields)
            problems = []
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "(params)"
                if err["type"] == "extra_forbidden":
                    problems.append(f"unknown parameter {where!r}")
                else:
                    problems.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
            raise RewardConfigError(
                f"reward {cls.name!r}: " + "; ".join(problems) + f". Known parameters: {', '.join(known)}"
            ) from None

    def setup(self) -> None:
        """Hook run after ``self.params`` is set (compile regexes, build caches)."""

    def required_columns(self) -> tuple[str, ...]:
        """Dataset columns this reward needs (e.g. ``("solution",)``)."""
        return ()

    def correct_at(self) -> float | None:
        """The value at or above which a completion counts as correct, or ``None`` when this
        reward does not judge correctness (:attr:`judges_correctness` is False).

        Default: the ``correct_value`` parameter when the reward has one, else 1.0. A reward
        whose correct value has another name or scale overrides this."""
        if not self.judges_correctness:
            return None
        return float(getattr(self.params, "correct_value", 1.0))

    def tag_spec(self) -> TagSpec:
        """The think/answer tags this reward reads (:class:`rlvr.parsing.TagSpec`).

        A chat message whose reasoning was parsed out (``reasoning_content``) is rebuilt with
        these think tags before judging, so the reward finds the reasoning where it looks for
        it. Default: ``<think>``/``<answer>``. A reward whose parameters configure the tags
        overrides this method (it is not inferred from parameter names).
        """
        return DEFAULT_TAGS

    # ----------------------------------------------------------------- judging (override ONE of these)
    def judge(self, sample: Sample) -> Score:
        """Judge one normalised sample. Override this for rewards whose samples are independent.

        A subclass that overrides :meth:`judge_batch` instead gets this for free (one sample
        judged as a batch of one)."""
        if type(self).judge_batch is Reward.judge_batch:
            raise NotImplementedError(f"{type(self).__name__} must implement judge() or judge_batch()")
        return self.judge_batch([sample])[0]

    def judge_batch(self, samples: list[Sample]) -> list[Score]:
        """Judge a batch; override this instead of :meth:`judge` when the batch matters.

        The default judges each sample with :meth:`judge`, turning an unexpected exception into
        a ``None`` score with status ``error`` (never a silent 0)."""
        if type(self).judge is Reward.judge:
            raise NotImplementedError(f"{type(self).__name__} must implement judge() or judge_batch()")
        judge = self.judge
        out: list[Score] = []
        for sample in samples:
            try:
                out.append(judge(sample))
            except Exception as exc:  # a bug in a reward must not kill a training run
                out.append(self._internal_error(exc))
        return out

    def _internal_error(self, exc: BaseException) -> Score:
        log.warning("rlvr reward %s raised %s: %s", self.__name__, type(exc).__name__, exc, exc_info=True)
        return Score(None, Status.ERROR, f"internal error: {type(exc).__name__}: {str(exc)[:200]}")

    # ----------------------------------------------------------------- public API
    def score(self, completion: Any, *, prompt: Any = None, completion_ids: Sequence[int] | None = None, **fields: Any) -> Score:
        """Judge one completion. ``fields`` are this sample's column values (e.g. ``solution="42"``).
        A missing required column raises :class:`MissingColumnError` (checked in ``build_samples``)."""
        return self.score_batch([completion], prompts=[prompt], completion_ids=[completion_ids], **{k: [v] for k, v in fields.items()})[0]

    def score_batch(
        self,
        completions: Sequence[Any],
        *,
        prompts: Sequence[Any] | None = None,
        completion_ids: Sequence[Sequence[int] | None] | None = None,
        **columns: Any,
    ) -> list[Score]:
        """Judge a batch and return one :class:`Score` per completion, in order."""
        samples, invalid = self.build_samples(completions, prompts=prompts, completion_ids=completion_ids, **columns)
        if not invalid:
            return self._judge_checked(samples)
        valid = [s for s in samples if s.index not in invalid]
        judged = iter(self._judge_checked(valid)) if valid else iter(())
        return [invalid[i] if i in invalid else next(judged) for i in range(len(samples))]

    def _judge_checked(self, samples: list[Sample]) -> list[Score]:
        """``judge_batch`` with its contract enforced: exactly one :class:`Score` per sample, no
        exception escaping into the training step (overrides of ``judge_batch`` included)."""
        try:
            scores = list(self.judge_batch(samples))
        except Exception as exc:  # a bug in a batch reward must not kill a training run either
            return [self._internal_error(exc)] * len(samples)
        if len(scores) != len(samples):
            bug = RuntimeError(f"judge_batch returned {len(scores)} scores for {len(samples)} samples")
            return [self._internal_error(bug)] * len(samples)
        return [s if isinstance(s, Score) else self._internal_error(
                    TypeError(f"judge returned {type(s).__name__}, not a Score")) for s in scores]

    def build_samples(
        self,
        completions: Sequence[Any],
        *,
        prompts: Sequence[Any] | None = None,
        completion_ids: Sequence[Sequence[int] | None] | None = None,
        **columns: Any,
    ) -> tuple[list[Sample], dict[int, Score]]:
        """Normalise a trainer batch into :class:`Sample` objects.

        Returns the samples and, by index, the scores of completions that could not be read
        (``invalid_input``, value ``None``). Raises :class:`MissingColumnError` when a
        required column is absent and ``ValueError`` when a column is not aligned.
        """
        if completions is None:
            raise ValueError(f"reward {self.__name__!r} was called without completions")
        if not isinstance(completions, list):
            completions = list(completions)
        n = len(completions)
        self._check_columns(columns.keys())
        per_sample: dict[str, Sequence[Any]] = {}
        shared: dict[str, Any] = {}
        for key, value in columns.items():
            if key in TRAINER_KWARGS:
                continue
            if isinstance(value, (list, tuple)) or _is_array(value):
                if len(value) != n:
                    raise ValueError(
                        f"reward {self.__name__!r}: column {key!r} has {len(value)} values for {n} completions"
                    )
                per_sample[key] = value
            else:
                shared[key] = value
        if prompts is not None and len(prompts) != n:
            raise ValueError(f"reward {self.__name__!r}: {len(prompts)} prompts for {n} completions")
        if completion_ids is not None and len(completion_ids) != n:
            completion_ids = None  # misaligned ids are unusable; rewards fall back to characters
        tags = self.tag_spec()
        samples: list[Sample] = []
        invalid: dict[int, Score] = {}
        for i, completion in enumerate(completions):
            try:
                text = completion_text(completion, tags=tags)
            except InvalidCompletion as exc:
                invalid[i] = Score(None, Status.INVALID_INPUT, f"unreadable completion: {exc}")
                text = ""
            fields = dict(shared)
            for key, values in per_sample.items():
                fields[key] = values[i]
            ids = completion_ids[i] if completion_ids is not None else None
            samples.append(Sample(text, prompts[i] if prompts is not None else None, ids, fields, i, completion))
        return samples, invalid

    def _check_columns(self, given: Iterable[str]) -> None:
        given = set(given)
        missing = [c for c in self.required_columns() if c not in given]
        if missing:
            got = sorted(k for k in given if k not in TRAINER_KWARGS)
            raise MissingColumnError(
                f"reward {self.__name__!r} needs column(s) {missing} but got {got or 'no columns'}. "
                "Add the column to the dataset (TRL passes every dataset column to reward functions) "
                "or point the reward at the column you have (e.g. get_reward('math_accuracy', solution_column='answer'))."
            )

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        """TRL / Unsloth reward-function contract (see the module docstring)."""
        log_extra = kwargs.get("log_extra")
        log_metric = kwargs.get("log_metric")
        scores = self.score_batch(completions, prompts=prompts, completion_ids=completion_ids, **kwargs)
        report_to_trainer(self.__name__, scores, log_extra, log_metric)
        return to_values(scores, self.params.none_as)

    def as_async(self) -> AsyncReward:
        """A wrapper whose ``__call__`` is a coroutine, for TRL >= 0.27 (which awaits async
        reward functions concurrently). Unsloth and TRL <= 0.26 need the plain reward."""
        return AsyncReward(self)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.model_dump().items())
        return f"<{type(self).__name__} {self.__name__!r} ({params})>"


def to_values(scores: Iterable[Score], none_as: float | None = None) -> list[float | None]:
    """Plain trainer-facing values; ``None`` replaced by ``none_as`` when given."""
    if none_as is None:
        return [s.value for s in scores]
    return [none_as if s.value is None else s.value for s in scores]


def report_to_trainer(name: str, scores: list[Score], log_extra: Any, log_metric: Any) -> None:
    """Use TRL's ``log_extra``/``log_metric`` (TRL >= 1.0) only when they were passed.
    Logs the same keys on every call (TRL averages metrics across ranks)."""
    if log_extra is not None:
        log_extra(f"{name}_status", [s.status.value for s in scores])
    if log_metric is not None and scores:
        log_metric(f"rlvr/{name}/unjudged_frac", sum(s.value is None for s in scores) / len(scores))


def _is_array(value: Any) -> bool:
    # numpy arrays / pandas series / torch tensors aligned with completions, without importing them
    return hasattr(value, "__len__") and hasattr(value, "__getitem__") and not isinstance(value, (str, bytes, dict))
