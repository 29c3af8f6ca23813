"""Parent side: is an extracted maths answer equivalent to the reference?

:class:`MathVerifier` is what rewards use (``rlvr.math.verify`` is the one-call form). For each
(gold, answer) pair it:

1. **normalises both sides with the same function** (:func:`~rlvr.math.normalise.normalise_answer`);
2. **fast paths, in-process, no sympy**: identical normalised strings are correct; plain
   numbers compared exactly (:mod:`rlvr.math.numbers`); intervals/tuples of plain numbers,
   lists with repeated elements and multiple-choice letters (:mod:`rlvr.math.structures`); a
   plain number against a reference whose value (or "has variables") an earlier sympy
   comparison reported (the *gold value hints*);
3. **verdict cache** on (normalised gold, normalised answer), an LRU shared by the threads of
   the process;
4. **sympy path in a worker process** (:func:`rlvr.math.symbolic.judge_pair`, run by a
   :class:`~rlvr.runtime.deadline_pool.DeadlinePool`) under a deadline enforced by killing and
   respawning the worker.

Verdict statuses (:class:`~rlvr.score.Status`): ``CORRECT``, ``WRONG``, ``GOLD_UNPARSEABLE``
(the reference cannot be parsed: never rewarded), ``TIMEOUT`` (the worker was killed at the
deadline, or the call's batch budget ran out), ``ERROR`` (the worker crashed or raised: a bug
or resource exhaustion; or no worker could start).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from rlvr.math.normalise import compact, normalise_answer
from rlvr.math.numbers import PlainNumber, as_plain_number, comma_decimal, compare_plain_numbers
from rlvr.math.structures import mcq_choices, plain_tuple_verdict, repeated_elements_verdict
from rlvr.math.symbolic import SYMBOLIC
from rlvr.math.verdict import Verdict, VerifyConfig
from rlvr.score import Status

__all__ = ["MathVerifier"]


#: the worker side (:mod:`rlvr.math.symbolic`), named for the pool ("module:function")
_TASK_HANDLER = "rlvr.math.symbolic:judge_pair"
_WORKER_INIT = "rlvr.math.symbolic:start_worker"


class MathVerifier:
    """Gold-first maths equivalence with fast paths, caches and a kill-able deadline.

    Args:
        config: comparison policy (:class:`VerifyConfig`).
        timeout: seconds one sympy comparison may take before its worker is killed (``None``
            or ``0``: no deadline; the comparison still runs in a worker).
        batch_budget: wall seconds one :meth:`verify_many` call may spend on sympy work in
            all; what is not settled then is ``timeout`` (not cached: it was never judged to
            the end). ``None`` (default): ``max(2 * timeout, 0.25 s * comparisons / workers)``,
            i.e. twice the deadline for a GRPO step's batch, growing with very large (offline)
            batches so that they are never cut short by a budget meant for one step (see
            :meth:`budget_for`); ``0``: no budget.
        workers: comparisons run at once, in as many worker processes (shared by every
            verifier of the process with the same ``workers``/``memory_limit_mb``). A
            comparison that runs more than ``min(0.5 s, timeout / 4)`` while others wait is
            parked and resumed later, so hostile answers cannot hold a batch behind them
            (up to ``max_parked`` parked processes per call besides the ``workers``).
        in_process: run the sympy path in this process without any deadline (debugging,
            platforms without subprocesses). Off-main-thread this has no protection at all.
        cache_size: verdicts kept in the LRU.
        memory_limit_mb: address-space limit of each worker (``RLIMIT_AS``); ``None``: none.

    Thread-safe. Picklable (caches and the pool are not pickled; they are per process).
    """

    def __init__(self, config: VerifyConfig | None = None, *, timeout: float | None = 10.0, workers: int = 2,
                 in_process: bool = False, cache_size: int = 100_000, memory_limit_mb: int | None = 4096,
                 batch_budget: float | None = None, max_parked: int = 8):
        self.config = config or VerifyConfig()
        self.timeout = timeout if timeout else None
        self.batch_budget = batch_budget  #: the parameter as given (``None``: automatic)
        self.max_parked = max(0, int(max_parked))
        self.workers = max(1, int(workers))
        self.in_process = in_process
        self.cache_size = cache_size
        self.memory_limit_mb = memory_limit_mb
        self._init_state()

    def _init_state(self) -> None:
        self._cache: OrderedDict[tuple[str, str], Verdict] = OrderedDict()
        self._lock = threading.Lock()
        #: normalised reference -> its plain-number reading (computed here, in the parent)
        self._gold_numbers: dict[str, PlainNumber | None] = {}
        #: normalised reference -> its value as reported by a worker (:func:`rlvr.math.symbolic.gold_value`)
        self._gold_value_hints: dict[str, float | str | None] = {}

    #: seconds of budget per sympy comparison and worker beyond ``2 * timeout`` (big batches)
    BUDGET_PER_COMPARISON = 0.25

    def budget_for(self, comparisons: int) -> float | None:
        """The wall budget (seconds) of a call that needs ``comparisons`` sympy comparisons;
        ``None``: unbounded."""
        if self.batch_budget is not None:
            return self.batch_budget if self.batch_budget > 0 else None
        if not self.timeout:
            return None
        return max(2 * self.timeout, self.BUDGET_PER_COMPARISON * comparisons / self.workers)

    def _remember_gold_value(self, gold: str, value: float | str | None) -> None:
        with self._lock:
            if len(self._gold_value_hints) > 50_000:
                self._gold_value_hints.clear()
            self._gold_value_hints[gold] = value

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_cache", "_lock", "_gold_numbers", "_gold_value_hints")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_state()

    # ------------------------------------------------------------------ helpers
    def _gold_number(self, gold: str) -> PlainNumber | None:
        try:
            return self._gold_numbers[gold]
        except KeyError:
            value = as_plain_number(gold)
            if len(self._gold_numbers) > 50_000:
                self._gold_numbers.clear()
            self._gold_numbers[gold] = value
            return value

    def _cached(self, key: tuple[str, str]) -> Verdict | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _remember(self, key: tuple[str, str], verdict: Verdict) -> None:
        if verdict.status is Status.ERROR or verdict.path == "budget":
            return
        with self._lock:
            self._cache[key] = verdict
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def fast_verdict(self, gold: str, answer: str) -> Verdict | None:
        """The in-process verdict when no sympy work is needed (inputs already normalised)."""
        if compact(gold) == compact(answer):
            return Verdict(Status.CORRECT, "identical after normalisation", "string")
        repeats = repeated_elements_verdict(gold, answer)
        if repeats is not None:
            return repeats
        tup = plain_tuple_verdict(gold, answer, self.config)
        if tup is not None:
            return tup
        choice = mcq_choices(gold, answer)
        if choice is not None:
            return Verdict(Status.CORRECT if choice[0] == choice[1] else Status.WRONG, "multiple-choice letters", "choice")
        g = self._gold_number(gold)
        p = as_plain_number(answer)
        if g is None and p is not None:
            # a plain-number answer far (> 5 %) from a constant reference whose value an earlier
            # comparison computed (``417`` for ``5\\sqrt{2}``): wrong under every rule we apply
            value = self._gold_value_hints.get(gold)
            if value == SYMBOLIC and self.config.strict:
                return Verdict(Status.WRONG, "a number for a reference with variables", "numeric_value")
            if isinstance(value, float):
                a = float(p.value)
                if abs(a - value) > 0.05 * max(abs(a), abs(value)):
                    return Verdict(Status.WRONG, "different numbers", "numeric_value")
        # a decimal comma counts only against a number written with a decimal point
        if g is None and p is not None and p.decimals is not None:
            g = comma_decimal(gold)
        elif p is None and g is not None and g.decimals is not None:
            p = comma_decimal(answer)
        if g is None or p is None:
            return None
        if compare_plain_numbers(g, p, self.config.float_rounding, self.config.approx_decimals):
            return Verdict(Status.CORRECT, "equal numbers", "numeric")
        return Verdict(Status.WRONG, "different numbers", "numeric")

    # ------------------------------------------------------------------ public API
    def verify(self, gold: str, answer: str) -> Verdict:
        """One comparison (see :meth:`verify_many`)."""
        return self.verify_many([(gold, answer)])[0]

    def verify_many(self, pairs: Sequence[tuple[str, str]]) -> list[Verdict]:
        """Compare each ``(gold, answer)`` (raw text; both normalised here). One IPC batch for
        all pairs that need sympy; duplicates inside the batch are computed once."""
        out: list[Verdict | None] = [None] * len(pairs)
        pending: dict[tuple[str, str], list[int]] = {}
        for i, (gold, answer) in enumerate(pairs):
            g, a = normalise_answer(gold), normalise_answer(answer)
            if not g:
                out[i] = Verdict(Status.GOLD_UNPARSEABLE, "the reference answer is empty", "string")
                continue
            key = (g, a)
            hit = self._cached(key)
            if hit is not None:
                out[i] = Verdict(hit.status, hit.reason, "cache:" + hit.path)  # seconds 0: no work
                continue
            fast = self.fast_verdict(g, a)
            if fast is not None:
                self._remember(key, fast)
                out[i] = fast
                continue
            pending.setdefault(key, []).append(i)
        if pending:
            budget = self.budget_for(len(pending))
            until = time.monotonic() + budget if budget else None
            # Two rounds: plain-number answers against a reference whose numeric value is not
            # known yet wait until the first round has computed it (far-off numbers are then
            # rejected in-process, without a sympy task).
            first = list(pending)
            waiting: list[tuple[str, str]] = []
            if len(pending) > 1:
                needs_value = {k for k in pending if k[0] not in self._gold_value_hints and as_plain_number(k[1]) is not None}
                golds_in_first = {k[0] for k in pending if k not in needs_value}
                waiting = [k for k in needs_value if k[0] in golds_in_first]
                first = [k for k in pending if k not in set(waiting)]
            self._settle(first, pending, out, until)
            if waiting:
                again = []
                for key in waiting:
                    fast = self.fast_verdict(*key)
                    if fast is not None:
                        self._remember(key, fast)
                        for i in pending[key]:
                            out[i] = fast
                    else:
                        again.append(key)
                self._settle(again, pending, out, until)
        return [v if v is not None else Verdict(Status.ERROR, "internal: no verdict", "") for v in out]

    def _settle(self, keys: list[tuple[str, str]], pending: dict[tuple[str, str], list[int]],
                out: list[Verdict | None], until: float | None) -> None:
        if not keys:
            return
        for key, verdict in zip(keys, self._run_sympy(keys, until)):
            self._remember(key, verdict)
            for i in pending[key]:
                out[i] = verdict

    def _run_sympy(self, keys: list[tuple[str, str]], until: float | None = None) -> list[Verdict]:
        tasks = [(g, a, self.config) for g, a in keys]
        if self.in_process:
            from rlvr.math.symbolic import judge_pair, quiet_math_verify

            quiet_math_verify()
            results = []
            for t in tasks:
                try:
                    status, reason, path, value = judge_pair(t)
                    self._remember_gold_value(t[0], value)
                    results.append(Verdict(status, reason, path))
                except Exception as exc:  # math-verify/sympy bug on odd input
                    results.append(Verdict(Status.ERROR, f"{type(exc).__name__}: {str(exc)[:200]}", "in_process"))
            return results
        from rlvr.runtime.deadline_pool import shared_pool

        pool = shared_pool(_TASK_HANDLER, workers=self.workers, initializer=_WORKER_INIT,
                           memory_limit_mb=self.memory_limit_mb, max_parked=self.max_parked,
                           preempt_after=0.5)  # the pool caps it at timeout / 4
        budget = None
        if until is not None:
            budget = until - time.monotonic()
            if budget <= 0:
                return [Verdict(Status.TIMEOUT, "the batch budget was spent before this comparison started", "budget")
                        for _ in tasks]
        verdicts = []
        outcomes = pool.run(tasks, timeout=self.timeout, budget=budget, affinity=[t[0] for t in tasks])
        for task, outcome in zip(tasks, outcomes):
            if outcome.status == "ok":
                status, reason, path, value = outcome.value
                self._remember_gold_value(task[0], value)
                verdicts.append(Verdict(status, reason, path, outcome.seconds))
            elif outcome.status == "timeout" and outcome.budget_exhausted:
                verdicts.append(Verdict(Status.TIMEOUT, "the call's batch budget passed before this comparison "
                                                   "finished", "budget", outcome.seconds))
            elif outcome.status == "timeout":
                verdicts.append(Verdict(Status.TIMEOUT, f"verification passed its {self.timeout:g} s deadline; "
                                                   "the worker was killed", "deadline", outcome.seconds))
            else:  # "worker": this comparison crashed its worker; "infrastructure": no worker could start
                verdicts.append(Verdict(Status.ERROR, outcome.error[:300], "infrastructure" if outcome.infrastructure
                                        else "worker", outcome.seconds))
        return verdicts
