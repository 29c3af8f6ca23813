"""Running statistics of a scoring run and the end-of-run summary (text and JSON).

Per reward: mean over the samples it could judge (``value`` not ``None``), how many it could
not judge, and a count per status. The weighted total likewise.

Per group (rows given as ``completions``; a group of ``k`` completions for one prompt):

* ``mean_total``: the mean over groups of the group's mean total;
* ``pass@k``: the fraction of groups where at least one completion *passes*;
* ``pass@1``: the mean, over groups, of the fraction of completions that pass (the unbiased
  pass@1 estimate from k samples);
* ``zero_variance``: groups whose totals are all equal (GRPO advantages are all 0: no
  learning signal), and ``mean_std``: the mean within-group standard deviation of the total.

A completion *passes* when its pass metric is not ``None`` and is ``>= threshold``. The pass
metric is, by default, the stack's correctness reward at its own correct value (several: each
must pass; see :func:`rlvr.scoring.plan.build_plan`), or what ``--pass-reward`` names (one
reward or ``total``). Without one (``pass_metric=None``: no reward of the stack judges
correctness) ``pass@k``/``pass@1`` are ``None``; the other group figures are still computed.

A row *fails* (exit code 1) when its line is malformed or any reward gave it status
``error`` (a reward raised) or ``invalid_input`` (unreadable completion, missing column).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["FAILED_STATUSES", "RunStats"]

FAILED_STATUSES = frozenset({"error", "invalid_input"})
_MAX_EXAMPLES = 5


class RunStats:
    """Counters for one run; chunks are scored into their own ``RunStats`` and merged."""

    def __init__(self, names: Sequence[str], pass_metric: str | Sequence[str] | None = "total",
                 pass_threshold: float | Sequence[float] = 1.0):
        self.names = list(names)
        self.pass_metric = pass_metric
        self.pass_threshold = pass_threshold
        if pass_metric is None or pass_metric == "total":
            self._pass_rule: list[tuple[str, float]] = []
        else:
            metrics = [pass_metric] if isinstance(pass_metric, str) else list(pass_metric)
            thresholds = ([float(pass_threshold)] * len(metrics) if isinstance(pass_threshold, (int, float))
                          else [float(t) for t in pass_threshold])
            if len(thresholds) != len(metrics):
                raise ValueError(f"pass_threshold {pass_threshold!r} does not match pass_metric {pass_metric!r}")
            self._pass_rule = list(zip(metrics, thresholds))
        self.lines = 0
        self.rows = 0
        self.malformed = 0
        self.failed_rows = 0
        self.sums = [0.0] * len(self.names)
        self.judged = [0] * len(self.names)
        self.statuses: list[Counter[str]] = [Counter() for _ in self.names]
        self.total_sum = 0.0
        self.total_judged = 0
        self.groups = 0
        self.group_members = 0
        self.group_min = 0
        self.group_max = 0
        self.groups_passed = 0
        self.pass_rate_sum = 0.0
        self.zero_variance = 0
        self.std_sum = 0.0
        self.group_mean_sum = 0.0  # sum over groups of the mean judged total
        self.examples: list[str] = []  # first few problems, "line N: ..."

    # ----------------------------------------------------------------- accumulating
    def add_error(self, line: int, message: str) -> None:
        self.lines += 1
        self.malformed += 1
        if len(self.examples) < _MAX_EXAMPLES:
            self.examples.append(f"line {line}: {message}")

    def add_columns(self, values: list[list[float | None]], statuses: list[list[str]], reasons: list[list[str]],
                    totals: list[float | None], lines: list[int], n_input_lines: int) -> None:
        """Fold in scored rows given column-wise: ``values[j][i]`` is reward ``j`` on row ``i``."""
        self.lines += n_input_lines
        self.rows += len(totals)
        failed: set[int] = set()
        for j, (vals, sts) in enumerate(zip(values, statuses)):
            judged = [v for v in vals if v is not None]
            self.sums[j] += sum(judged)
            self.judged[j] += len(judged)
            counts = self.statuses[j]
            counts.update(sts)
            if "error" in counts or "invalid_input" in counts:
                bad = [i for i, st in enumerate(sts) if st in FAILED_STATUSES]
                for i in bad:
                    if i not in failed and len(self.examples) < _MAX_EXAMPLES:
                        self.examples.append(f"line {lines[i]}: {self.names[j]}: {sts[i]}: {reasons[j][i]}")
                failed.update(bad)
        self.failed_rows += len(failed)
        judged_totals = [t for t in totals if t is not None]
        self.total_sum += sum(judged_totals)
        self.total_judged += len(judged_totals)

    def add_group(self, records: list[dict[str, Any]]) -> None:
        """Fold in the group statistics of one group's output rows (already counted by add_columns)."""
        k = len(records)
        if not k:
            return
        totals = [r["total"] for r in records]
        if self.pass_metric == "total":
            threshold = float(self.pass_threshold)  # type: ignore[arg-type]
            passes = sum(1 for t in totals if t is not None and t >= threshold)
        else:
            passes = sum(1 for r in records if self._passes(r["rewards"]))
        self.groups += 1
        self.group_members += k
        self.group_min = k if self.groups == 1 else min(self.group_min, k)
        self.group_max = max(self.group_max, k)
        self.groups_passed += passes > 0
        self.pass_rate_sum += passes / k
        judged = [t for t in totals if t is not None]
        if judged:
            self.group_mean_sum += sum(judged) / len(judged)
        if all(t is not None for t in totals):
            mean = sum(totals) / k
            self.std_sum += math.sqrt(sum((t - mean) ** 2 for t in totals) / k)
            if max(totals) - min(totals) <= 1e-12:
                self.zero_variance += 1
        else:  # some totals unjudged: the group's spread is unknown, count it as no signal
            self.zero_variance += 1

    def _passes(self, rewards: dict[str, Any]) -> bool:
        if not self._pass_rule:
            return False
        for name, threshold in self._pass_rule:
            value = (rewards.get(name) or {}).get("value")
            if value is None or value < threshold:
                return False
        return True

    def add_line(self, records: list[dict[str, Any]], is_group: bool) -> None:
        """Fold in the output rows of one input line (one row, or a whole group), as read back."""
        values = [[(r["rewards"].get(n) or {}).get("value") for r in records] for n in self.names]
        statuses = [[(r["rewards"].get(n) or {}).get("status", "missing") for r in records] for n in self.names]
        reasons = [[(r["rewards"].get(n) or {}).get("reason", "") for r in records] for n in self.names]
        self.add_columns(values, statuses, reasons, [r["total"] for r in records], [r["line"] for r in records], 1)
        if is_group:
            self.add_group(records)

    def add_output_records(self, records: Iterable[dict[str, Any]]) -> None:
        """Fold in rows read back from an output file (``--resume``)."""
        pending: list[dict[str, Any]] = []
        for rec in records:
            if "error" in rec:
                self._flush(pending)
                pending = []
                self.add_error(rec["line"], rec["error"])
                continue
            if pending and pending[0]["line"] != rec["line"]:
                self._flush(pending)
                pending = []
            pending.append(rec)
        self._flush(pending)

    def _flush(self, pending: list[dict[str, Any]]) -> None:
        if pending:
            self.add_line(pending, pending[0].get("group_size") is not None)

    def merge(self, other: RunStats) -> None:
        self.lines += other.lines
        self.rows += other.rows
        self.malformed += other.malformed
        self.failed_rows += other.failed_rows
        for j in range(len(self.names)):
            self.sums[j] += other.sums[j]
            self.judged[j] += other.judged[j]
            self.statuses[j].update(other.statuses[j])
        self.total_sum += other.total_sum
        self.total_judged += other.total_judged
        if other.groups:
            self.group_min = other.group_min if not self.groups else min(self.group_min, other.group_min)
            self.group_max = max(self.group_max, other.group_max)
        self.groups += other.groups
        self.group_members += other.group_members
        self.groups_passed += other.groups_passed
        self.pass_rate_sum += other.pass_rate_sum
        self.zero_variance += other.zero_variance
        self.std_sum += other.std_sum
        self.group_mean_sum += other.group_mean_sum
        room = _MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(other.examples[:room])

    @property
    def any_failed(self) -> bool:
        return bool(self.malformed or self.failed_rows)

    # ----------------------------------------------------------------- reporting
    def to_dict(self, weights: dict[str, float] | None = None) -> dict[str, Any]:
        weights = weights or {}
        rewards = {}
        for j, name in enumerate(self.names):
            n = self.judged[j]
            rewards[name] = {
                "weight": weights.get(name),
                "mean": self.sums[j] / n if n else None,
                "judged": n,
                "unjudged": self.rows - n,
                "statuses": dict(sorted(self.statuses[j].items())),
            }
        out: dict[str, Any] = {
            "lines": self.lines,
            "rows": self.rows,
            "malformed_lines": self.malformed,
            "failed_rows": self.failed_rows,
            "rewards": rewards,
            "total": {
                "mean": self.total_sum / self.total_judged if self.total_judged else None,
                "judged": self.total_judged,
                "unjudged": self.rows - self.total_judged,
            },
            "groups": None,
            "problems": list(self.examples),
        }
        if self.groups:
            g = self.groups
            out["groups"] = {
                "count": g,
                "size_mean": self.group_members / g,
                "size_min": self.group_min,
                "size_max": self.group_max,
                "pass_metric": list(self.pass_metric) if isinstance(self.pass_metric, tuple) else self.pass_metric,
                "pass_threshold": (list(self.pass_threshold) if isinstance(self.pass_threshold, tuple)
                                   else self.pass_threshold),
                "mean_total": self.group_mean_sum / g,
                "pass_at_k": None if self.pass_metric is None else self.groups_passed / g,
                "pass_at_1": None if self.pass_metric is None else self.pass_rate_sum / g,
                "zero_variance": self.zero_variance,
                "mean_std": self.std_sum / g,
            }
        return out

    def _pass_text(self, g: dict[str, Any]) -> str:
        if self.pass_metric is None:
            return "pass@k -, pass@1 - (no reward of the stack judges correctness; name one with --pass-reward)"
        if self.pass_metric == "total":
            rule = f"total >= {float(self.pass_threshold):g}"  # type: ignore[arg-type]
        else:
            rule = " and ".join(f"{name} >= {threshold:g}" for name, threshold in self._pass_rule)
        return f"pass@k {g['pass_at_k']:.3f}, pass@1 {g['pass_at_1']:.3f} (pass: {rule})"

    def format_text(self, weights: dict[str, float], seconds: float, workers: int, new_rows: int | None = None,
                    resumed_lines: int = 0) -> str:
        """The human summary printed to stderr at the end of a run."""
        d = self.to_dict(weights)
        new_rows = d["rows"] if new_rows is None else new_rows
        lines = []
        rate = f"{new_rows / seconds:,.0f}" if seconds > 0 else "-"
        head = f"rlvr score: {d['lines']:,} lines, {d['rows']:,} rows; {new_rows:,} scored in {seconds:.2f} s ({rate} rows/s, {workers} worker{'s' if workers != 1 else ''})"
        if resumed_lines:
            head += f"; {resumed_lines:,} lines were already scored (--resume)"
        lines.append(head)
        width = max([len(n) for n in self.names] + [5])
        lines.append(f"  {'reward':<{width}}  {'weight':>6}  {'mean':>8}  {'judged':>8}  statuses")
        for name, r in d["rewards"].items():
            mean = "-" if r["mean"] is None else f"{r['mean']:.4f}"
            st = ", ".join(f"{k}={v:,}" for k, v in r["statuses"].items())
            w = r["weight"]
            lines.append(f"  {name:<{width}}  {'' if w is None else format(w, 'g'):>6}  {mean:>8}  {r['judged']:>8,}  {st}")
        t = d["total"]
        lines.append(f"  {'total':<{width}}  {'':>6}  {'-' if t['mean'] is None else format(t['mean'], '.4f'):>8}  {t['judged']:>8,}")
        g = d["groups"]
        if g:
            lines.append(
                f"  groups: {g['count']:,} (size {g['size_min']}-{g['size_max']}, mean {g['size_mean']:.1f}); "
                f"mean total per group {g['mean_total']:.4f}; "
                f"{self._pass_text(g)}; "
                f"zero-variance groups {g['zero_variance']:,}, mean within-group std {g['mean_std']:.4f}"
            )
        if self.malformed or self.failed_rows:
            lines.append(f"  problems: {self.malformed:,} malformed lines, {self.failed_rows:,} failed rows; first ones:")
            lines.extend(f"    {e}" for e in self.examples)
        return "\n".join(lines)
