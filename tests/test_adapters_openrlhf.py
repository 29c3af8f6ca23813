"""OpenRLHF, both ways in, driven by OpenRLHF's own code (``openrlhf.utils.agent.SingleTurnAgentExecutor``,
installed with ``pip install --no-deps openrlhf`` + aiohttp; it imports without a GPU):

* ``--remote_rm_url /path/to/rlvr/adapters/openrlhf.py``: OpenRLHF's loader imports our file and
  calls its ``reward_func`` the way training does;
* ``--remote_rm_url http://.../get_reward``: OpenRLHF's HTTP request helper posts to a real
  ``rlvr serve`` process.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from test_serve import Server

import rlvr.adapters.openrlhf as openrlhf_adapter
from rlvr.adapters.openrlhf import make_reward_func, score_openrlhf
from rlvr.rewards.build import build_stack
from rlvr.serve.protocol import split_query

if not os.environ.get("CI"):
    pytest.importorskip("openrlhf.utils.agent")
from openrlhf.utils.agent import SingleTurnAgentExecutor  # noqa: E402

PROMPT = "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n"
GOOD = PROMPT + "<think>6*7=42</think><answer>\\boxed{42}</answer><|im_end|>"
WRONG = PROMPT + "<think>hm</think><answer>\\boxed{41}</answer><|im_end|>"
HOSTILE = PROMPT + "\\boxed{" * 5000 + "<|im_end|>"


def _fetch(executor, how: str, queries, prompts, labels):
    fetch = executor._fetch_rewards_via_func if how == "func" else executor._fetch_rewards_via_http
    return asyncio.run(fetch(queries, prompts, labels))


@pytest.fixture
def file_executor(monkeypatch):
    """OpenRLHF loading our file exactly as `--remote_rm_url <file>.py` does."""
    monkeypatch.setenv("RLVR_OPENRLHF_STACK", "math_accuracy,format=0.2")
    return SingleTurnAgentExecutor(openrlhf_adapter.__file__)


def test_openrlhf_loads_the_reward_file_and_scores_through_it(file_executor):
    assert file_executor.reward_func is not None
    for query, expected, acc in ((GOOD, 1.2, 1.0), (WRONG, 0.2, 0.0), (HOSTILE, 0.0, 0.0)):
        # OpenRLHF 0.11 calls the file once per sample and takes [0] of the gathered answers
        (info,) = _fetch(file_executor, "func", [query], [PROMPT], ["42"])
        assert info["rewards"] == [expected] and info["scores"] == [expected]
        assert info["extra_logs"]["math_accuracy"] == [acc]
        assert info["extra_logs"]["rlvr_unjudged"] == [0.0]


def test_reward_file_batches_and_torch_conversion(file_executor):
    torch = pytest.importorskip("torch")
    info = file_executor.reward_func([GOOD, WRONG, HOSTILE], [PROMPT] * 3, ["42"] * 3)  # older releases batch
    assert info["rewards"] == [1.2, 0.2, 0.0]
    # what OpenRLHF's samples generator does with the answer: plain floats go into tensors
    assert torch.tensor([info["rewards"]]).shape == (1, 3)
    for value in info["extra_logs"].values():
        torch.tensor([value])


def test_openrlhf_http_helper_against_a_real_server():
    srv = Server("-r", "math_accuracy", "-r", "format=0.2", workers=1)
    try:
        executor = SingleTurnAgentExecutor(srv.url + "/get_reward")
        assert executor.reward_func is None  # the HTTP path
        (info,) = _fetch(executor, "http", [GOOD, WRONG, HOSTILE], [PROMPT] * 3, ["42"] * 3)
        assert info["rewards"] == [1.2, 0.2, 0.0] and info["scores"] == info["rewards"]
        assert info["extra_logs"]["math_accuracy"] == [1.0, 0.0, 0.0]
        # the same answer as the reward file gives
        local = make_reward_func("math_accuracy,format=0.2")([GOOD, WRONG, HOSTILE], [PROMPT] * 3, ["42"] * 3)
        assert local == info
    finally:
        assert srv.stop() == 0


def test_unjudgeable_gold_is_none_as_and_flagged():
    stack = build_stack(["math_accuracy"])
    out = score_openrlhf(stack, [PROMPT + "\\boxed{1}"], [PROMPT], [""], none_as=-1.0)
    assert out["rewards"] == [-1.0] and out["extra_logs"]["rlvr_unjudged"] == [1.0]


def test_labels_column_and_stack_file(tmp_path):
    cfg = tmp_path / "stack.toml"
    cfg.write_text('name = "s"\n[[rewards]]\nname = "math_accuracy"\nparams = {solution_column = "answer"}\n')
    func = make_reward_func(str(cfg), label_column="answer")
    assert func([GOOD], [PROMPT], ["42"])["rewards"] == [1.0]


@pytest.mark.parametrize("query, prompt, expected", [
    ("PQ answer</s>", "PQ ", "answer"),
    ("<s>PQ answer<|im_end|><|endoftext|>", "PQ ", "answer"),  # a BOS before the prompt, two end tokens
    ("no prompt here", "PQ", "no prompt here"),
    ("whole", None, "whole"),
])
def test_split_query(query, prompt, expected):
    from rlvr.serve.settings import DEFAULT_END_TOKENS

    assert split_query(query, prompt, DEFAULT_END_TOKENS) == expected


def test_openrlhf_single_turn_executor_end_to_end(file_executor):
    """OpenRLHF's whole single-turn path around the reward: tokenize the prompt, generate, decode prompt +
    response with special tokens (the tiny tokenizer ends it with ``<eos>``), call our file, fill the
    sample's reward/scores/extra_logs. Only the vLLM engine is stood in for (it needs a GPU): it
    answers with the token ids of a fixed response."""
    pytest.importorskip("transformers")
    from types import SimpleNamespace

    from rlvr.testing import build_tiny_tokenizer, offline_mode

    offline_mode()
    tok = build_tiny_tokenizer()
    prompt = "Question: what is 6*7?\nAnswer:"

    class Engine:  # the vLLM engine's generate(), as OpenRLHF awaits it
        def __init__(self, response: str):
            self.ids = tok(text=response, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]

        async def generate(self, prompt_token_ids, params, multi_modal_data=None):
            out = SimpleNamespace(token_ids=self.ids, finish_reason="stop", logprobs=None)
            return SimpleNamespace(outputs=[out])

    params = SimpleNamespace(max_tokens=64, logprobs=None)
    for response, expected in ((" <think>6*7=42</think><answer>\\boxed{42}</answer>", 1.2),
                               (" <think>hm</think><answer>\\boxed{41}</answer>", 0.2),
                               (" \\boxed{" * 50, 0.0)):
        out = asyncio.run(file_executor.execute(prompt, "42", params, 256, tok, Engine(response)))
        assert out["reward"] == [expected] and out["scores"] == [expected], response
        assert set(out["extra_logs"]) == {"math_accuracy", "format", "rlvr_unjudged"}
