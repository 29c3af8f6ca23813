"""veRL ``compute_score`` backed by rlvr rewards, dispatched through an editable table.

veRL calls a custom reward function per sample (``naive``/``prime``/``dapo`` reward managers)::

    compute_score(data_source, solution_str, ground_truth, extra_info=None, **reward_kwargs)

or, with the ``batch`` manager, once per batch with plural keywords (:func:`compute_score_batch`).
Point veRL at it::

    custom_reward_function:
      path: /path/to/site-packages/rlvr/adapters/verl.py   # python -c "import rlvr.adapters.verl as m; print(m.__file__)"
      name: compute_score          # or compute_score_batch with reward_model.reward_manager=batch

To add or change dataset mappings, write your own file that imports this module, calls
:func:`register_data_source`, and re-exports ``compute_score``; point veRL at that file
(veRL loads the file as a fresh module, so edits must live in the file it loads). Such a
``my_reward.py`` holds (this example runs as a doctest)::

    >>> from rlvr.adapters.verl import RewardSpec, compute_score, register_data_source
    >>> spec = register_data_source("my_org/my_math", RewardSpec("math_accuracy", params={"strategies": ["boxed"]}),
    ...                             replace=True)
    >>> compute_score("my_org/my_math", "<think>2+2</think> The answer is \\\\boxed{4}.", "4")["score"]
    1.0

``RewardSpec.reward`` is anything :func:`rlvr.rewards.build.build_reward` accepts: a
registered name or preset, an importable ``"package.module:function"``, a ready reward, or a
plain named TRL reward function.

**Dispatch** (:data:`DATA_SOURCES`, a plain ``dict`` you may edit): an exact key wins; otherwise
the longest matching glob pattern (``fnmatch``, case-insensitive: ``"countdown*"``,
``"*/math*"``). An unknown ``data_source`` raises :class:`UnknownDataSourceError` listing every
key, so a typo fails the first step instead of training on zeros.

**Return value**: a dict with the same keys for every sample, as veRL's reward managers want
(``score`` becomes the token-level reward; the other keys go to ``reward_extra_info``, whose
string values veRL's validation metrics skip)::

    {"score": float, "status": "correct" | "wrong" | ..., "reason": str, "judged": bool}

veRL needs a number, so a ``None`` score ("cannot judge": unparseable gold, sandbox down)
becomes the spec's ``none_as`` (default ``0.0``) with ``judged=False`` and the real status.
Pass ``return_dict=False`` (``custom_reward_function.reward_kwargs``) to get the bare float.

**Ground truth**: veRL stores one ``reward_model.ground_truth`` per row. A spec says which
column it becomes (``ground_truth_column``; default: the reward's first required column).
A dict ground truth (countdown's ``{"target": 24, "nums": [...]}``) with no
``ground_truth_column`` is spread into columns, renamed by ``ground_truth_keys``. ``extra_info``
items are passed as extra columns (they never override the ground truth). NumPy arrays
(parquet lists) become Python lists.
"""

# No ``from __future__ import annotations`` here: veRL loads this file by path under another module
# name (``custom_module``), sometimes without registering it in sys.modules, and dataclasses with
# string annotations then fail to resolve their module. Every annotation below works at runtime.

import fnmatch
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DATA_SOURCES",
    "RewardSpec",
    "UnknownDataSourceError",
    "compute_score",
    "compute_score_batch",
    "register_data_source",
    "resolve_data_source",
]


class UnknownDataSourceError(KeyError):
    """No :data:`DATA_SOURCES` key or pattern matches a ``data_source``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class RewardSpec:
    """How to score one family of veRL datasets with an rlvr reward.

    Attributes:
        reward: a registered reward or preset name, or ``"package.module:function"`` (built once per
            process with ``params``; see :func:`rlvr.rewards.build.build_reward`),
            or a ready rlvr reward / :class:`~rlvr.rewards.stack.RewardStack`.
        params: parameters for ``get_reward(reward, **params)``.
        ground_truth_column: column name that receives ``ground_truth``; ``None`` means: spread
            a dict ground truth into columns, otherwise use the reward's first required column.
        ground_truth_keys: renames applied when spreading a dict ground truth
            (``{"numbers": "nums"}`` turns key ``numbers`` into column ``nums``).
        parse_json: a string ground truth that is JSON (``'{"inputs": [...]}'``) is decoded first.
        none_as: the number veRL gets when the reward cannot judge a sample.
    """

    reward: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    ground_truth_column: str | None = None
    ground_truth_keys: Mapping[str, str] = field(default_factory=dict)
    parse_json: bool = False
    none_as: float = 0.0


#: data_source (exact name or glob pattern, case-insensitive) -> how to score it. Edit freely,
#: or use :func:`register_data_source`.
DATA_SOURCES: dict[str, RewardSpec] = {
    # grade-school math: a plain number ("#### 72", \boxed{72} or "the answer is 72") compared exactly;
    # the ground truth goes to numeric_answer's reference column
    "openai/gsm8k": RewardSpec("numeric_answer"),
    "gsm8k*": RewardSpec("numeric_answer"),
    # competition math: final answer compared with math-verify
    "lighteval/math*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "digitallearninggmbh/math-lighteval": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "huggingfaceh4/math-500": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "math*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "aime*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "amc*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "numina_*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "deepscaler*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    "*/deepscaler*": RewardSpec("math_accuracy", ground_truth_column="solution"),
    # countdown (TinyZero layout: ground_truth = {"target": int, "numbers"/"nums": [...]})
    "countdown*": RewardSpec("countdown", ground_truth_keys={"numbers": "nums"}),
    "*/countdown*": RewardSpec("countdown", ground_truth_keys={"numbers": "nums"}),
    # code with input/output tests (veRL's prime_code layout: JSON {"inputs": [...], "outputs": [...]})
    "codecontests": RewardSpec("code_tests", parse_json=True),
    "apps": RewardSpec("code_tests", parse_json=True),
    "codeforces": RewardSpec("code_tests", parse_json=True),
    "taco": RewardSpec("code_tests", parse_json=True),
    "primeintellect": RewardSpec("code_tests", parse_json=True),
    "livecodebench*": RewardSpec("code_tests", parse_json=True),
    "*/code*": RewardSpec("code_tests", parse_json=True),
}

#: keywords of ``score_batch`` and trainer hooks: never taken from ``extra_info``.
_RESERVED = frozenset({"completions", "prompts", "completion_ids", "trainer_state", "log_extra", "log_metric",
                       "environments"})

_built: dict[int, tuple[RewardSpec, Any]] = {}
_build_lock = threading.Lock()


def register_data_source(pattern: str, spec: RewardSpec | str, *, replace: bool = False, **params: Any) -> RewardSpec:
    """Map ``pattern`` (exact ``data_source`` or glob) to a reward.

    ``spec`` is a :class:`RewardSpec`, or a reward name plus ``**params`` (keyword fields of
    :class:`RewardSpec` such as ``ground_truth_column=`` are taken from ``params`` too).

    Raises:
        ValueError: ``pattern`` is already mapped and ``replace`` is false.
    """
    if isinstance(spec, str):
        spec_fields = {k: params.pop(k) for k in list(params) if k in RewardSpec.__dataclass_fields__}
        spec = RewardSpec(spec, params=params, **spec_fields)
    elif params:
        raise TypeError("pass either a RewardSpec or a reward name with parameters, not both")
    key = pattern.lower()
    if key in DATA_SOURCES and not replace:
        raise ValueError(f"data_source {pattern!r} is already mapped to {DATA_SOURCES[key].reward!r}; pass replace=True")
    DATA_SOURCES[key] = spec
    return spec


def resolve_data_source(data_source: str) -> RewardSpec:
    """The :class:`RewardSpec` for ``data_source`` (exact key, else the longest matching pattern)."""
    name = str(data_source).lower()
    table = {k.lower(): v for k, v in DATA_SOURCES.items()}
    if name in table:
        return table[name]
    matches = [k for k in table if _is_pattern(k) and fnmatch.fnmatchcase(name, k)]
    if matches:
        return table[max(matches, key=len)]
    raise UnknownDataSourceError(
        f"rlvr.adapters.verl: no reward mapped for data_source {data_source!r}. Known data sources and patterns: "
        f"{', '.join(sorted(DATA_SOURCES))}. Add one with register_data_source({data_source!r}, RewardSpec('<reward>'))."
    )


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    *,
    return_dict: bool = True,
    **kwargs: Any,
) -> dict[str, Any] | float:
    """veRL's per-sample reward function (see the module docstring for dispatch and return values).

    Unknown keywords that veRL passes (``sandbox_fusion_url``, ``concurrent_semaphore``,
    ``memory_limit_mb``, ...) are ignored.

    Raises:
        UnknownDataSourceError: ``data_source`` matches no key or pattern.
        rlvr.MissingColumnError: the reward needs a column neither ground truth nor extra_info gave.
    """
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], return_dict=return_dict)[0]


def compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    *,
    return_dict: bool = True,
    **kwargs: Any,
) -> list[dict[str, Any] | float]:
    """veRL ``batch`` reward manager entry point: one result per sample, in order.

    Samples are grouped by their resolved spec and each group is judged in one
    ``score_batch`` call (math/code rewards parallelise inside a batch).
    """
    n = len(solution_strs)
    if len(data_sources) != n or len(ground_truths) != n:
        raise ValueError(f"{len(data_sources)} data_sources, {n} solution_strs, {len(ground_truths)} ground_truths")
    if extra_infos is None:
        extra_infos = [None] * n
    groups: dict[int, list[int]] = {}
    specs: dict[int, RewardSpec] = {}
    for i, source in enumerate(data_sources):
        spec = resolve_data_source(source)
        groups.setdefault(id(spec), []).append(i)
        specs[id(spec)] = spec
    results: list[Any] = [None] * n
    for key, idx in groups.items():
        spec = specs[key]
        reward = _reward_for(spec)
        rows = [_columns(spec, reward, ground_truths[i], extra_infos[i]) for i in idx]
        names = list(dict.fromkeys(k for row in rows for k in row))
        columns = {k: [row.get(k) for row in rows] for k in names}
        scores = reward.score_batch([solution_strs[i] for i in idx], **columns)
        for i, score in zip(idx, scores):
            value = spec.none_as if score.value is None else score.value
            results[i] = (
                {"score": float(value), "status": score.status.value, "reason": score.reason,
                 "judged": score.value is not None}
                if return_dict
                else float(value)
            )
    return results


def _reward_for(spec: RewardSpec) -> Any:
    with _build_lock:
        hit = _built.get(id(spec))
        if hit is None or hit[0] is not spec:
            from rlvr.rewards.build import build_reward

            hit = (spec, build_reward(spec.reward, params=spec.params))
            _built[id(spec)] = hit
        return hit[1]


def _columns(spec: RewardSpec, reward: Any, ground_truth: Any, extra_info: Mapping[str, Any] | None) -> dict[str, Any]:
    gt = _plain(ground_truth)
    if spec.parse_json and isinstance(gt, str):
        try:
            gt = json.loads(gt)
        except ValueError:
            pass  # not JSON: the reward judges the string as it is
    columns: dict[str, Any] = {}
    if isinstance(extra_info, Mapping):
        columns.update({str(k): _plain(v) for k, v in extra_info.items() if str(k) not in _RESERVED})
    if spec.ground_truth_column is None and isinstance(gt, Mapping):
        for k, v in gt.items():
            columns[spec.ground_truth_keys.get(k, k)] = v
    else:
        column = spec.ground_truth_column
        if column is None:
            required = reward.required_columns()
            column = required[0] if required else "ground_truth"
        columns[column] = gt
    return columns


def _plain(value: Any) -> Any:
    """NumPy arrays/scalars (how parquet lists arrive) -> Python objects, recursively for dicts/lists."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_pattern(key: str) -> bool:
    return any(c in key for c in "*?[")
