"""Test-case loaders and code extraction (no sandbox needed)."""

from __future__ import annotations

import json

import pytest

from rlvr.verifiers.code_cases import TestCase, TestCaseError, load_test_cases
from rlvr.verifiers.code_extract import answer_region, extract_code, fenced_blocks


class TestLoaders:
    def test_open_r1_stdio(self):
        info = {"language": "python", "test_cases": [
            {"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"},
            {"input": "2 2\n", "output": "4\n", "type": "stdin_stdout"}]}
        for value in (info, json.dumps(info)):
            cases = load_test_cases(value)
            assert [c.kind for c in cases] == ["stdio", "stdio"]
            assert cases[0].stdin == "1 2\n" and cases[0].expected == "3\n"

    def test_open_r1_function_call(self):
        info = {"test_cases": [{"input": [1, 2], "output": [3], "type": "function_call", "fn_name": "add"},
                               {"input": [5, 5], "output": [10], "type": "function_call", "fn_name": "add"}]}
        cases = load_test_cases(info)
        assert cases[0].kind == "call" and cases[0].fn_name == "add"
        assert cases[0].args == (1, 2) and cases[0].expected == 3  # one-element lists unwrapped

    def test_apps_stdio_with_line_lists(self):
        io = {"inputs": [["1", "2"], "3\n"], "outputs": [["3"], "3\n"]}
        cases = load_test_cases(json.dumps(io))
        assert cases[0].stdin == "1\n2\n" and cases[0].expected == "3\n"
        assert cases[1].stdin == "3\n"

    def test_apps_call_unwrap_and_int_keys(self):
        io = {"fn_name": "f", "inputs": [[{"1": 2}], [{"3": 4}]], "outputs": [[[1, 2]], [[3]]]}
        cases = load_test_cases(io)
        assert cases[0].expected == [1, 2] and cases[1].expected == [3]
        assert cases[0].int_keys is True
        assert cases[0].sandbox_input() == {"fn_name": "f", "args": [{"1": 2}], "int_keys": True}

    def test_apps_unwrap_only_when_all_wrapped(self):
        io = {"fn_name": "f", "inputs": [[1], [2]], "outputs": [[5], [6, 7]]}
        cases = load_test_cases(io)
        assert cases[0].expected == [5] and cases[1].expected == [6, 7]
        assert load_test_cases(io, unwrap="always")[0].expected == 5
        assert load_test_cases({"fn_name": "f", "inputs": [[1]], "outputs": [[5]]}, unwrap="never")[0].expected == [5]

    def test_livecodebench(self):
        public = json.dumps([{"input": "[1, 2]\n3", "output": "[1, 2, 3]", "testtype": "functional"},
                             {"input": "5\n", "output": "5\n", "testtype": "stdin"}])
        cases = load_test_cases(public, metadata=json.dumps({"func_name": "append"}))
        assert cases[0].kind == "call" and cases[0].args == ([1, 2], 3) and cases[0].expected == [1, 2, 3]
        assert cases[1].kind == "stdio"

    def test_expected_never_in_sandbox_input_or_repr(self):
        c = load_test_cases([{"input": "1", "output": "SECRET_OUT"}])[0]
        assert "SECRET_OUT" not in json.dumps(c.sandbox_input())
        assert "SECRET_OUT" not in repr(c)

    def test_errors(self):
        with pytest.raises(TestCaseError):
            load_test_cases("")
        with pytest.raises(TestCaseError, match="pickle"):
            load_test_cases("eJzLSM3JyVcozy/KSQEAGgQEXQ==")  # compressed LCB-style blob
        with pytest.raises(TestCaseError):
            load_test_cases({"test_cases": []})
        with pytest.raises(TestCaseError):
            load_test_cases({"inputs": [1], "outputs": []})
        with pytest.raises(TestCaseError):
            load_test_cases({"foo": 1})
        with pytest.raises(TestCaseError):
            load_test_cases([{"input": "[1]", "output": "1", "testtype": "functional"}])  # no fn_name
        with pytest.raises(TestCaseError):
            load_test_cases(42)

    def test_testcase_passthrough(self):
        tc = TestCase("stdio", expected="1", stdin="")
        assert load_test_cases([tc]) == [tc]


class TestExtraction:
    def test_last_block_of_language(self):
        text = "<think>\n```python\nthinking = 1\n```\n</think>\n```python\na = 1\n```\nand\n```python\nb = 2\n```"
        assert extract_code(text) == "b = 2\n"

    def test_think_blocks_are_not_answers(self):
        assert extract_code("<think>\n```python\nx = 1\n```\n") is None  # unclosed think
        assert answer_region("no tags") == "no tags"

    def test_language_exact(self):
        assert extract_code("```py\nx=1\n```") is None
        assert extract_code("```python3\nx=1\n```") is None
        assert extract_code("```python3\nx=1\n```", "python3") == "x=1\n"
        assert extract_code("```c\nint x;\n```", "cpp") is None
        assert extract_code("```cpp\nint x;\n```", "c") is None
        assert extract_code("```python\nx=1\n```", ".*") is None  # language is not a regex

    def test_other_language_blocks_skipped_whole(self):
        text = "```js\nconsole.log(1)\n```\ntext\n```python\nprint(2)\n```"
        assert fenced_blocks(text) == [("js", "console.log(1)\n"), ("python", "print(2)\n")]
        assert extract_code(text) == "print(2)\n"

    def test_inline_fence_after_tag(self):
        assert extract_code("<answer>```python\ndef f(): pass\n```</answer>") == "def f(): pass\n"

    def test_unclosed_or_empty(self):
        assert extract_code("```python\nprint(1)\n") is None
        assert extract_code("```python\n\n```") is None
        assert extract_code("") is None

    def test_hostile_input_linear(self):
        import time

        t = time.perf_counter()
        extract_code("```" * 300_000)
        extract_code("```python\n" * 100_000)
        extract_code("`" * 1_000_000)
        assert time.perf_counter() - t < 2.0
