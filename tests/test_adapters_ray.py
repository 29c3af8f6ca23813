"""``rlvr.adapters.ray`` on a real Ray cluster: three raylets started on this machine with Ray's own
``ray.cluster_utils.Cluster`` (a head and two worker nodes; only one declares ``{"docker": 1}``).

Covered: values equal the in-process stack's, in input order, over many shards, with GRPO groups
kept whole (a group-relative reward proves it); hostile completions; an actor SIGKILLed mid-call
(restarted, its shard retried, nothing lost or duplicated); a row that kills its actor every time
(isolated, scored 0.0 / runtime_error, its group re-scored without it); actors that ask for
``{"docker": 1}`` land on that node; named pools shared between processes/objects (veRL's
reward workers); veRL's per-sample and batch entries; a real TRL GRPOTrainer step; and, last,
a lost node with no replacement (None / sandbox_error, never a hang). Without a cluster: the
import stays light, and an unreachable address fails fast.
"""

from __future__ import annotations

import asyncio
import math
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

try:
    import ray
except ImportError:  # an extra (rlvr[ray]); CI installs it, so there a missing Ray is a failure
    if os.environ.get("CI"):
        raise
    pytest.skip("Ray is not installed (pip install -e '.[ray]')", allow_module_level=True)
from ray.cluster_utils import Cluster  # noqa: E402

from rlvr.adapters.ray import (  # noqa: E402
    RayRewardError,
    RayRewardPool,
    ray_reward,
    ray_reward_funcs,
    verl_compute_score,
    verl_compute_score_batch,
)
from rlvr.rewards.build import build_stack  # noqa: E402
from rlvr.score import Status  # noqa: E402

TESTS = os.path.dirname(os.path.abspath(__file__))
MB = 2**20
STACK = {"math_accuracy": 1.0, "format": 0.5, "kimi_length": 0.3}


# ----------------------------------------------------------------------------------- toy rewards
def echo_row(completions, row, **_):
    """The row's own index: shows order, loss and duplication at a glance. Slow enough (0.15 s a row)
    for a kill to land mid-call."""
    time.sleep(0.15 * len(completions))
    return [float(r) for r in row]


def same_prompt_count(prompts, completions, **_):
    """A group-relative toy: how many rows of this call share the row's prompt. A completion holding
    KILL-ME kills the process that judges it (what a parser segfault on hostile output does)."""
    if any("KILL-ME" in str(c) for c in completions):
        os.kill(os.getpid(), signal.SIGKILL)
    return [float(sum(q == p for q in prompts)) for p in prompts]


# ----------------------------------------------------------------------------------- the cluster
@pytest.fixture(scope="module")
def cluster():
    """Head (2 CPUs) + node A (2 CPUs) + node B (2 CPUs, docker: 1): separate raylets on this machine,
    under a private temp dir so other Ray users on the machine are untouched."""
    tmp = tempfile.mkdtemp(prefix="rlvr-ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    saved = os.environ.get("RAY_TMPDIR")
    os.environ["RAY_TMPDIR"] = tmp
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False,
                                                      "object_store_memory": 80 * MB})
    try:
        c.add_node(num_cpus=2, object_store_memory=80 * MB)
        # 2 CPUs: SPREAD may put one CPU-only actor here too; the docker actors still fit beside it
        docker_node = c.add_node(num_cpus=2, object_store_memory=80 * MB, resources={"docker": 1})
        # the actors import the toy rewards below by name ("test_adapters_ray:echo_row"), as a user's
        # "my_pkg.rewards:my_reward" spec is imported on every node
        ray.init(address=c.address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")])}})
        c.docker_node = docker_node
        yield c
    finally:
        ray.shutdown()
        c.shutdown()
        if saved is None:
            os.environ.pop("RAY_TMPDIR", None)
        else:
            os.environ["RAY_TMPDIR"] = saved
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def stack_reward(cluster):
    reward = ray_reward(STACK, name="r1_ray", num_actors=2, shard_size=3)
    yield reward
    reward.shutdown()


def grpo_batch(n_prompts: int = 8, per_prompt: int = 4):
    """A GRPO-shaped batch, groups interleaved (TRL's order is not guaranteed across ranks), with
    hostile and malformed completions mixed in."""
    prompts, completions, solutions = [], [], []
    for g in range(per_prompt):
        for p in range(n_prompts):
            answer = p if (p + g) % 3 else p + 1
            think = "x" * (5 + 7 * g + p)
            completions.append(f"<think>{think}</think><answer>\\boxed{{{answer}}}</answer>")
            prompts.append(f"What is {p}?")
            solutions.append(str(p))
    completions[3] = "\\boxed{" * 20000 + "1"  # 140 kB of unbalanced braces
    completions[7] = [{"role": "assistant", "content": "<think>ok</think><answer>\\boxed{7}</answer>"}]
    completions[11] = None  # unreadable: invalid_input, None
    completions[12] = "<think>" + "9" * (2 * MB) + "</think> \\boxed{4}"  # megabytes of output
    return prompts, completions, solutions


# ----------------------------------------------------------------------------------- no cluster needed
def test_importing_the_adapter_does_not_import_ray():
    code = "import sys, rlvr, rlvr.adapters.ray; print(sorted(m for m in ('ray', 'torch', 'trl') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr[-2000:]


def test_an_unreachable_address_fails_fast_with_the_fix():
    code = ("from rlvr.adapters.ray import RayRewardError, ray_reward\n"
            "try:\n    ray_reward('math_accuracy', address='127.0.0.1:9').pool.start()\n"
            "except RayRewardError as exc:\n    print(exc)\n")
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert time.monotonic() - t0 < 30  # ray.init alone retries for minutes
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in out.stdout and "ray start --head" in out.stdout, out.stderr


# ----------------------------------------------------------------------------------- values and order
def test_values_equal_the_in_process_stack_in_input_order(stack_reward):
    prompts, completions, solutions = grpo_batch()
    expected = build_stack(STACK)(prompts=prompts, completions=completions, solution=solutions)
    extras, metrics = {}, {}
    got = stack_reward(prompts=prompts, completions=completions, solution=solutions, trainer_state=object(),
                       log_extra=extras.__setitem__, log_metric=metrics.__setitem__)
    assert got == expected
    assert len(got) == 32 and len(set(got)) > 4
    assert stack_reward.__name__ == "r1_ray"
    in_process = build_stack(STACK).score_batch(completions, prompts=prompts, solution=solutions)
    assert extras["r1_ray_status"] == [s.status.value for s in in_process]
    assert [s.to_dict() for s in stack_reward.pool.score_batch(completions, prompts=prompts, solution=solutions)] == [
        s.to_dict() for s in in_process]  # statuses, reasons and per-reward breakdowns too
    assert set(metrics) == {"rlvr/r1_ray/unjudged_frac", "rlvr/r1_ray/math_accuracy", "rlvr/r1_ray/format",
                            "rlvr/r1_ray/kimi_length"}
    assert metrics["rlvr/r1_ray/unjudged_frac"] == sum(v is None for v in expected) / 32
    assert stack_reward(prompts=[], completions=[], solution=[]) == []


def test_shards_keep_grpo_groups_whole(stack_reward):
    """kimi_length compares the lengths within a prompt's group: with 3-row shards over 4-row groups,
    splitting groups would change the values (checked with group_by='none' on the same actors)."""
    prompts, completions, solutions = grpo_batch()
    pool = stack_reward.pool
    shards = pool._shards(32, pool._group_keys({"prompts": prompts}, 32))
    assert len(shards) == 8 and all(len({prompts[i] for i in s}) == 1 for s in shards)
    expected = build_stack(STACK)(prompts=prompts, completions=completions, solution=solutions)
    pool.group_by = "none"
    try:
        split = stack_reward(prompts=prompts, completions=completions, solution=solutions)
    finally:
        pool.group_by = "auto"
    assert split != expected  # the check above can fail
    # a group_id column wins over the prompt (TRL passes dataset columns)
    ids = [i % 2 for i in range(32)]
    assert stack_reward(prompts=prompts, completions=completions, solution=solutions, group_id=ids) == build_stack(
        STACK)(prompts=prompts, completions=completions, solution=solutions, group_id=ids)


def test_configuration_errors_raise_like_the_in_process_stack(stack_reward):
    from rlvr import MissingColumnError

    with pytest.raises(MissingColumnError, match="solution"):
        stack_reward(prompts=["p"], completions=["\\boxed{1}"], answer=["1"])
    with pytest.raises(ValueError, match="2 values for 1"):
        stack_reward(prompts=["p"], completions=["\\boxed{1}"], solution=["1", "2"])


# ----------------------------------------------------------------------------------- failures
def test_actor_killed_mid_call_retries_its_shard(cluster):
    reward = ray_reward("test_adapters_ray:echo_row", num_actors=2, shard_size=4, group_by="none")
    try:
        before = reward.pool.where()
        n = 24
        out: dict = {}
        call = threading.Thread(target=lambda: out.setdefault("v", reward(completions=["c"] * n, row=list(range(n)))))
        call.start()
        time.sleep(0.8)  # every actor is inside a 0.6 s shard
        assert call.is_alive()
        os.kill(before[0]["pid"], signal.SIGKILL)
        call.join(120)
        assert not call.is_alive()
        assert out["v"] == [float(i) for i in range(n)]  # every row once, in order
        after = reward.pool.where()
        assert after[0]["pid"] != before[0]["pid"] and after[1]["pid"] == before[1]["pid"]  # restarted by Ray
    finally:
        reward.shutdown()


def test_a_row_that_kills_its_actor_scores_zero_and_spares_its_group(cluster):
    reward = ray_reward("test_adapters_ray:same_prompt_count", num_actors=2, shard_size=8)
    try:
        prompts = [f"p{i % 3}" for i in range(12)]  # 3 groups of 4, interleaved
        completions = [f"fine {i}" for i in range(12)]
        completions[4] = "KILL-ME please"  # group p1
        t0 = time.monotonic()
        scores = reward.pool.score_batch(completions, prompts=prompts)
        assert time.monotonic() - t0 < 90
        values = [s.value for s in scores]
        assert values[4] == 0.0 and scores[4].status is Status.RUNTIME_ERROR
        assert "made its reward actor fail" in scores[4].reason
        # the culprit's group is scored again without it (3 rows), the other groups whole
        assert values == [4.0, 3.0, 4.0, 4.0, 0.0, 4.0, 4.0, 3.0, 4.0, 4.0, 3.0, 4.0]
        assert reward(prompts=prompts[:3], completions=["a", "b", "c"]) == [1.0, 1.0, 1.0]  # pool still serves
    finally:
        reward.shutdown()


# ----------------------------------------------------------------------------------- placement
def test_actors_asking_for_docker_land_on_the_docker_node(cluster, stack_reward):
    # the cluster has one {"docker": 1} slot: one actor runs there, the second waits for a slot and
    # gets no shards meanwhile (the batch is scored, not stuck behind it)
    docker = ray_reward("math_accuracy", num_actors=2, num_cpus=0.5, resources={"docker": 1}, shard_size=1)
    try:
        assert docker(completions=["\\boxed{3}", "\\boxed{4}"], solution=["3", "3"]) == [1.0, 0.0]
        placed = [w for w in docker.pool.where(timeout=1) if w is not None]
        assert [w["node_id"] for w in placed] == [cluster.docker_node.node_id]
        # the plain pool spreads over the nodes that have CPUs
        assert len({w["node_id"] for w in stack_reward.pool.where()}) == 2
    finally:
        docker.shutdown()


def test_resources_no_node_offers_fail_fast_with_the_fix(cluster):
    pool = RayRewardPool("math_accuracy", num_actors=1, resources={"tpu_pod": 1}, start_timeout=3)
    with pytest.raises(RayRewardError, match=r"ray start .*--resources"):
        pool.start()


def test_named_pools_share_actors_and_pickled_rewards_reconnect(cluster):
    a = ray_reward("math_accuracy", num_actors=1, num_cpus=0.5, pool_name="shared_math")
    try:
        first = a.pool.where()
        b = pickle.loads(pickle.dumps(a))  # e.g. another reward worker of the same job
        assert b.pool.where() == first
        assert b(completions=["\\boxed{1}"], solution=["1"]) == [1.0]
        assert b.__name__ == a.__name__ == "math_accuracy"
    finally:
        a.shutdown()


def test_unsloth_none_rule_and_trl_shapes(cluster):
    funcs, weights = ray_reward_funcs("math_accuracy", num_actors=1, none_as=-1.0)
    try:
        assert weights == [1.0] and funcs[0].__name__ == "math_accuracy"
        # unparseable gold is "cannot judge": None in-process, mapped by none_as here
        assert funcs[0](completions=["\\boxed{1}", "\\boxed{1}"], solution=["1", ""]) == [1.0, -1.0]
        values = asyncio.run(funcs[0].as_async()(completions=["\\boxed{2}"], solution=["2"]))
        assert values == [1.0]
    finally:
        funcs[0].shutdown()
    with pytest.raises(ValueError, match="auto"):
        ray_reward("math_accuracy", none_as="sometimes")


# ----------------------------------------------------------------------------------- veRL entries
VERL_ROWS = [
    ("openai/gsm8k", "48 + 24 = 72\n#### 72", "72"),
    ("openai/gsm8k", "#### 7", "72"),
    ("math_dapo", "30 plus 4.\nAnswer: 34", "34"),
    ("math_dapo", "Answer: 35", "34"),
    ("countdown", "<answer>(4 * 3) * 2</answer>", {"target": 24, "numbers": [2, 3, 4]}),
    ("HuggingFaceH4/MATH-500", "It is \\boxed{\\frac{1}{2}}", "0.5"),
]
VERL_KWARGS = {"ray_actors": 2, "ray_num_cpus": 0.5, "ray_shard_size": 2, "ray_pool_name": "rlvr-verl-test"}


def test_verl_entries_score_like_the_verl_adapter(cluster):
    from rlvr.adapters import verl

    sources, texts, truths = (list(col) for col in zip(*VERL_ROWS))
    infos = [{"index": i, "split": "train"} for i in range(len(VERL_ROWS))]
    expected = verl.compute_score_batch(sources, texts, truths, infos)
    assert [r["score"] for r in expected] == [1.0, 0.0, 1.0, -1.0, 1.0, 1.0]
    assert verl_compute_score_batch(data_sources=sources, solution_strs=texts, ground_truths=truths,
                                    extra_infos=infos, **VERL_KWARGS) == expected

    async def reward_worker():  # what veRL's reward-loop worker does: every sample awaited concurrently
        return await asyncio.gather(*(
            verl_compute_score(data_source=s, solution_str=t, ground_truth=g, extra_info=i,
                               reward_router_address=None, **VERL_KWARGS)
            for s, t, g, i in zip(sources, texts, truths, infos)))

    assert asyncio.run(reward_worker()) == expected
    from rlvr.adapters.ray.verl import _verl_pools

    pool = next(p for p in _verl_pools.values() if p.pool_name == "rlvr-verl-test")
    try:
        assert len(pool.where()) == 2
        with pytest.raises(verl.UnknownDataSourceError):
            verl_compute_score_batch(["no_such_set"], ["x"], ["1"], **VERL_KWARGS)
    finally:
        pool.shutdown()


# ----------------------------------------------------------------------------------- a real TRL step
@pytest.mark.trl
def test_ray_reward_in_a_real_grpo_step(cluster, tmp_path):
    pytest.importorskip("trl")
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer, offline_mode

    offline_mode()
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tok = build_tiny_tokenizer()
    ds = Dataset.from_list([{"prompt": f"Question: what is {a}+{a}?\nAnswer:", "solution": str(2 * a)}
                            for a in range(4)])
    funcs, weights = ray_reward_funcs(["math_accuracy", "format=0.5"], name="ray_r1", num_actors=2)
    calls = []
    pool = funcs[0].pool
    score_batch = pool.score_batch
    pool.score_batch = lambda *a, **k: calls.append(len(a[0])) or score_batch(*a, **k)  # count, then score
    try:
        args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                          num_generations=2, max_completion_length=8, max_steps=1, learning_rate=1e-3,
                          logging_steps=1, save_strategy="no", report_to="none", gradient_checkpointing=False,
                          seed=0, disable_tqdm=True, reward_weights=weights)
        trainer = GRPOTrainer(model=build_tiny_model(tok), processing_class=tok, args=args, train_dataset=ds,
                              reward_funcs=funcs)
        trainer.train()
        logs = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
        assert math.isfinite(logs["rewards/ray_r1/mean"])
        assert "rlvr/ray_r1/math_accuracy" in logs and "rlvr/ray_r1/unjudged_frac" in logs
        assert calls and sum(calls) >= 4 and len(pool.where()) == 2  # the batch went through the actors
    finally:
        funcs[0].shutdown()


# ----------------------------------------------------------------------------------- a lost node (last)
def test_a_lost_node_without_replacement_gives_none_not_a_hang(cluster):
    """The only node with docker goes away: the actor cannot be restarted anywhere. The call ends
    within its timeouts with None / sandbox_error (a cause outside the submission)."""
    reward = ray_reward("math_accuracy", num_actors=1, num_cpus=0.5, resources={"docker": 1}, shard_timeout=3,
                        health_timeout=2, retries=0, row_retries=0)
    try:
        assert reward(completions=["\\boxed{1}"], solution=["1"]) == [1.0]
        pid = reward.pool.where()[0]["pid"]
        cluster.remove_node(cluster.docker_node, allow_graceful=False)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)  # the actor's process goes down with its raylet
        t0 = time.monotonic()
        scores = reward.pool.score_batch(["\\boxed{1}", "\\boxed{2}", "\\boxed{3}"], solution=["1", "1", "3"])
        assert time.monotonic() - t0 < 3 + 3 + 2 + 4  # shard timeout, its row alone, one health check
        assert [s.value for s in scores] == [None, None, None]
        assert all(s.status is Status.SANDBOX_ERROR and "no reward actor answered" in s.reason for s in scores)
        # the next step tries a fresh pool, finds no node for it within health_timeout: None again, no raise
        t0 = time.monotonic()
        assert reward(completions=["\\boxed{1}"], solution=["1"]) == [None]
        assert time.monotonic() - t0 < 2 + 4
    finally:
        reward.shutdown()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
