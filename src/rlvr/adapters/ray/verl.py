"""veRL entry points of :mod:`rlvr.adapters.ray`: per-sample (reward-loop managers) and batch (the
``batch`` manager) ``compute_score`` functions that score on one named, shared actor pool."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from rlvr.adapters.ray.pool import RayRewardPool

__all__ = ["VERL_POOL_KEYS", "verl_compute_score", "verl_compute_score_batch"]

#: ``reward_kwargs`` keys read by the veRL entry points (everything else is ignored, as veRL's own
#: keywords such as ``reward_router_address`` are).
VERL_POOL_KEYS = {
    "ray_actors": ("num_actors", int),
    "ray_num_cpus": ("num_cpus", float),
    "ray_resources": ("resources", dict),
    "ray_shard_size": ("shard_size", int),
    "ray_shard_timeout": ("shard_timeout", float),
    "ray_retries": ("retries", int),
    "ray_row_retries": ("row_retries", int),
    "ray_health_timeout": ("health_timeout", float),
    "ray_address": ("address", str),
    "ray_setup_modules": ("setup_modules", tuple),
    "ray_pool_name": ("pool_name", str),
}

_verl_pools: dict[str, RayRewardPool] = {}
_verl_batchers: dict[tuple[int, str], _Gatherer] = {}
_verl_lock = threading.Lock()


def _verl_pool(kwargs: Mapping[str, Any]) -> RayRewardPool:
    """This process's pool for these knobs; its actors are named, so every veRL reward worker of the
    job that asks for the same knobs gets the same actors."""
    options: dict[str, Any] = {}
    for key, (option, kind) in VERL_POOL_KEYS.items():
        value = kwargs.get(key)
        if value is None:
            continue
        if kind is dict:
            value = json.loads(value) if isinstance(value, str) else {str(k): float(v) for k, v in dict(value).items()}
        elif kind is tuple:
            value = (value,) if isinstance(value, str) else tuple(value)
        else:
            value = kind(value)
        options[option] = value
    options.setdefault("num_actors", 4)
    options.setdefault("group_by", "none")
    key = json.dumps(options, sort_keys=True, default=str)
    options.setdefault("pool_name", "rlvr-verl-" + hashlib.sha1(key.encode()).hexdigest()[:10])
    with _verl_lock:
        pool = _verl_pools.get(key)
        if pool is None:
            pool = _verl_pools[key] = RayRewardPool(None, kind="verl", **options)
        return pool


def verl_compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[Any], ground_truths: Sequence[Any],
                             extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """veRL's ``batch`` reward manager entry: the batch scored by
    :func:`rlvr.adapters.verl.compute_score_batch` on the Ray pool; one result dict per sample, in order.

    Config: ``reward.reward_manager.name=batch``, ``reward.custom_reward_function.path=pkg://rlvr.adapters.ray``,
    ``reward.custom_reward_function.name=verl_compute_score_batch``; pool knobs in
    ``reward.custom_reward_function.reward_kwargs`` (:data:`VERL_POOL_KEYS`)."""
    return _verl_pool(kwargs).score_verl(data_sources, solution_strs, ground_truths, extra_infos)


async def verl_compute_score(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
                             **kwargs: Any) -> dict[str, Any]:
    """veRL reward-loop entry (managers ``naive``, ``dapo``, ``rate_limited``...): one sample, awaited.

    veRL's reward worker awaits every sample of its chunk concurrently; calls arriving within
    ``ray_linger_s`` (default 0.02 s) of each other, up to ``ray_max_batch`` (default 512), are
    sent to the pool as one batch. Returns the same dict as :func:`rlvr.adapters.verl.compute_score`
    (``score``, ``acc``, ``status``, ``reason``, ``judged``)."""
    pool = _verl_pool(kwargs)
    loop = asyncio.get_running_loop()
    linger = float(kwargs.get("ray_linger_s", 0.02))
    max_batch = int(kwargs.get("ray_max_batch", 512))
    key = (id(loop), pool.pool_name or "")
    with _verl_lock:
        gatherer = _verl_batchers.get(key)
        if gatherer is None or gatherer.loop is not loop:
            gatherer = _verl_batchers[key] = _Gatherer(pool, loop, linger, max_batch)
    return await gatherer.submit((data_source, solution_str, ground_truth, extra_info))


class _Gatherer:
    """Collects concurrent per-sample calls on one event loop into batches for the pool."""

    def __init__(self, pool: RayRewardPool, loop: asyncio.AbstractEventLoop, linger: float, max_batch: int):
        self.pool, self.loop, self.linger, self.max_batch = pool, loop, linger, max(1, max_batch)
        self.pending: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self.timer: asyncio.TimerHandle | None = None

    async def submit(self, row: tuple[Any, ...]) -> Any:
        future = self.loop.create_future()
        self.pending.append((row, future))
        if len(self.pending) >= self.max_batch:
            self._flush()
        elif self.timer is None:
            self.timer = self.loop.call_later(self.linger, self._flush)
        return await future

    def _flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        batch, self.pending = self.pending, []
        if batch:
            self.loop.create_task(self._score(batch))

    async def _score(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        cols = list(zip(*(row for row, _ in batch)))
        try:
            results = await self.loop.run_in_executor(None, self.pool.score_verl, *cols)
        except BaseException as exc:  # a configuration error: every waiting sample raises it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results):
            if not future.done():
                future.set_result(result)
