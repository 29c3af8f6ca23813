"""Rewards for trainers on a Ray cluster: a pool of reward actors behind a TRL/Unsloth reward function.

A :class:`RayRewardPool` starts ``num_actors`` Ray actors; each builds the reward stack **once**
from the same specs every rlvr adapter accepts (registered names and presets, ``"name=weight"``,
``"package.module:function"``, stack files, ``{name: {weight, params}}`` dicts; see
:func:`rlvr.rewards.build.build_stack`) and keeps its math worker pool / Docker sandbox pool warm
on its node. A call splits the batch into shards, fans them out over the actors (on several
nodes) and returns the values in input order::

    from rlvr.adapters.ray import ray_reward_funcs
    funcs, weights = ray_reward_funcs(["math_accuracy", "format=0.2"], num_actors=8,
                                      resources={"rlvr_cpu": 1}, address="auto")
    GRPOTrainer(..., reward_funcs=funcs, args=GRPOConfig(..., reward_weights=weights))

Code rewards go where Docker is: start those nodes with ``ray start --resources='{"docker": 1}'``
and pass ``resources={"docker": 1}``; Ray only places such actors on those nodes.

**Groups.** Group-relative rewards (``kimi_length``) need every sample of a prompt in one call.
Shards never split a group: rows are grouped by the ``group_id`` column when the batch has it,
else by the prompt (``group_by="auto"``; ``"none"`` when no reward compares rows).

**Failures** (a training step never raises for anything the model wrote or the cluster did):

* an actor that dies mid-call (SIGKILL, OOM, node lost) is restarted by Ray (``max_restarts=-1``)
  and its shard is sent again (``retries`` times) to a free actor; values stay in input order,
  none lost or duplicated;
* a shard that keeps killing actors is split, group by group, then row by row: a row that kills
  its actor ``row_retries + 1`` times while the pool is healthy (another actor answers a ping)
  is a failed sample: value ``0.0``, status ``runtime_error`` (``timeout`` if it ran past
  ``shard_timeout``). The model caused it; ``None`` would let a model hide its samples from
  the loss. The rest of its group is scored again without it;
* ``None`` (status ``sandbox_error``) only for causes outside the submission: no actor answers
  within ``health_timeout`` after retries (nodes lost, cluster gone). A warning names the cause;
* configuration errors (a column the stack needs is missing, an unknown veRL ``data_source``)
  raise on the driver, as the in-process reward does: :class:`RayRewardError` when the pool
  cannot start (unreachable address, no node offers the ``resources``).

**veRL** (which already runs Ray): :func:`verl_compute_score` (reward-loop managers ``naive``,
``dapo``...: veRL calls it per sample, concurrently; calls are gathered into shards) and
:func:`verl_compute_score_batch` (the ``batch`` manager) score with
:func:`rlvr.adapters.verl.compute_score_batch` on the pool's actors. Pool knobs come from
``reward.custom_reward_function.reward_kwargs`` (``ray_actors``, ``ray_num_cpus``,
``ray_resources``, ...); actors are named and shared by every reward worker of the job. See
docs/ray-rewards.md.

Ray is imported only when a pool starts: ``import rlvr.adapters.ray`` stays light.
"""

from __future__ import annotations

from rlvr.adapters.ray.pool import RayRewardError, RayRewardPool, RewardWorker
from rlvr.adapters.ray.reward import RayReward, ray_reward, ray_reward_funcs
from rlvr.adapters.ray.verl import VERL_POOL_KEYS, verl_compute_score, verl_compute_score_batch

__all__ = [
    "VERL_POOL_KEYS",
    "RayReward",
    "RayRewardError",
    "RayRewardPool",
    "RewardWorker",
    "ray_reward",
    "ray_reward_funcs",
    "verl_compute_score",
    "verl_compute_score_batch",
]
