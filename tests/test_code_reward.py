"""code_tests / code_format rewards and the open_r1_code preset (local backend: runs anywhere).

The Docker-backed reward path is exercised in tests/test_sandbox_docker.py.
"""

from __future__ import annotations

import asyncio
import json
import pickle

import pytest

from rlvr import Status, get_reward

INFO = {"language": "python", "test_cases": [
    {"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"},
    {"input": "10 20\n", "output": "30\n", "type": "stdin_stdout"},
    {"input": "-5 5\n", "output": "0\n", "type": "stdin_stdout"},
    {"input": "7 7\n", "output": "14\n", "type": "stdin_stdout"}]}
GOOD = "<think>\nadd them\n</think>\n<answer>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```\n</answer>"
HALF = "```python\na, b = map(int, input().split())\nprint(a + b if a < 5 else 0)\n```"  # passes tests 0 and 2
CRASH = "```python\nraise RuntimeError('x')\n```"


def any_order_checker(stdin: str, expected: str, actual: str) -> bool:
    return sorted(actual.split()) == sorted(expected.split())


def reward(**kw):
    return get_reward("code_tests", backend="local", **kw)


class TestCodeTests:
    def test_modes(self):
        comps = [GOOD, HALF, "no code here", CRASH]
        cols = {"verification_info": [INFO] * 4}
        assert reward()(completions=comps, **cols) == [1.0, 0.5, 0.0, 0.0]
        assert reward(mode="all_or_nothing")(completions=comps, **cols) == [1.0, 0.0, 0.0, 0.0]
        assert reward(mode="weighted_sum")(completions=comps, **cols) == pytest.approx([1.1, 0.05, 0.0, 0.0])

    def test_statuses_and_details_never_echo_expected(self):
        secret_info = {"test_cases": [{"input": "", "output": "SECRET_EXPECTED_OUTPUT\n", "type": "stdin_stdout"}]}
        s = reward().score("```python\nprint('nope')\n```", verification_info=secret_info)
        assert s.value == 0.0 and s.status == Status.WRONG
        assert "SECRET_EXPECTED_OUTPUT" not in json.dumps(s.to_dict())
        assert reward().score(GOOD, verification_info=INFO).status == Status.CORRECT
        assert reward().score(HALF, verification_info=INFO).status == Status.PARTIAL
        crash = reward().score(CRASH, verification_info=INFO)
        assert crash.status == Status.RUNTIME_ERROR and crash.details["tests"][0]["status"] == "runtime_error"
        assert reward().score("```python\ndef (\n```", verification_info=INFO).status == Status.RUNTIME_ERROR
        assert reward().score("text", verification_info=INFO).status == Status.NO_ANSWER

    def test_stop_at_first_failure_and_cap(self):
        s = reward(stop_at_first_failure=True).score("```python\nprint(3)\n```", verification_info=INFO)
        assert s.value == 0.25 and s.details["n_run"] == 2  # passed test 0, failed test 1, stopped
        s = reward(max_tests=2).score(HALF, verification_info=INFO)
        assert s.value == 0.5 and s.details["n_total"] == 2

    def test_unparseable_tests_are_none(self):
        r = reward()
        assert r(completions=[GOOD, GOOD], verification_info=["not json", {"test_cases": []}]) == [None, None]
        assert r.score(GOOD, verification_info="{").status == Status.GOLD_UNPARSEABLE

    def test_apps_column_and_call_based(self):
        io = json.dumps({"fn_name": "square", "inputs": [[2], [3]], "outputs": [[4], [9]]})
        code = "```python\ndef square(x):\n    return x * x\n```"
        r = reward(tests_column="input_output")
        assert r(completions=[code, "```python\ndef square(x):\n    return [x * x]\n```"],
                 input_output=[io, io]) == [1.0, 0.0]

    def test_livecodebench_layout(self):
        tests = json.dumps([{"input": "[3, 1, 2]", "output": "[1, 2, 3]", "testtype": "functional"}])
        code = "```python\nclass Solution:\n    def sortIt(self, xs):\n        return sorted(xs)\n```"
        r = reward(tests_column="public_test_cases", fn_name_column="metadata")
        assert r(completions=[code], public_test_cases=[tests], metadata=[json.dumps({"func_name": "sortIt"})]) == [1.0]

    def test_missing_column_is_a_clear_error(self):
        from rlvr.rewards.base import MissingColumnError

        with pytest.raises(MissingColumnError, match="verification_info"):
            reward()(completions=[GOOD], solution=["x"])

    def test_config_errors(self):
        from rlvr.rewards.base import RewardConfigError

        with pytest.raises(RewardConfigError):
            get_reward("code_tests", language="cpp")
        with pytest.raises(RewardConfigError):
            get_reward("code_tests", mode="best")
        with pytest.raises(RewardConfigError, match="checker"):
            get_reward("code_tests", checker="no_such_module_xyz:f")
        with pytest.raises(RewardConfigError, match="checker"):
            get_reward("code_tests", checker="not a path")

    def test_custom_checker(self):
        info = {"test_cases": [{"input": "", "output": "1 2 3\n", "type": "stdin_stdout"}]}
        r = reward(checker=f"{__name__}:any_order_checker")
        assert r(completions=["```python\nprint(3, 1, 2)\n```", "```python\nprint(3, 1)\n```"],
                 verification_info=[info] * 2) == [1.0, 0.0]
        assert reward()(completions=["```python\nprint(3, 1, 2)\n```"], verification_info=[info]) == [0.0]

    def test_picklable_and_async(self):
        r = reward()
        r2 = pickle.loads(pickle.dumps(r))
        assert r2(completions=[GOOD], verification_info=[INFO]) == [1.0]

        async def main():
            fn = r.as_async()
            return await asyncio.gather(*(fn(completions=[GOOD, HALF], verification_info=[INFO] * 2) for _ in range(4)))

        assert asyncio.run(main()) == [[1.0, 0.5]] * 4

    def test_hostile_completions_return_n_values(self):
        r = reward()
        comps = ["```" * 50_000, "```python\n" + "x" * 1_000_000, None, [{"role": "assistant", "content": GOOD}], ""]
        out = r(completions=comps, verification_info=[INFO] * len(comps))
        assert len(out) == 5 and out[3] == 1.0


class TestCodeFormat:
    @pytest.mark.parametrize("text,lang,expected", [
        ("<think>\nLet's solve this\n</think>\n<answer>\n```python\ndef hello():\n    print('world')\n```\n</answer>",
         "python", 1.0),
        ("<think>\nHere's an example:\n```python\nx = 1\n```\n</think>\n<answer>\n```python\ndef s():\n    return 42\n```\n</answer>",
         "python", 1.0),
        ("<think>\nAnalysis\n</think>\n<answer>\n```javascript\nconsole.log('hello');\n```\n</answer>", "javascript", 1.0),
        ("<think>\nAnalysis\n</think>\n<answer>\n```javascript\nconsole.log('hello');\n```\n</answer>", "python", 0.0),
        ("<think>Some thinking</think><answer>Just plain text</answer>", "python", 0.0),
        ("<think>Analysis</think><answer>```\ndef hello(): pass\n```</answer>", "python", 0.0),
        ("<think>\n```python\nx = 1\n```\n", "python", 0.0),  # only inside an unclosed think block
        ("```cpp\nint main(){}\n```", "c", 0.0),  # language matched exactly, not as a prefix
        ("```c++\nint main(){}\n```", "c++", 1.0),  # escaped, not a regex
    ])
    def test_cases(self, text, lang, expected):
        assert get_reward("code_format", language=lang)(completions=[text]) == [expected]


def test_open_r1_code_preset():
    stack = get_reward("open_r1_code", backend="local")
    assert stack.__name__ == "open_r1_code"  # issue 14: the preset's stack is named like the others
    names = [fn.__name__ for fn in stack.reward_funcs]
    assert names[0] == "code_tests" and "format" in names[1]
    assert stack.reward_weights == [1.0, 0.1]
    good = "<think>\nadd\n</think>\n<answer>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```\n</answer>"
    total = stack(completions=[good], verification_info=[INFO])
    assert total[0] == pytest.approx(1.1)


class TestBackendChoice:
    """Issue 9 item 5: backend="auto" never falls back to the local backend unless opted in."""

    MISSING = "rlvr-no-such-image:never"

    def test_auto_is_an_error_when_docker_is_not_usable(self, monkeypatch):
        from rlvr.sandbox import ALLOW_LOCAL_ENV, SandboxUnavailableError, get_backend

        monkeypatch.delenv(ALLOW_LOCAL_ENV, raising=False)
        with pytest.raises(SandboxUnavailableError, match="allow_local_fallback"):
            get_backend("auto", image=self.MISSING)
        r = get_reward("code_tests", backend="auto", image=self.MISSING)
        score = r.score(GOOD, verification_info=INFO)
        assert score.value is None and score.status == Status.SANDBOX_ERROR
        assert "allow_local_fallback" in score.reason and score.details.get("backend") != "local"

    def test_opt_in_falls_back_loudly(self, monkeypatch, caplog):
        from rlvr.sandbox import ALLOW_LOCAL_ENV, get_backend

        monkeypatch.delenv(ALLOW_LOCAL_ENV, raising=False)
        with caplog.at_level("WARNING", logger="rlvr.sandbox"):
            b = get_backend("auto", allow_local_fallback=True, image=self.MISSING, size=1)
        assert b.name == "local"
        assert any("FALLING BACK" in rec.getMessage() and "NOT a security boundary" in rec.getMessage()
                   for rec in caplog.records)
        r = get_reward("code_tests", backend="auto", image=self.MISSING, allow_local_fallback=True, pool_size=1)
        assert r(completions=[GOOD], verification_info=[INFO]) == [1.0]
        monkeypatch.setenv(ALLOW_LOCAL_ENV, "1")
        assert get_backend("auto", image=self.MISSING, size=1) is b


def test_submission_caused_failures_are_zero_not_none():
    """Issue 9 item 2 at the reward level: the harness's old infrastructure exit code, a report
    that breaks a JSON reader and an 8-million-digit claim are failed tests (0.0), not None."""
    info = {"test_cases": [{"input": [], "output": [1, 2], "type": "function_call", "fn_name": "f"}]}
    hostile = ["import os\nos._exit(71)\n", "import os\nos.write(3, b'[' * 100000)\nos._exit(0)\n",
               "import os\nos.write(3, b'V' + b'7' * 8000000)\nos._exit(0)\n",
               "import os\nos.write(3, b'{\"value\": \"' + b'7' * 8000000 + b'\"}')\nos._exit(0)\n"]
    comps = ["```python\n" + code + "```" for code in hostile]
    assert reward()(completions=comps, verification_info=[info] * len(comps)) == [0.0] * len(comps)
