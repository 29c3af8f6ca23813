"""veRL ``compute_score`` backed by rlvr rewards, dispatched through an editable table.

Tested against veRL 0.9.1 (tests/test_adapters_verl_package.py drives veRL's own config loader and
reward managers). veRL calls a custom reward function per sample (the ``naive``, ``dapo``, ``gdpo``,
``rate_limited`` reward-loop managers and the legacy ``naive``/``dapo``/``prime`` managers)::

    compute_score(data_source, solution_str, ground_truth, extra_info=None, **reward_kwargs)

or, with the legacy ``batch`` manager, once per batch with plural keywords (:func:`compute_score_batch`).
Point veRL (0.9.x: the ``reward.`` prefix) at it, by package or by file::

    reward.custom_reward_function.path=pkg://rlvr.adapters.verl
    reward.custom_reward_function.name=compute_score        # compute_score_batch for the batch manager

    reward.custom_reward_function.path=$(python -c "import rlvr.adapters.verl as m; print(m.__file__)")

Older veRL (before the reward loop) reads the top-level ``custom_reward_function.path``/``name``;
veRL 0.9.x still accepts that key but ignores it and silently scores with its own
``default_compute_score``. :func:`check_config` raises on that (and on a config that does not load
rlvr); call it on the composed config before training.

Loaded by file path (veRL names the module ``custom_module_<hash>``), this file hands out the
objects of the importable ``rlvr.adapters.verl`` module, so ``compute_score`` pickles (the
``prime`` manager and Ray send it to worker processes) and :data:`DATA_SOURCES` is one table.

To add or change dataset mappings, edit :data:`DATA_SOURCES` or call
:func:`register_data_source` in your own file that re-exports ``compute_score``, and point veRL
at that file. Such a ``my_reward.py`` holds (this example runs as a doctest)::

    >>> from rlvr.adapters.verl import RewardSpec, compute_score, register_data_source
    >>> spec = register_data_source("my_org/my_math", RewardSpec("math_accuracy", params={"strategies": ["boxed"]}),
    ...                             replace=True)
    >>> compute_score("my_org/my_math", "<think>2+2</think> The answer is \\\\boxed{4}.", "4")["score"]
    1.0

(Worker processes started with ``spawn`` re-import modules: put such registrations in an
importable module, not only in the file veRL loads.)
``RewardSpec.reward`` is anything :func:`rlvr.rewards.build.build_reward` accepts: a
registered name or preset, an importable ``"package.module:function"``, a ready reward, or a
plain named TRL reward function.

**Dispatch** (:data:`DATA_SOURCES`, a plain ``dict`` you may edit): an exact key wins; otherwise
the longest matching glob pattern (``fnmatch``, case-insensitive: ``"countdown*"``,
``"*/math*"``). An unknown ``data_source`` raises :class:`UnknownDataSourceError` listing every
key, so a typo fails the first step instead of training on zeros. :func:`check_dataset` finds
unknown data sources and missing columns in the training rows before veRL starts.

**Scales**: every built-in source scores a correct sample 1.0 and a wrong one 0.0, except
``math_dapo`` and ``math_dapo_reasoning`` (DAPO-Math-17k), which use veRL's own DAPO scale:
correct +1.0, wrong / no answer / timeout -1.0. Those rows state their answer as a last line
``Answer: 34``; every maths source reads that form (extraction strategy ``answer_line``).
(veRL's built-in scorer also puts ``math`` and ``aime*`` on -1/+1; here they stay 0/1.)

**Return value**: a dict with the same keys for every sample, as veRL's reward managers want
(``score`` becomes the token-level reward at the last valid response token; the other keys go to
``reward_extra_info``, whose string values veRL's validation metrics skip)::

    {"score": float, "acc": float, "status": "correct" | "wrong" | ..., "reason": str, "judged": bool}

``acc`` is 1.0 for a ``correct`` sample, 0.0 for any other judged outcome, and the score itself for
rewards without a notion of correctness (status ``ok``); DAPO's ``filter_groups.metric=acc`` reads it.
The dict (:class:`VerlScore`) also answers ``result[0]`` with the score: the ``prime`` manager reads
``float(result[0])`` from anything that is not a number. veRL needs a number, so a ``None`` score
("cannot judge": unparseable gold, sandbox down) becomes the spec's ``none_as`` (default ``0.0``)
with ``judged=False`` and the real status. Pass ``return_dict=False``
(``reward.custom_reward_function.reward_kwargs``) to get the bare float. Model output never makes
this function raise: hostile or malformed text is a score and a status.

**Ground truth**: veRL stores one ``reward_model.ground_truth`` per row. A spec says which
column it becomes (``ground_truth_column``; default: the reward's first required column).
A dict ground truth (countdown's ``{"target": 24, "nums": [...]}``) with no
``ground_truth_column`` is spread into columns, renamed by ``ground_truth_keys``. Code sources pass
the whole ground truth, a dict or JSON string, to ``code_tests``' tests column: APPS/TACO
``{"inputs": [...], "outputs": [...], "fn_name"?: str}``, code_contests
``{"input": [...], "output": [...]}`` or its ``public_tests``/``private_tests``/``generated_tests``
record, and open-r1 ``{"test_cases": [...]}``. ``extra_info`` items are passed as extra columns
(they never override the ground truth). NumPy arrays (parquet lists) become Python lists.
"""

# No ``from __future__ import annotations`` here: veRL loads this file by path under another module
# name (``custom_module``), sometimes without registering it in sys.modules, and dataclasses with
# string annotations then fail to resolve their module. Every annotation below works at runtime.

import fnmatch
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DATA_SOURCES",
    "RewardSpec",
    "UnknownDataSourceError",
    "VerlConfigError",
    "VerlScore",
    "check_config",
    "check_dataset",
    "compute_score",
    "compute_score_batch",
    "register_data_source",
    "resolve_data_source",
]

_CANONICAL = "rlvr.adapters.verl"


class UnknownDataSourceError(KeyError):
    """No :data:`DATA_SOURCES` key or pattern matches a ``data_source``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class VerlConfigError(ValueError):
    """A veRL config that would not score with rlvr (see :func:`check_config`)."""


class VerlScore(dict):
    """The per-sample result: a plain ``dict`` (``score``, ``acc``, ``status``, ``reason``, ``judged``)
    that also answers ``result[0]`` with ``score``, which is what veRL's ``prime`` manager reads."""

    def __getitem__(self, key: Any) -> Any:
        if key == 0 and not isinstance(key, bool) and 0 not in self.keys():
            return dict.__getitem__(self, "score")
        return dict.__getitem__(self, key)

    def __reduce__(self) -> Any:
        return (VerlScore, (dict(self),))


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
        code_tests: the ground truth is a code test record (APPS/TACO, code_contests, open-r1);
            code_contests shapes are rewritten to APPS ``inputs``/``outputs`` before judging.
    """

    reward: Any
    params: Mapping[str, Any] = field(default_factory=dict)
    ground_truth_column: str | None = None
    ground_truth_keys: Mapping[str, str] = field(default_factory=dict)
    parse_json: bool = False
    none_as: float = 0.0
    code_tests: bool = False


def _math(**params: Any) -> RewardSpec:
    return RewardSpec("math_accuracy", params=params, ground_truth_column="solution")


#: maths answers: \boxed{}, "#### 42", "the answer is 42", and a last line "Answer: 42"
_MATH_STRATEGIES = ["boxed", "gsm8k", "answer_phrase", "answer_line"]
#: DAPO-Math-17k ("... Answer: 34" as the last line), on veRL's DAPO scale: correct +1, anything else -1
_DAPO = dict(strategies=["answer_line", "boxed", "answer_phrase"], correct_value=1.0, wrong_value=-1.0,
             timeout_value=-1.0)
_CODE = RewardSpec("code_tests", ground_truth_column="verification_info", code_tests=True)

#: data_source (exact name or glob pattern, case-insensitive) -> how to score it. Edit freely,
#: or use :func:`register_data_source`.
DATA_SOURCES: dict[str, RewardSpec] = {
    # grade-school math: a plain number ("#### 72", \boxed{72} or "the answer is 72") compared exactly;
    # the ground truth goes to numeric_answer's reference column
    "openai/gsm8k": RewardSpec("numeric_answer"),
    "gsm8k*": RewardSpec("numeric_answer"),
    # competition math: final answer compared with math-verify
    "lighteval/math*": _math(strategies=_MATH_STRATEGIES),
    "digitallearninggmbh/math-lighteval": _math(strategies=_MATH_STRATEGIES),
    "huggingfaceh4/math-500": _math(strategies=_MATH_STRATEGIES),
    "math*": _math(strategies=_MATH_STRATEGIES),
    "aime*": _math(strategies=_MATH_STRATEGIES),
    "amc*": _math(strategies=_MATH_STRATEGIES),
    "numina_*": _math(strategies=_MATH_STRATEGIES),
    "deepscaler*": _math(strategies=_MATH_STRATEGIES),
    "*/deepscaler*": _math(strategies=_MATH_STRATEGIES),
    # DAPO-Math-17k on veRL's -1/+1 scale
    "math_dapo": _math(**_DAPO),
    "math_dapo_reasoning": _math(**_DAPO),
    # countdown (TinyZero layout: ground_truth = {"target": int, "numbers"/"nums": [...]})
    "countdown*": RewardSpec("countdown", ground_truth_keys={"numbers": "nums"}),
    "*/countdown*": RewardSpec("countdown", ground_truth_keys={"numbers": "nums"}),
    # code with input/output tests: the ground truth (dict or JSON string) is the tests record
    "codecontests": _CODE,
    "apps": _CODE,
    "codeforces": _CODE,
    "taco": _CODE,
    "primeintellect": _CODE,
    "livecodebench*": _CODE,
    "*/code*": _CODE,
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
    ``memory_limit_mb``, ``reward_router_address``, ...) are ignored.

    Raises (misconfiguration only, never for model output):
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
        texts = [_text(solution_strs[i]) for i in idx]
        scores = reward.score_batch(texts, **columns)
        for i, score in zip(idx, scores):
            value = float(spec.none_as if score.value is None else score.value)
            results[i] = _result(value, score) if return_dict else value
    return results


def _result(value: float, score: Any) -> VerlScore:
    status = score.status.value
    acc = 1.0 if status == "correct" else value if status == "ok" else 0.0
    return VerlScore(score=value, acc=acc, status=status, reason=score.reason, judged=score.value is not None)


def _text(solution: Any) -> Any:
    """veRL decodes responses to ``str``; bytes (a custom manager) are decoded, anything else is left to
    the reward, which scores what it cannot read as ``invalid_input``."""
    if isinstance(solution, bytes):
        return solution.decode("utf-8", errors="replace")
    return solution


def check_config(config: Any) -> None:
    """Raise :class:`VerlConfigError` unless ``config`` (veRL's composed trainer config, an OmegaConf
    ``DictConfig`` or a plain mapping) makes veRL 0.9.x score with this module.

    Detects: the legacy top-level ``custom_reward_function.path`` (ignored by veRL 0.9.x, which then
    scores with its own ``default_compute_score``), no custom reward function at all, and a
    ``name`` this module does not define.
    """
    reward = _get(config, "reward") or {}
    current = _get(reward, "custom_reward_function") or {}
    legacy = _get(config, "custom_reward_function") or {}
    path, name = _get(current, "path"), _get(current, "name")
    if not path:
        if _get(legacy, "path"):
            raise VerlConfigError(
                f"custom_reward_function.path={_get(legacy, 'path')!r} is the pre-0.9 veRL key; veRL 0.9 ignores it "
                "and scores with its own default_compute_score. Use reward.custom_reward_function.path="
                "pkg://rlvr.adapters.verl and reward.custom_reward_function.name=compute_score instead.")
        raise VerlConfigError(
            "no custom reward function: set reward.custom_reward_function.path=pkg://rlvr.adapters.verl and "
            "reward.custom_reward_function.name=compute_score")
    if name not in ("compute_score", "compute_score_batch"):
        raise VerlConfigError(
            f"reward.custom_reward_function.name={name!r}: rlvr.adapters.verl defines compute_score (per-sample "
            "managers) and compute_score_batch (the batch manager)")
    manager = _get(_get(reward, "reward_manager") or {}, "name")
    if (manager == "batch") != (name == "compute_score_batch"):
        raise VerlConfigError(
            f"reward manager {manager!r} with name={name!r}: the batch manager calls compute_score_batch, every "
            "other manager calls compute_score")


def check_dataset(rows: Iterable[Mapping[str, Any]], *, reward_fn_key: str = "data_source") -> int:
    """Check veRL training rows (dicts with ``data_source``, ``reward_model.ground_truth``, optional
    ``extra_info``, e.g. ``pandas.read_parquet(path).to_dict("records")``) before training: every
    ``data_source`` maps to a reward and the reward gets the columns it requires.

    Returns the number of rows checked. Raises :class:`UnknownDataSourceError`,
    :class:`rlvr.MissingColumnError` or ``ValueError`` naming the first bad row.
    """
    from rlvr.rewards.base import MissingColumnError

    count = 0
    for i, row in enumerate(rows):
        count += 1
        if reward_fn_key not in row:
            raise ValueError(f"row {i}: no {reward_fn_key!r} column (veRL's reward_fn_key)")
        model = row.get("reward_model")
        if not isinstance(model, Mapping) or "ground_truth" not in model:
            raise ValueError(f"row {i}: no reward_model.ground_truth (veRL reads the reference from there)")
        spec = resolve_data_source(row[reward_fn_key])
        reward = _reward_for(spec)
        columns = _columns(spec, reward, model["ground_truth"], row.get("extra_info"))
        required = getattr(reward, "required_columns", lambda: ())()
        missing = [c for c in required if c not in columns]
        if missing:
            raise MissingColumnError(
                f"row {i} (data_source {row[reward_fn_key]!r}): reward {getattr(reward, '__name__', reward)!r} needs "
                f"column(s) {missing}; put them in reward_model.ground_truth or extra_info, or set the spec's "
                f"ground_truth_column")
    return count


def _get(obj: Any, key: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping) or hasattr(obj, "get"):
        try:
            return obj.get(key)
        except Exception:  # an OmegaConf node with a missing/interpolation error counts as unset
            return None
    return getattr(obj, key, None)


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
    if (spec.parse_json or spec.code_tests) and isinstance(gt, (str, bytes)):
        try:
            gt = json.loads(gt)
        except ValueError:
            pass  # not JSON: the reward judges the string as it is
    if spec.code_tests:
        gt = _code_tests(gt)
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


def _code_tests(gt: Any) -> Any:
    """code_contests shapes -> APPS ``{"inputs", "outputs"}``; other records pass through unchanged."""
    if not isinstance(gt, Mapping) or "inputs" in gt or "outputs" in gt or "test_cases" in gt:
        return gt
    if "input" in gt or "output" in gt:
        out = {"inputs": gt.get("input"), "outputs": gt.get("output")}
    else:
        groups = [gt[k] for k in ("public_tests", "private_tests", "generated_tests") if isinstance(gt.get(k), Mapping)]
        if not groups:
            return gt
        out = {"inputs": [], "outputs": []}
        for g in groups:
            ins, outs = g.get("input") or [], g.get("output") or []
            if len(ins) != len(outs):
                return gt  # unreadable: the reward reports gold_unparseable
            out["inputs"] += list(ins)
            out["outputs"] += list(outs)
    if gt.get("fn_name"):
        out["fn_name"] = gt["fn_name"]
    return out


def _plain(value: Any) -> Any:
    """NumPy arrays/scalars (how parquet lists arrive) -> Python objects, recursively for dicts/lists."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _plain(value.tolist())
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_pattern(key: str) -> bool:
    return any(c in key for c in "*?[")


if __name__ != _CANONICAL:
    # Loaded by file path under a throwaway name (veRL's custom_module_<hash>): hand out the importable
    # module's objects, so compute_score pickles by reference and there is one DATA_SOURCES table.
    import importlib as _importlib

    _canonical = _importlib.import_module(_CANONICAL)
    globals().update({_name: getattr(_canonical, _name) for _name in __all__})
