"""The pool of reward actors behind :mod:`rlvr.adapters.ray`: :class:`RewardWorker` (what each Ray
actor runs), :class:`RayRewardPool` (start, fan out in shards, retry, isolate rows that kill
their actor, keep input order). See the package docstring for the failure rules.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rlvr.rewards.base import TRAINER_KWARGS
from rlvr.runtime.ray_cluster import ClusterUnreachable, check_reachable
from rlvr.score import Score, Status

__all__ = ["GroupBy", "RayRewardError", "RayRewardPool", "RewardWorker"]

log = logging.getLogger("rlvr.ray")

GroupBy = Literal["auto", "prompt", "column", "none"]


class RayRewardError(RuntimeError):
    """The pool cannot start or was misconfigured (the message says what to change)."""


# =============================================================================== the actor
class RewardWorker:
    """What each Ray actor runs (a plain class; :class:`RayRewardPool` wraps it with ``ray.remote``).

    Args:
        kind: ``"stack"`` (score with the stack built from ``spec``) or ``"verl"`` (score rows with
            :func:`rlvr.adapters.verl.compute_score_batch`; ``spec`` unused).
        spec: anything :func:`rlvr.rewards.build.build_stack` accepts; must be picklable and, for a
            stack file, readable at the same path on every node.
        setup_modules: modules imported first (e.g. one that calls ``register`` or
            ``register_data_source``).
    """

    def __init__(self, kind: str, spec: Any, setup_modules: Sequence[str] = ()):
        for module in setup_modules:
            importlib.import_module(module)
        self.kind = kind
        if kind == "stack":
            from rlvr.rewards.build import build_stack

            self.stack = build_stack(spec)
        elif kind == "verl":
            from rlvr.adapters import verl

            self.verl = verl
        else:
            raise ValueError(f"unknown worker kind {kind!r}")

    def score(self, shard: Mapping[str, Any]) -> list[Any]:
        """One result per row of ``shard`` (``{"rows": {key: list}, "shared": {key: value}}``):
        :class:`~rlvr.score.Score` objects (kind ``stack``) or veRL result dicts (kind ``verl``)."""
        rows = dict(shard["rows"])
        if self.kind == "stack":
            completions = rows.pop("completions")
            prompts = rows.pop("prompts", None)
            completion_ids = rows.pop("completion_ids", None)
            return self.stack.score_batch(completions, prompts=prompts, completion_ids=completion_ids,
                                          **shard["shared"], **rows)
        return self.verl.compute_score_batch(rows["data_sources"], rows["solution_strs"], rows["ground_truths"],
                                             rows["extra_infos"], return_dict=True)

    def where(self) -> dict[str, Any]:
        """``{"pid", "node_id"}`` of this actor (for tests and diagnostics)."""
        import ray

        return {"pid": os.getpid(), "node_id": ray.get_runtime_context().get_node_id()}

    def ping(self) -> bool:
        return True


# =============================================================================== scheduling
@dataclass
class _Item:
    """A unit of work: some rows, scored together on one actor."""

    rows: list[int]
    failures: int = 0
    probe: bool = False  # one row alone, to find a row that kills its actor
    final: bool = False  # a group re-scored after its probes: failing again keeps the probe results
    group: _GroupRecovery | None = None
    last_error: str = ""


@dataclass
class _GroupRecovery:
    """A group being split into probes; when every probe is done, its rows are scored together again."""

    rows: list[int]
    pending: int
    probe_results: dict[int, Any] = field(default_factory=dict)
    culprits: set[int] = field(default_factory=set)


_FAILURE_NAMES = ("RayActorError", "ActorDiedError", "ActorUnavailableError", "WorkerCrashedError",
                  "ObjectLostError", "OwnerDiedError", "NodeDiedError", "LocalRayletDiedError",
                  "ObjectReconstructionFailedError", "TaskCancelledError", "OutOfMemoryError")


class RayRewardPool:
    """Ray actors that each hold a built reward stack, and the fault-tolerant fan-out over them.

    Args:
        rewards: the reward spec (see the module docstring); validated by building it once on the
            driver, so an unknown name fails here, not in every actor.
        num_actors: actors to start (each scores one shard at a time).
        num_cpus: CPUs Ray reserves per actor (math rewards run a worker process per actor).
        resources: custom Ray resources each actor requires, e.g. ``{"docker": 1}``: Ray places the
            actors only on nodes started with ``ray start --resources='{"docker": N}'``.
        address: cluster to join when this process is not connected to Ray yet (``"auto"``,
            ``"ray://host:10001"``, ``"host:6379"``); ``None`` starts a local Ray when none is running.
        shard_size: rows per shard; ``None`` = about two shards per actor (whole groups are never split,
            so a shard may hold more rows than this when a group is larger).
        group_by: how rows that must stay together are found: ``"auto"`` (the ``group_column`` when
            the batch has it, else the prompt), ``"prompt"``, ``"column"``, ``"none"`` (rows are
            independent).
        group_column: the column that identifies a GRPO group (``kimi_length``'s default).
        shard_timeout: seconds one shard may run before its actor is restarted and the shard retried.
        retries: how many times a failed shard is sent again whole before it is split.
        row_retries: how many times a single row is sent again before it counts as a crash.
        health_timeout: seconds to wait for any actor to answer a ping before declaring the pool
            unavailable (then the rows still open are ``None``, status ``sandbox_error``).
        start_timeout: seconds to wait for the first actor at start (``RayRewardError`` after it).
        pool_name: actor name prefix: actors are created as ``<pool_name>-<i>`` in ``namespace`` with
            ``get_if_exists``, so every process of a job that builds a pool with the same name uses
            the same actors. ``None``: anonymous actors owned by this pool.
        namespace: Ray namespace of named actors.
        scheduling_strategy: Ray's strategy for the actors (default ``"SPREAD"``: over the nodes).
        setup_modules: modules each actor imports before building (custom registrations).
        init_kwargs: extra ``ray.init`` keywords when this pool starts Ray (e.g. ``num_cpus``).

    Raises:
        rlvr.rewards.base.RewardConfigError: ``rewards`` cannot be built.
        ValueError: a knob is out of range.
    """

    def __init__(self, rewards: Any = None, *, num_actors: int = 2, num_cpus: float = 1.0,
                 resources: Mapping[str, float] | None = None, address: str | None = None,
                 shard_size: int | None = None, group_by: GroupBy = "auto", group_column: str = "group_id",
                 shard_timeout: float = 600.0, retries: int = 1, row_retries: int = 1,
                 health_timeout: float = 60.0, start_timeout: float = 120.0, pool_name: str | None = None,
                 namespace: str = "rlvr", scheduling_strategy: Any = "SPREAD",
                 setup_modules: Sequence[str] = (), init_kwargs: Mapping[str, Any] | None = None,
                 kind: Literal["stack", "verl"] = "stack"):
        if int(num_actors) < 1:
            raise ValueError(f"num_actors must be >= 1, got {num_actors}")
        if shard_size is not None and int(shard_size) < 1:
            raise ValueError(f"shard_size must be >= 1 or None, got {shard_size}")
        if group_by not in ("auto", "prompt", "column", "none"):
            raise ValueError(f"group_by must be auto, prompt, column or none, got {group_by!r}")
        if kind not in ("stack", "verl"):
            raise ValueError(f"kind must be 'stack' or 'verl', got {kind!r}")
        self.kind = kind
        self.spec = rewards
        self.stack = None
        if kind == "stack":
            for module in setup_modules:
                importlib.import_module(module)
            from rlvr.rewards.build import build_stack

            self.stack = build_stack(rewards)
        self.num_actors = int(num_actors)
        self.num_cpus = float(num_cpus)
        self.resources = dict(resources or {})
        self.address = address
        self.shard_size = None if shard_size is None else int(shard_size)
        self.group_by = group_by
        self.group_column = group_column
        self.shard_timeout = float(shard_timeout)
        self.retries = max(0, int(retries))
        self.row_retries = max(0, int(row_retries))
        self.health_timeout = float(health_timeout)
        self.start_timeout = float(start_timeout)
        self.pool_name = pool_name
        self.namespace = namespace
        self.scheduling_strategy = scheduling_strategy
        self.setup_modules = tuple(setup_modules)
        self.init_kwargs = dict(init_kwargs or {})
        self._actors: list[Any] | None = None
        self._ready: set[int] = set()
        self._pending_pings: dict[Any, int] = {}
        self._started_once = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    @property
    def reward_name(self) -> str:
        """The stack's ``__name__``; for one unnamed reward, that reward's name (``"verl"`` for a veRL pool)."""
        if self.stack is None:
            return "verl"
        if len(self.stack.entries) == 1 and self.stack.__name__ == "reward_stack":
            return self.stack.entries[0].reward.__name__
        return self.stack.__name__

    @property
    def actors(self) -> list[Any]:
        """The actor handles (starts the pool on first use)."""
        return self.start()

    def start(self) -> list[Any]:
        """Connect to Ray (or start it) and create the actors; idempotent.

        Raises:
            RayRewardError: Ray cannot be reached at ``address``, or no actor came up within
                ``start_timeout`` (typically: no node offers ``resources``)."""
        with self._lock:
            if self._actors is not None:
                return self._actors
            ray = _import_ray()
            if not ray.is_initialized():
                if self.address:
                    try:
                        check_reachable(self.address)
                    except ClusterUnreachable as exc:
                        raise RayRewardError(f"rlvr ray pool: {exc}, or pass address=None for a local Ray") from None
                try:
                    ray.init(address=self.address, **self.init_kwargs)
                except (ConnectionError, RuntimeError, ValueError) as exc:
                    raise RayRewardError(f"rlvr ray pool: cannot start or reach Ray at address={self.address!r}: "
                                         f"{exc}. Start the cluster with `ray start --head` and pass its address, "
                                         "or address=None for a local Ray.") from exc
            cls = ray.remote(RewardWorker)
            opts: dict[str, Any] = {"num_cpus": self.num_cpus, "max_restarts": -1, "max_task_retries": 0,
                                    "scheduling_strategy": self.scheduling_strategy}
            if self.resources:
                opts["resources"] = self.resources
            actors = []
            for i in range(self.num_actors):
                if self.pool_name:
                    opts.update(name=f"{self.pool_name}-{i}", namespace=self.namespace, get_if_exists=True)
                actors.append(cls.options(**opts).remote(self.kind, self.spec, self.setup_modules))
            pings = {a.ping.remote(): i for i, a in enumerate(actors)}
            # a pool that ran before and lost its actors waits health_timeout, not start_timeout
            timeout = self.health_timeout if self._started_once else self.start_timeout
            ready, _ = ray.wait(list(pings), num_returns=1, timeout=timeout)
            if not ready:
                for actor in actors:
                    if not self.pool_name:
                        ray.kill(actor)
                raise RayRewardError(
                    f"rlvr ray pool: no reward actor started within {timeout:g} s (each asks for "
                    f"num_cpus={self.num_cpus:g}, resources={self.resources or {}}). Check `ray status`: a node must "
                    "offer these (ray start --num-cpus N --resources='{\"docker\": 1}')."
                )
            try:
                ray.get(ready[0])
            except ray.exceptions.RayActorError as exc:
                raise RayRewardError(f"rlvr ray pool: the reward actor failed to start: {exc}") from exc
            self._actors = actors
            self._started_once = True
            self._ready = {pings[ref] for ref in ready}
            self._pending_pings = {ref: i for ref, i in pings.items() if ref not in ready}
            return actors

    def _ready_actors(self, timeout: float = 0) -> set[int]:
        """Indexes of actors that answered their first ping (an actor no node can host yet, e.g. a
        second ``{"docker": 1}`` actor on a cluster with one such slot, gets no shards until it does)."""
        if self._pending_pings:
            ray = _import_ray()
            done, _ = ray.wait(list(self._pending_pings), num_returns=len(self._pending_pings), timeout=timeout)
            for ref in done:
                self._ready.add(self._pending_pings.pop(ref))
        return self._ready

    def shutdown(self) -> None:
        """Kill this pool's actors (named ones too: other processes sharing them lose them)."""
        with self._lock:
            actors, self._actors = self._actors, None
        if actors:
            ray = _import_ray()
            for actor in actors:
                try:
                    ray.kill(actor, no_restart=True)
                except Exception:  # noqa: BLE001 - already gone / Ray shut down: nothing to kill
                    pass

    def where(self, timeout: float = 10.0) -> list[dict[str, Any] | None]:
        """``{"pid", "node_id"}`` of every actor, in actor order; ``None`` for an actor that did not
        come up within ``timeout`` seconds (no node has its resources free)."""
        ray = _import_ray()
        actors = self.actors
        ready = self._ready_actors(timeout)
        found = ray.get([actors[i].where.remote() for i in sorted(ready)], timeout=self.health_timeout)
        by_index = dict(zip(sorted(ready), found))
        return [by_index.get(i) for i in range(len(actors))]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_actors"] = None  # handles belong to this process's Ray session; reconnect on use
        state["_ready"], state["_pending_pings"] = set(), {}
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"<RayRewardPool {self.reward_name!r}: {self.num_actors} actor(s), num_cpus={self.num_cpus:g}, "
                f"resources={self.resources or {}}>")

    # ------------------------------------------------------------------ scoring
    def score_batch(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None,
                    completion_ids: Sequence[Any] | None = None, **columns: Any) -> list[Score]:
        """One combined :class:`~rlvr.score.Score` per completion, in input order (same values as
        ``build_stack(rewards).score_batch`` in-process; see the module docstring for failures).

        Raises:
            ValueError: a column or ``prompts`` is not aligned with ``completions``.
            rlvr.MissingColumnError: the stack needs a column the batch lacks.
        """
        if self.kind != "stack":
            raise TypeError("score_batch needs a reward-stack pool (kind='stack')")
        completions = list(completions) if completions is not None else []
        n = len(completions)
        if n == 0:
            return []
        rows: dict[str, list[Any]] = {"completions": completions}
        if prompts is not None:
            rows["prompts"] = _aligned("prompts", prompts, n)
        if completion_ids is not None and len(completion_ids) == n:
            rows["completion_ids"] = [_plain(c) for c in completion_ids]
        shared: dict[str, Any] = {}
        for key, value in columns.items():
            if key in TRAINER_KWARGS:
                continue
            if isinstance(value, (list, tuple)) or _is_array(value):
                rows[key] = _aligned(key, value, n)
            else:
                shared[key] = value
        if self.stack is not None:
            _check_columns(self.stack, set(rows) | set(shared))
        return self._run(rows, shared, n, self._group_keys(rows, n))

    def score_verl(self, data_sources: Sequence[Any], solution_strs: Sequence[Any], ground_truths: Sequence[Any],
                   extra_infos: Sequence[Any] | None = None) -> list[Any]:
        """veRL results (dicts, see :mod:`rlvr.adapters.verl`) from the actors, in input order."""
        if self.kind != "verl":
            raise TypeError("score_verl needs a veRL pool (kind='verl')")
        n = len(solution_strs)
        if len(data_sources) != n or len(ground_truths) != n:
            raise ValueError(f"{len(data_sources)} data_sources, {n} solution_strs, {len(ground_truths)} ground_truths")
        infos = list(extra_infos) if extra_infos is not None else [None] * n
        rows = {"data_sources": [str(s) for s in data_sources], "solution_strs": list(solution_strs),
                "ground_truths": [_plain(g) for g in ground_truths],
                "extra_infos": [_plain_info(i) for i in _aligned("extra_infos", infos, n)]}
        results = self._run(rows, {}, n, None)
        return [_verl_result(r) if isinstance(r, Score) else r for r in results]

    # ------------------------------------------------------------------ internals
    def _group_keys(self, rows: Mapping[str, list[Any]], n: int) -> list[str] | None:
        mode = self.group_by
        if mode == "none":
            return None
        if mode in ("auto", "column") and self.group_column in rows:
            return ["c:" + repr(v) for v in rows[self.group_column]]
        if mode == "column":
            raise ValueError(f"group_by='column' but the batch has no {self.group_column!r} column")
        prompts = rows.get("prompts")
        if prompts is None:
            return None
        from rlvr.rewards.length import prompt_group_key

        return [prompt_group_key(p) for p in prompts]

    def _shards(self, n: int, group_keys: list[str] | None) -> list[list[int]]:
        target = self.shard_size or max(1, math.ceil(n / (2 * self.num_actors)))
        groups: dict[str, list[int]] = {}
        if group_keys is None:
            units = [[i] for i in range(n)]
        else:
            for i, key in enumerate(group_keys):
                groups.setdefault(key, []).append(i)
            units = list(groups.values())
        shards: list[list[int]] = []
        current: list[int] = []
        for unit in units:
            if current and len(current) + len(unit) > target:
                shards.append(current)
                current = []
            current.extend(unit)
        if current:
            shards.append(current)
        return shards

    def _run(self, rows: dict[str, list[Any]], shared: dict[str, Any], n: int,
             group_keys: list[str] | None) -> list[Any]:
        """The fan-out: shards to free actors, failures retried / split / isolated (module docstring)."""
        ray = _import_ray()
        try:
            actors = self.actors
        except RayRewardError as exc:
            if not self._started_once:
                raise  # never started: a configuration problem to fix before training
            log.warning("rlvr ray pool: %s; the %d row(s) of this call are None (sandbox_error)", exc, n)
            return [_unavailable(str(exc)[:300]) for _ in range(n)]
        results: list[Any] = [None] * n
        done = [False] * n
        queue: deque[_Item] = deque(_Item(s) for s in self._shards(n, group_keys))
        free = deque(sorted(self._ready_actors()))
        known = set(free)
        inflight: dict[Any, tuple[_Item, int, float]] = {}
        down: list[str] = []  # why the pool stopped answering, once it did

        def finish(row: int, value: Any) -> None:
            results[row] = value
            done[row] = True

        def submit(item: _Item, actor_index: int) -> None:
            shard = {"rows": {k: [v[i] for i in item.rows] for k, v in rows.items()}, "shared": shared}
            ref = actors[actor_index].score.remote(shard)
            inflight[ref] = (item, actor_index, time.monotonic())

        def on_failure(item: _Item, reason: str, timed_out: bool) -> None:
            item.failures += 1
            item.last_error = reason
            if item.probe:
                if item.failures <= self.row_retries:
                    queue.append(item)
                    return
                row = item.rows[0]
                if self._healthy(actors):
                    status = Status.TIMEOUT if timed_out else Status.RUNTIME_ERROR
                    score = Score(0.0, status, f"this completion made its reward actor fail {item.failures} time(s) "
                                               f"({reason[:200]}); scored as a failed sample")
                    log.warning("rlvr ray pool: row %d crashed or stalled its reward actor %d time(s): value 0.0 "
                                "(%s)", row, item.failures, status.value)
                    if item.group is not None:
                        item.group.culprits.add(row)
                else:  # the pool is down: every row still open is None, no more timeouts to sit through
                    down.append(f"no reward actor answered within {self.health_timeout:g} s after: {reason[:200]}")
                    return
                if item.group is not None:
                    item.group.probe_results[row] = score
                    finish_probe(item.group)
                else:
                    finish(row, score)
                return
            if item.final:  # the group failed again after its probes: keep what the probes found
                for row in item.rows:
                    finish(row, item.group.probe_results[row])  # type: ignore[union-attr]
                return
            if item.failures <= self.retries:
                queue.append(item)
                return
            split(item)

        def split(item: _Item) -> None:
            if group_keys is not None:
                units: dict[str, list[int]] = {}
                for row in item.rows:
                    units.setdefault(group_keys[row], []).append(row)
                parts = list(units.values())
            else:
                parts = [[row] for row in item.rows]
            if len(parts) > 1:
                for part in parts:  # each group / row on its own: one more failure splits a group further
                    queue.append(_Item(part, probe=True) if len(part) == 1 else _Item(part, failures=self.retries))
                return
            part = parts[0]
            if len(part) == 1:
                queue.append(_Item(part, failures=0, probe=True))
                return
            recovery = _GroupRecovery(part, pending=len(part))
            for row in part:
                queue.append(_Item([row], probe=True, group=recovery))

        def finish_probe(recovery: _GroupRecovery) -> None:
            recovery.pending -= 1
            if recovery.pending:
                return
            for row in recovery.culprits:
                finish(row, recovery.probe_results[row])
            rest = [r for r in recovery.rows if r not in recovery.culprits]
            if len(rest) == 1:
                finish(rest[0], recovery.probe_results[rest[0]])
            elif rest:  # score the group again without its culprits, so group-relative values stay whole
                queue.append(_Item(rest, final=True, group=recovery))

        try:
            while (queue or inflight) and not down:
                if len(known) < len(actors):  # actors that came up since
                    for index in sorted(self._ready_actors() - known):
                        known.add(index)
                        free.append(index)
                while queue and free:
                    submit(queue.popleft(), free.popleft())
                if not inflight:
                    continue
                now = time.monotonic()
                wait_for = max(0.05, min(started + self.shard_timeout - now for _, _, started in inflight.values()))
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=min(wait_for, 5.0))
                for ref in ready:
                    item, actor_index, _ = inflight.pop(ref)
                    try:
                        got = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:  # the reward raised: a configuration error
                        raise _ConfigFailure(_config_error(exc)) from None
                    except ray.exceptions.RayError as exc:
                        if type(exc).__name__ not in _FAILURE_NAMES and not isinstance(
                                exc, ray.exceptions.RayActorError):
                            raise
                        if isinstance(exc, ray.exceptions.RayActorError) and exc.actor_init_failed:
                            raise RayRewardError(f"rlvr ray pool: a reward actor failed to start: {exc}") from exc
                        free.append(actor_index)  # Ray restarts it; its next task waits for the restart
                        on_failure(item, f"{type(exc).__name__}: {exc}", timed_out=False)
                        continue
                    free.appendleft(actor_index)
                    if len(got) != len(item.rows):
                        on_failure(item, f"actor returned {len(got)} results for {len(item.rows)} rows", False)
                        continue
                    if item.probe and item.group is not None:
                        item.group.probe_results[item.rows[0]] = got[0]
                        finish_probe(item.group)
                    else:
                        for row, value in zip(item.rows, got):
                            finish(row, value)
                now = time.monotonic()
                for ref, (item, actor_index, started) in list(inflight.items()):
                    if now - started > self.shard_timeout:
                        del inflight[ref]  # its late error (the kill) is never read
                        try:
                            ray.kill(actors[actor_index], no_restart=False)  # restart it: the shard is stuck
                        except Exception:  # noqa: BLE001 - the actor may already be gone
                            pass
                        free.append(actor_index)
                        on_failure(item, f"shard ran past shard_timeout={self.shard_timeout:g} s", timed_out=True)
            if down:
                for row in range(n):
                    if not done[row]:
                        finish(row, _unavailable(down[0]))
                with self._lock:  # the next call starts the pool again (named actors are looked up anew)
                    if self._actors is actors:
                        self._actors, self._ready, self._pending_pings = None, set(), {}
        except _ConfigFailure as failure:
            raise failure.error from None
        except RayRewardError:
            raise
        except Exception as exc:  # noqa: BLE001 - the cluster itself is gone (driver lost its connection)
            log.warning("rlvr ray pool: %s: %s; the %d unscored row(s) are None (sandbox_error)",
                        type(exc).__name__, exc, done.count(False))
            cause = f"Ray failed: {type(exc).__name__}: {str(exc)[:200]}"
            for row in range(n):
                if not done[row]:
                    finish(row, _unavailable(cause))
        unavailable = sum(1 for r in results if isinstance(r, Score) and r.status is Status.SANDBOX_ERROR
                          and r.value is None and r.reason.startswith("reward pool unavailable"))
        if unavailable:
            log.warning("rlvr ray pool: %d of %d value(s) are None: the reward actors were unavailable "
                        "(not the model's fault)", unavailable, n)
        return results

    def _healthy(self, actors: list[Any]) -> bool:
        """Whether any actor answers a ping within ``health_timeout`` (the pool can still score)."""
        ray = _import_ray()
        deadline = time.monotonic() + self.health_timeout
        try:
            pending = [a.ping.remote() for a in actors]
            while pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                ready, pending = ray.wait(pending, num_returns=1, timeout=left)
                for ref in ready:
                    try:
                        if ray.get(ref):
                            return True
                    except ray.exceptions.RayError:  # that actor is dead or restarting: ask the others
                        continue
            return False
        except Exception:  # noqa: BLE001 - an answerless cluster is an unhealthy one
            return False


# =============================================================================== the TRL callable

# =============================================================================== helpers
class _ConfigFailure(Exception):
    """Carries an exception a reward raised inside an actor out of the fan-out loop."""

    def __init__(self, error: BaseException):
        super().__init__(str(error))
        self.error = error


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RayRewardError("rlvr.adapters.ray needs Ray: pip install 'rlvr[ray]'") from None
    return ray


def _unavailable(reason: str) -> Score:
    return Score(None, Status.SANDBOX_ERROR, f"reward pool unavailable: {reason}")


def _verl_result(score: Score) -> dict[str, Any]:
    from rlvr.adapters.verl import _result

    return _result(0.0 if score.value is None else float(score.value), score)


def _config_error(exc: Any) -> BaseException:
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and not type(cause).__module__.startswith("ray"):
        return cause
    return RayRewardError(f"rlvr ray pool: a reward actor raised: {exc}")


def _check_columns(stack: Any, given: set[str]) -> None:
    """The in-process stack's error for a missing column, raised on the driver before any fan-out."""
    from rlvr.rewards.base import MissingColumnError

    missing = [c for c in stack.required_columns() if c not in given]
    if missing:
        got = sorted(k for k in given if k not in ("completions", "prompts", "completion_ids"))
        raise MissingColumnError(
            f"reward {stack.__name__!r} needs column(s) {missing} but got {got or 'no columns'}. Add the column to "
            "the dataset (TRL passes every dataset column to reward functions) or point the reward at the column "
            "you have (e.g. get_reward('math_accuracy', solution_column='answer')).")


def _aligned(key: str, value: Any, n: int) -> list[Any]:
    values = list(value)
    if len(values) != n:
        raise ValueError(f"ray reward: column {key!r} has {len(values)} values for {n} completions")
    return values


def _is_array(value: Any) -> bool:
    return hasattr(value, "__len__") and hasattr(value, "__getitem__") and not isinstance(value, (str, bytes, dict))


def _plain(value: Any) -> Any:
    """Tensors / NumPy arrays as lists (the actor need not import torch to read them)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def _plain_info(info: Any) -> Any:
    if isinstance(info, Mapping):
        return {str(k): _plain(v) for k, v in info.items()}
    return info
