"""``rlvr.adapters.ray``'s veRL entries driven by veRL 0.9.1's own code (build/verl-site), on a real
local Ray instance: veRL's config composed with the documented overrides, its loader, its
``RewardLoopWorker`` with the ``naive`` and ``dapo`` reward-loop managers (which await
``verl_compute_score`` once per sample, concurrently) and the legacy ``batch`` manager
(``verl_compute_score_batch``). The reward tensor must hold rlvr's values, scored on the pool's
named actors (shared by every reward worker of the job, not one pool per call).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

pytest.importorskip("verl", reason="run through tests/test_adapters_verl_package.py (build/verl-site)")
ray = pytest.importorskip("ray")

from test_verl_package import (  # noqa: E402,F401 - fixtures are used by name
    EXPECTED,
    assert_rlvr_scores,
    current_loop,
    documented,
    make_batch,
    tokenizer,
    tokenizer_dir,
    worker_loop,
)

from rlvr.adapters.ray import verl as ray_adapter  # noqa: E402

POOL = "rlvr-verl-env-test"
KNOBS = ("+reward.custom_reward_function.reward_kwargs.ray_actors=2",
         "+reward.custom_reward_function.reward_kwargs.ray_num_cpus=0.5",
         f"+reward.custom_reward_function.reward_kwargs.ray_pool_name={POOL}")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    tmp = tempfile.mkdtemp(prefix="rlvr-vr-", dir="/tmp")
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=80 * 2**20, _temp_dir=tmp,
             log_to_driver=False)
    try:
        yield
    finally:
        for pool in list(ray_adapter._verl_pools.values()):
            pool.shutdown()
        ray_adapter._verl_pools.clear()
        ray_adapter._verl_batchers.clear()
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def pool_pids() -> set[int]:
    pools = [p for p in ray_adapter._verl_pools.values() if p.pool_name == POOL]
    assert len(pools) == 1
    return {w["pid"] for w in pools[0].where()}


@pytest.mark.parametrize("manager", ["naive", "dapo"])
def test_reward_loop_worker_scores_on_the_ray_pool(manager, tokenizer, tokenizer_dir):
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    cfg = documented("pkg://rlvr.adapters.ray", "verl_compute_score", manager,
                     f"actor_rollout_ref.model.path={tokenizer_dir}", *KNOBS)
    worker = RewardLoopWorker(cfg)
    batch = make_batch(tokenizer)
    pool = ray_adapter._verl_pool({"ray_actors": 2, "ray_num_cpus": 0.5, "ray_pool_name": POOL})
    batches = []
    score_verl = pool.score_verl
    pool.score_verl = lambda *cols: batches.append(len(cols[0])) or score_verl(*cols)  # count, then score
    try:
        outputs = worker.loop.run_until_complete(worker.compute_score_batch(batch))
    finally:
        del pool.score_verl
    assert [o["reward_score"] for o in outputs] == EXPECTED
    assert sum(batches) == len(EXPECTED) and len(batches) < len(EXPECTED)  # per-sample calls went out batched
    rm_scores = type(worker.reward_manager).assemble_rm_scores(batch, [o["reward_score"] for o in outputs])
    assert_rlvr_scores(rm_scores, batch)
    infos = [o["reward_extra_info"] for o in outputs]
    assert [info["acc"] for info in infos] == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert all({"score", "acc", "status", "judged"} <= set(info) for info in infos)
    pids = pool_pids()
    assert len(pids) == 2 and os.getpid() not in pids  # scored by the actors, not in this process
    # a second reward worker (another process in training) gets the same named actors
    again = RewardLoopWorker(cfg)
    assert [o["reward_score"] for o in again.loop.run_until_complete(again.compute_score_batch(batch))] == EXPECTED
    assert pool_pids() == pids


def test_legacy_batch_manager_scores_on_the_ray_pool(tokenizer):
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.workers.reward_manager import get_reward_manager_cls

    cfg = documented("pkg://rlvr.adapters.ray", "verl_compute_score_batch", "batch", *KNOBS)
    manager = get_reward_manager_cls("batch")(tokenizer=tokenizer, num_examine=0,
                                              compute_score=get_custom_reward_fn(cfg))
    batch = make_batch(tokenizer)
    out = manager(batch, return_dict=True)
    assert_rlvr_scores(out["reward_tensor"], batch)
    assert list(out["reward_extra_info"]["score"]) == EXPECTED
    assert len(pool_pids()) == 2


def test_verl_remote_manager_runs_rlvr_in_its_own_ray_actors(tokenizer, tokenizer_dir):
    """veRL's ``remote`` reward-loop manager pickles rlvr's plain ``compute_score`` into its own Ray
    actors (RewardComputeWorker, one per ``reward.num_workers``) and calls it there per sample."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    for pool in list(ray_adapter._verl_pools.values()):  # free the CPUs the other tests' pool holds
        pool.shutdown()
    ray_adapter._verl_pools.clear()
    ray_adapter._verl_batchers.clear()
    cfg = documented("pkg://rlvr.adapters.verl", "compute_score", "remote",
                     f"actor_rollout_ref.model.path={tokenizer_dir}", "reward.num_workers=2")
    worker = RewardLoopWorker(cfg)
    assert len(worker.reward_manager.reward_worker) == 2  # num_cpus=1 each: the whole local instance
    batch = make_batch(tokenizer)
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(batch))
    assert [o["reward_score"] for o in outputs] == EXPECTED
    rm_scores = type(worker.reward_manager).assemble_rm_scores(batch, [o["reward_score"] for o in outputs])
    assert_rlvr_scores(rm_scores, batch)
    assert [o["reward_extra_info"]["acc"] for o in outputs] == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    for actor in worker.reward_manager.reward_worker:
        ray.kill(actor)
