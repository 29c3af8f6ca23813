"""rlvr.adapters.verl driven by the installed veRL package (0.9.1 in CI, from build/verl-site).

Everything veRL-side here is veRL's own code: its trainer config composed with hydra plus our
documented overrides, its loader ``get_custom_reward_fn``, its ``RewardLoopWorker`` (what each Ray
reward worker runs, here without Ray) with every reward-loop manager it registers, and every legacy
manager of ``verl.workers.reward_manager``. Batches are real ``DataProto``s (left-padded prompts,
right-padded responses) decoded by a tiny local character tokenizer on CPU. The assertion each time:
the reward tensor holds rlvr's value at the last valid response token and zeros elsewhere.

veRL's ``remote`` manager (its own Ray actors) is run in test_verl_ray.py, which starts a local Ray
instance; it receives the same ``compute_score``, whose pickling is tested below.
"""

from __future__ import annotations

import asyncio
import os
import pickle

import pytest

# Runs in its own environment (build/verl-site on PYTHONPATH; see tests/test_adapters_verl_package.py),
# so veRL's antlr4 4.9 pin never reaches the rest of the suite.
pytest.importorskip("verl", reason="run through tests/test_adapters_verl_package.py (build/verl-site)")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import verl  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager  # noqa: E402

from rlvr.adapters import verl as adapter  # noqa: E402
from rlvr.testing import build_tiny_tokenizer  # noqa: E402

PROMPT_LEN, RESPONSE_LEN = 16, 48
COUNTDOWN_GT = {"target": 24, "numbers": [2, 3, 4]}

#: (prompt, response, data_source, ground truth, rlvr's value)
ROWS = [
    ("Use 2 3 4 to make 24.", "<think>ok</think><answer>(4 * 3) * 2</answer>", "countdown", COUNTDOWN_GT, 1.0),
    ("Use 2 3 4 to make 24.", "<answer>2 + 3 + 4</answer>", "Jiayi-Pan/Countdown-Tasks-3to4", COUNTDOWN_GT, 0.0),
    ("What is 30 + 4?", "30 plus 4.\nAnswer: 34", "math_dapo", "34", 1.0),
    ("What is 30 + 4?", "Answer: 35", "math_dapo", "34", -1.0),
    ("Half?", "It is \\boxed{\\frac{1}{2}}", "HuggingFaceH4/MATH-500", "0.5", 1.0),
    ("48 + 24?", "48 + 24 = 72\n#### 72", "openai/gsm8k", "72", 1.0),
    ("48 + 24?", "#### 7", "openai/gsm8k", "72", 0.0),
]
EXPECTED = [r[4] for r in ROWS]
VERL_CONFIG_DIR = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")


@pytest.fixture(scope="module")
def worker_loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(autouse=True)
def current_loop(worker_loop):
    """veRL's managers take the thread's current event loop (verl.utils.ray_utils.get_event_loop), the
    rate_limited manager binds class-wide semaphores to it, and prime sets (and closes) a loop of its own:
    every test runs on one loop, as a veRL reward worker does."""
    asyncio.set_event_loop(worker_loop)
    yield worker_loop
    asyncio.set_event_loop(None)


@pytest.fixture(scope="module")
def tokenizer():
    return build_tiny_tokenizer()


@pytest.fixture(scope="module")
def tokenizer_dir(tokenizer, tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_tokenizer")
    tokenizer.save_pretrained(str(path))
    return str(path)


def compose(*overrides: str):
    """veRL's own ``ppo_trainer`` config with ``overrides`` (what ``python -m verl.trainer.main_ppo`` sees)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=VERL_CONFIG_DIR, version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=list(overrides))


def documented(path: str = "pkg://rlvr.adapters.verl", name: str = "compute_score", manager: str = "naive",
               *extra: str):
    """The overrides docs/adapters.md gives for veRL 0.9.x."""
    return compose(f"reward.custom_reward_function.path={path}", f"reward.custom_reward_function.name={name}",
                   f"reward.reward_manager.name={manager}", *extra)


def make_batch(tokenizer, rows=ROWS) -> DataProto:
    pad = tokenizer.pad_token_id
    prompts, responses, masks = [], [], []
    for prompt, response, *_ in rows:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"][-PROMPT_LEN:]
        r = tokenizer(response, add_special_tokens=False)["input_ids"]
        assert len(r) <= RESPONSE_LEN, response
        prompts.append([pad] * (PROMPT_LEN - len(p)) + p)
        responses.append(r + [pad] * (RESPONSE_LEN - len(r)))
        masks.append([0] * (PROMPT_LEN - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (RESPONSE_LEN - len(r)))
    prompts_t, responses_t = torch.tensor(prompts), torch.tensor(responses)
    return DataProto.from_dict(
        tensors={"prompts": prompts_t, "responses": responses_t, "input_ids": torch.cat([prompts_t, responses_t], 1),
                 "attention_mask": torch.tensor(masks)},
        non_tensors={
            "data_source": np.array([r[2] for r in rows], dtype=object),
            "reward_model": np.array([{"ground_truth": r[3], "style": "rule"} for r in rows], dtype=object),
            "extra_info": np.array([{"index": i, "split": "train"} for i in range(len(rows))], dtype=object),
        },
    )


def assert_rlvr_scores(tensor: torch.Tensor, batch: DataProto, expected=EXPECTED) -> None:
    """rlvr's value at each row's last valid response token, zero everywhere else."""
    lengths = batch.batch["attention_mask"][:, PROMPT_LEN:].sum(-1)
    want = torch.zeros_like(tensor)
    for i, value in enumerate(expected):
        want[i, lengths[i] - 1] = value
    assert tensor.dtype == torch.float32 and tensor.shape == batch.batch["responses"].shape
    assert torch.equal(tensor, want), (tensor.sum(-1).tolist(), expected)


# ------------------------------------------------------------------------------------------ config + loader
@pytest.mark.parametrize("path", ["pkg://rlvr.adapters.verl", "file"])
def test_documented_config_makes_verls_loader_return_rlvrs_function(path):
    cfg = documented(adapter.__file__ if path == "file" else path)
    adapter.check_config(cfg)
    fn = get_custom_reward_fn(cfg)
    assert fn is not None
    assert fn.args[0] is adapter.compute_score  # veRL wraps it in partial(_call_with_kwargs, fn, reward_kwargs)
    assert fn(data_source="math_dapo", solution_str="Answer: 34", ground_truth="34", extra_info={})["score"] == 1.0
    restored = pickle.loads(pickle.dumps(fn))  # what prime's process pool and Ray's workers do with it
    assert restored(data_source="math_dapo", solution_str="Answer: 3", ground_truth="34")["score"] == -1.0


def test_reward_kwargs_reach_compute_score():
    cfg = documented("pkg://rlvr.adapters.verl", "compute_score", "naive",
                     "+reward.custom_reward_function.reward_kwargs.return_dict=false")
    fn = get_custom_reward_fn(cfg)
    assert fn(data_source="countdown", solution_str="<answer>2*3*4</answer>", ground_truth=COUNTDOWN_GT) == 1.0


def test_legacy_key_is_ignored_by_verl_and_detected_by_check_config():
    """veRL 0.9 accepts the pre-0.9 top-level key and silently scores with its default_compute_score."""
    cfg = compose(f"custom_reward_function.path={adapter.__file__}", "custom_reward_function.name=compute_score")
    assert get_custom_reward_fn(cfg) is None  # veRL's own behaviour: rlvr would not be used
    with pytest.raises(adapter.VerlConfigError, match=r"reward\.custom_reward_function\.path=pkg://rlvr"):
        adapter.check_config(cfg)
    with pytest.raises(adapter.VerlConfigError, match="no custom reward function"):
        adapter.check_config(compose())


# ------------------------------------------------------------------------------- reward-loop managers (0.9)
def reward_loop_managers() -> list[str]:
    from verl.experimental.reward_loop.reward_manager.registry import REWARD_MANAGER

    return sorted(REWARD_MANAGER)


def test_the_installed_verl_ships_the_managers_we_test():
    assert {"naive", "dapo"} <= set(reward_loop_managers())


@pytest.mark.parametrize("manager", [m for m in reward_loop_managers() if m != "remote"])  # remote: test_verl_ray.py
@pytest.mark.parametrize("path", ["pkg://rlvr.adapters.verl", "file"])
def test_reward_loop_worker_scores_with_rlvr(manager, path, tokenizer, tokenizer_dir):
    """veRL 0.9's reward step: RewardLoopWorker (one per Ray worker in training) loads the manager named
    in the config and runs it per sample; the manager class assembles rm_scores."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    cfg = documented(adapter.__file__ if path == "file" else path, "compute_score", manager,
                     f"actor_rollout_ref.model.path={tokenizer_dir}")
    worker = RewardLoopWorker(cfg)
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls

    assert type(worker.reward_manager) is get_reward_manager_cls(manager)
    batch = make_batch(tokenizer)
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(batch))
    assert [o["reward_score"] for o in outputs] == EXPECTED
    rm_scores = type(worker.reward_manager).assemble_rm_scores(batch, [o["reward_score"] for o in outputs])
    assert_rlvr_scores(rm_scores, batch)
    infos = [o["reward_extra_info"] for o in outputs]
    # DAPO's filter_groups.metric=acc reads "acc"; every sample carries the same keys (veRL stacks them)
    assert all({"score", "acc", "status", "judged"} <= set(info) for info in infos)
    assert [info["acc"] for info in infos] == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert np.array([info["acc"] for info in infos]).dtype == np.float64


def test_load_reward_manager_dapo_with_overlong_buffer(tokenizer):
    """veRL's DAPO recipe: the dapo manager adds its overlong penalty on top of rlvr's score."""
    cfg = documented("pkg://rlvr.adapters.verl", "compute_score", "dapo",
                     "+reward.reward_kwargs.max_resp_len=48", "+reward.reward_kwargs.overlong_buffer_cfg.enable=true",
                     "+reward.reward_kwargs.overlong_buffer_cfg.len=4",
                     "+reward.reward_kwargs.overlong_buffer_cfg.penalty_factor=1.0",
                     "+reward.reward_kwargs.overlong_buffer_cfg.log=false")
    manager = load_reward_manager(cfg, tokenizer)
    batch = make_batch(tokenizer)
    results = [manager.loop.run_until_complete(manager.run_single(batch[i:i + 1])) for i in range(len(batch))]
    lengths = batch.batch["attention_mask"][:, PROMPT_LEN:].sum(-1).tolist()
    penalties = [min(-(n - 44) / 4, 0) for n in lengths]
    assert any(p < 0 for p in penalties) and any(p == 0 for p in penalties)
    assert [r["reward_score"] for r in results] == pytest.approx([v + p for v, p in zip(EXPECTED, penalties)])
    assert [r["reward_extra_info"]["score"] for r in results] == EXPECTED


# -------------------------------------------------------------------------- legacy managers (pre-0.9 loop)
def legacy_manager(name: str, tokenizer, path: str = "pkg://rlvr.adapters.verl"):
    from verl.workers.reward_manager import get_reward_manager_cls

    fn_name = "compute_score_batch" if name == "batch" else "compute_score"
    cfg = documented(path, fn_name, name)
    adapter.check_config(cfg)
    return get_reward_manager_cls(name)(tokenizer=tokenizer, num_examine=0, compute_score=get_custom_reward_fn(cfg))


@pytest.mark.parametrize("name", ["naive", "dapo", "batch"])
def test_legacy_managers_put_rlvrs_values_in_the_reward_tensor(name, tokenizer):
    batch = make_batch(tokenizer)
    out = legacy_manager(name, tokenizer)(batch, return_dict=True)
    assert_rlvr_scores(out["reward_tensor"], batch)
    extra = out["reward_extra_info"]
    assert list(extra["acc"]) == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0] and list(extra["score"]) == EXPECTED


@pytest.mark.parametrize("path", ["pkg://rlvr.adapters.verl", "file"])
def test_prime_manager_gets_rlvrs_values_not_zeros(path, tokenizer, capfd):
    """prime scores in a process pool (the function is pickled) and reads ``float(result[0])``; before,
    both failed and veRL printed "Setting all as 0" / "Task failed" and trained on zeros."""
    rows = ROWS[:4]
    batch = make_batch(tokenizer, rows)
    manager = legacy_manager("prime", tokenizer, adapter.__file__ if path == "file" else path)
    tensor = manager(batch)
    printed = capfd.readouterr().out
    assert "Setting all as 0" not in printed and "Task failed" not in printed, printed[-2000:]
    assert_rlvr_scores(tensor, batch, [r[4] for r in rows])
    assert batch.batch["acc"].tolist() == [r[4] for r in rows]


def test_bad_model_output_scores_inside_every_manager(tokenizer, tokenizer_dir):
    """Garbage, an unclosed box and a hang-inducing power tower: a value and a status, no exception."""
    rows = [("p", "\\boxed{" * 5, "math_dapo", "34", -1.0),
            ("p", "<answer>9**9**9**9**9</answer>", "countdown", COUNTDOWN_GT, 0.0),
            ("p", "", "openai/gsm8k", "72", 0.0),
            ("p", "}}}{{{\\frac", "lighteval/MATH", "\\frac12", 0.0)]
    batch = make_batch(tokenizer, rows)
    expected = [r[4] for r in rows]
    for name in ("naive", "batch"):
        assert_rlvr_scores(legacy_manager(name, tokenizer)(batch), batch, expected)
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    worker = RewardLoopWorker(documented("pkg://rlvr.adapters.verl", "compute_score", "naive",
                                         f"actor_rollout_ref.model.path={tokenizer_dir}"))
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(batch))
    assert [o["reward_score"] for o in outputs] == expected


def test_unknown_data_source_stops_the_first_step_with_the_fix(tokenizer):
    batch = make_batch(tokenizer, [("p", "Answer: 1", "my_new_set", "1", 0.0)])
    with pytest.raises(adapter.UnknownDataSourceError, match="register_data_source"):
        legacy_manager("naive", tokenizer)(batch)
    manager = load_reward_manager(documented(), tokenizer)
    with pytest.raises(adapter.UnknownDataSourceError, match="my_new_set"):
        manager.loop.run_until_complete(manager.run_single(batch[0:1]))
