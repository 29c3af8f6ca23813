"""``rlvr.adapters.remote.remote_reward`` against a real ``rlvr serve`` process: same values as
in-process, every column forwarded, picklable, async form, a server that is down (None values,
logged, no exception), batches over the server's size limit (split), 400s (a config error), and a
real TRL GRPOTrainer step on the tiny local model with the remote reward (sync and async)."""

from __future__ import annotations

import asyncio
import logging
import math
import pickle

import pytest
from test_serve import COMPLETIONS, SOLUTIONS, STACK_ARGS, STACK_SPEC, Server, free_port

from rlvr.adapters.remote import RemoteRewardError, remote_reward
from rlvr.rewards.build import build_stack


@pytest.fixture(scope="module")
def server():
    srv = Server(*STACK_ARGS)
    yield srv
    assert srv.stop() == 0


def test_values_equal_in_process_stack(server):
    reward = remote_reward(server.url, name="r1_remote")
    expected = build_stack(STACK_SPEC)(completions=COMPLETIONS, solution=SOLUTIONS)
    got = reward(prompts=["p"] * len(COMPLETIONS), completions=COMPLETIONS, solution=SOLUTIONS,
                 level=["easy"] * len(COMPLETIONS), trainer_state=object())
    assert got == expected
    assert reward.__name__ == "r1_remote"
    assert remote_reward(server.url + "/score").url == server.url + "/score"


def test_columns_are_forwarded_unless_told_otherwise(server):
    completions = ["\\boxed{2}", "\\boxed{3}"]
    assert remote_reward(server.url)(completions=completions, solution=["2", "2"]) == [1.0, 0.0]
    # told to send only `level`: the server lacks `solution` and says so -> a configuration error
    with pytest.raises(RemoteRewardError, match="solution"):
        remote_reward(server.url, columns=["level"])(completions=completions, solution=["2", "2"], level=["a", "b"])


def test_logs_statuses_and_metrics_when_trl_passes_the_hooks(server):
    extra, metrics = {}, {}
    reward = remote_reward(server.url, name="remote")
    reward(completions=["<think>a</think><answer>\\boxed{2}</answer>", "x"], solution=["2", "2"],
           log_extra=lambda k, v: extra.__setitem__(k, v), log_metric=lambda k, v: metrics.__setitem__(k, v))
    assert extra == {"remote_status": ["ok", "ok"]}
    assert metrics["rlvr/remote/math_accuracy"] == 0.5 and metrics["rlvr/remote/format"] == 0.5
    assert metrics["rlvr/remote/unjudged_frac"] == 0.0


def test_picklable_and_async(server):
    reward = pickle.loads(pickle.dumps(remote_reward(server.url, name="rr")))
    kwargs = {"completions": ["\\boxed{1}", "\\boxed{7}"], "solution": ["1", "1"]}
    sync = reward(**kwargs)
    areward = pickle.loads(pickle.dumps(reward.as_async()))
    assert areward.__name__ == "rr"
    assert asyncio.run(areward(**kwargs)) == sync == [1.0, 0.0]


def test_server_down_gives_none_values_and_a_logged_cause(caplog):
    reward = remote_reward(f"http://127.0.0.1:{free_port()}", retries=2, timeout=2)
    reward.backoff = 0.01
    with caplog.at_level(logging.WARNING, logger="rlvr.remote"):
        assert reward(completions=["a", "b", "c"], solution=["1", "2", "3"]) == [None, None, None]
    assert "unreachable after 3 attempt(s)" in caplog.text and "sandbox_error" in caplog.text
    assert remote_reward(f"http://127.0.0.1:{free_port()}", retries=0, none_as=0.0)(completions=["a"]) == [0.0]


def test_batches_over_the_size_limit_are_split(server):
    # 12 rows of ~40 KB: ~480 KB, over the server's 0.25 MB limit -> split into halves until they fit
    completions = [f"<think>{'y' * 40_000}</think><answer>\\boxed{{{i}}}</answer>" for i in range(12)]
    solutions = [str(i) if i % 3 else "-1" for i in range(12)]
    got = remote_reward(server.url)(completions=completions, solution=solutions)
    assert got == build_stack(STACK_SPEC)(completions=completions, solution=solutions)
    # one completion larger than the limit: the model wrote it, it scores 0.0 (not None, no exception)
    assert remote_reward(server.url)(completions=["\\boxed{1}", "z" * 400_000], solution=["1", "1"]) == [1.0, 0.0]


def test_rejects_non_http_urls():
    with pytest.raises(ValueError, match="http"):
        remote_reward("localhost:8000")


# --------------------------------------------------------------------------- a real TRL step
@pytest.mark.trl
def test_remote_reward_in_a_real_grpo_step(server, tmp_path):
    pytest.importorskip("trl")
    from rlvr.testing import build_tiny_model, build_tiny_tokenizer, offline_mode

    offline_mode()
    from datasets import Dataset
    from test_serve import _metric
    from trl import GRPOConfig, GRPOTrainer

    tok = build_tiny_tokenizer()
    ds = Dataset.from_list([{"prompt": f"Question: what is {a}+{a}?\nAnswer:", "solution": str(2 * a)}
                            for a in range(4)])
    rows_before = _metric(server, 'rlvr_serve_rows_total{endpoint="/score"}')
    funcs = [remote_reward(server.url, name="remote_sync"), remote_reward(server.url, name="remote_async").as_async()]
    args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, per_device_train_batch_size=4,
                      num_generations=2, max_completion_length=8, max_steps=1, learning_rate=1e-3, logging_steps=1,
                      save_strategy="no", report_to="none", gradient_checkpointing=False, seed=0, disable_tqdm=True,
                      reward_weights=[1.0, 0.5])
    trainer = GRPOTrainer(model=build_tiny_model(tok), processing_class=tok, args=args, train_dataset=ds,
                          reward_funcs=funcs)
    trainer.train()
    logs = {k: v for entry in trainer.state.log_history for k, v in entry.items()}
    for name in ("remote_sync", "remote_async"):
        assert math.isfinite(logs[f"rewards/{name}/mean"]), name
    assert "rlvr/remote_sync/unjudged_frac" in logs
    # both rewards really went through the server: 4 completions each
    assert _metric(server, 'rlvr_serve_rows_total{endpoint="/score"}') >= rows_before + 8
