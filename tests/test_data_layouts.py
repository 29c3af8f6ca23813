"""rlvr.layouts: rows built in each dataset's real schema (the columns and value types the Hub
datasets have) -> prompt + the reference columns rlvr's rewards read, checked by scoring gold and
wrong answers with the real rewards (code runs in the local sandbox)."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pytest

from rlvr import get_reward
from rlvr.layouts import (
    LAYOUTS,
    DatasetLoadError,
    LayoutError,
    convert_rows,
    decode_lcb_private_tests,
    get_layout,
    gsm8k_final_answer,
    load_layout,
    read_local_rows,
    stratos_to_think_answer,
)
from rlvr.layouts import code as code_layouts

DATA = Path(__file__).resolve().parent / "data" / "layouts"


def lcb_pack(tests: list[dict]) -> str:
    """LiveCodeBench's private_test_cases encoding: base64(zlib(pickle(JSON string)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode("ascii")


# ------------------------------------------------------------------------------ real-schema rows
GSM8K = {"question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
                     "How many clips did Natalia sell altogether in April and May?",
         "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips "
                   "altogether in April and May.\n#### 72"}
OPENR1 = {"problem": "Compute $\\frac{1}{2}+\\frac{1}{3}$.", "solution": "Common denominator: $\\frac{5}{6}$.",
          "answer": "\\frac{5}{6}", "problem_type": "Algebra", "question_type": "math-word-problem",
          "source": "olympiads", "uuid": "5f0c4e1e-0000-0000-0000-000000000000", "is_reasoning_complete": [True, True],
          "generations": ["<think>\nhalf plus a third is 2/5\n</think>\n$\\boxed{\\frac{2}{5}}$",
                          "<think>\n3/6 + 2/6 = 5/6\n</think>\n\nThe sum is $\\boxed{\\frac{5}{6}}$."],
          "correctness_math_verify": [False, True], "correctness_llama": None, "finish_reasons": None,
          "correctness_count": 1,
          "messages": [{"content": "Compute ...", "role": "user"}, {"content": "<think>...", "role": "assistant"}]}
STRATOS = {"system": "Your role as an assistant involves thoroughly exploring questions through a systematic long "
                     "thinking process ... <|begin_of_thought|> {thought} <|end_of_thought|> ...",
           "conversations": [
               {"from": "user", "value": "Return your final response within \\boxed{}. What is $2+3$?"},
               {"from": "assistant", "value": "<|begin_of_thought|>\n\nOkay, 2 plus 3.\n\nThat is 5.\n\n"
                                              "<|end_of_thought|>\n\n<|begin_of_solution|>\n\n"
                                              "The sum is $\\boxed{5}$.\n\n<|end_of_solution|>"}]}
COUNTDOWN = {"target": 98, "nums": [44, 19, 35]}
OPEN_R1_CODE = {
    "source": "codeforces", "task_type": "verifiable_code", "in_source_id": "1_A", "problem_id": "vfc_1",
    "problem_statement": "Read two integers and print their sum.",
    "gold_standard_solution": "```python\na, b = map(int, input().split())\nprint(a + b)\n```",
    "metadata": {"difficulty": "7", "memory_limit": "256 megabytes", "memory_limit_bytes": 268435456,
                 "problem_url": "https://codeforces.com/problemset/problem/1/A", "time_limit": "1 second"},
    "verification_info": {"language": "python", "test_cases": [
        {"fn_name": None, "input": "1 2\n", "output": "3\n", "type": "stdin_stdout"},
        {"fn_name": None, "input": "-4 10\n", "output": "6\n", "type": "stdin_stdout"}]}}
APPS_STDIO = {"problem_id": 4000, "question": "Given two integers a and b on one line, print a*b.",
              "solutions": json.dumps(["a, b = map(int, input().split())\nprint(a * b)\n"]),
              "input_output": json.dumps({"inputs": ["2 3\n", "7 6\n"], "outputs": ["6\n", "42\n"]}),
              "difficulty": "introductory", "url": "https://codeforces.com/problemset/problem/0/A", "starter_code": ""}
APPS_CALL = {"problem_id": 4001, "question": "Return the sum of a list of numbers.",
             "solutions": json.dumps(["def total(xs):\n    return sum(xs)\n"]),
             "input_output": json.dumps({"fn_name": "total", "inputs": [[[1, 2, 3]], [[]]], "outputs": [[6], [0]]}),
             "difficulty": "introductory", "url": "https://www.codewars.com/kata/x", "starter_code": "def total(xs):\n\t"}
LCB_LEETCODE = {
    "question_title": "add-two", "question_content": "Given integers a and b, return a + b.", "platform": "leetcode",
    "question_id": "3000", "contest_id": "weekly-contest-400", "contest_date": "2024-06-01T00:00:00",
    "starter_code": "class Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        ", "difficulty": "easy",
    "public_test_cases": json.dumps([{"input": "1\n2", "output": "3", "testtype": "functional"}]),
    "private_test_cases": lcb_pack([{"input": "10\n-3", "output": "7", "testtype": "functional"}]),
    "metadata": json.dumps({"func_name": "addTwo"})}
LCB_ATCODER = {
    "question_title": "Echo", "question_content": "Read a string S and print it twice.", "platform": "atcoder",
    "question_id": "abc300_a", "contest_id": "abc300", "contest_date": "2023-04-29T00:00:00", "starter_code": "",
    "difficulty": "easy", "public_test_cases": json.dumps([{"input": "ab\n", "output": "abab\n", "testtype": "stdin"}]),
    "private_test_cases": json.dumps([{"input": "x\n", "output": "xx\n", "testtype": "stdin"}]), "metadata": "{}"}

GOLD_CODE = {
    "verifiable_code": (OPEN_R1_CODE, "a, b = map(int, input().split())\nprint(a + b)"),
    "apps": (APPS_STDIO, "a, b = map(int, input().split())\nprint(a * b)"),
    "apps_call": (APPS_CALL, "def total(xs):\n    return sum(xs)"),
    "livecodebench": (LCB_LEETCODE, "class Solution:\n    def addTwo(self, a, b):\n        return a + b"),
    "livecodebench_stdin": (LCB_ATCODER, "s = input()\nprint(s + s)"),
}


def answer(code: str) -> str:
    return f"<think>\nsolve it\n</think>\n<answer>\n```python\n{code}\n```\n</answer>"


# ------------------------------------------------------------------------------ maths, countdown, SFT
def test_every_layout_is_registered_with_its_columns():
    assert set(LAYOUTS) == {"gsm8k", "openr1_math", "math_boxed", "countdown", "verifiable_code", "apps",
                            "livecodebench", "bespoke_stratos", "openr1_math_sft", "sft_messages"}
    for layout in LAYOUTS.values():
        assert layout.kind in ("rl", "sft") and layout.columns and layout.hub_id
    with pytest.raises(LayoutError, match="unknown layout 'gsm9k'.*gsm8k"):
        get_layout("gsm9k")


def test_gsm8k_row_scores_gold_1_and_wrong_0():
    [row], report = convert_rows([GSM8K], "gsm8k")
    assert row["solution"] == "72" and report.kept == 1
    assert [m["role"] for m in row["prompt"]] == ["system", "user"] and "Natalia" in row["prompt"][1]["content"]
    acc = get_reward("math_accuracy")
    good = "<think>\n48 + 24\n</think>\n<answer>\n\\boxed{72}\n</answer>"
    assert acc.score(good, solution=row["solution"]).value == 1.0
    assert acc.score(good.replace("72", "71"), solution=row["solution"]).value == 0.0


@pytest.mark.parametrize("text,expected", [
    ("12 - 2 = 10.\n#### 10", "10"), ("#### 1,234", "1234"), ("so\n#### -5", "-5"), ("####3.5", "3.5"),
    ("#### 72.", "72"), ("no final marker 72", None), ("#### ", None), ("#### 10\ntrailing line", None),
])
def test_gsm8k_final_answer(text, expected):
    assert gsm8k_final_answer(text) == expected


def test_openr1_math_rl_and_sft_rows():
    [rl], _ = convert_rows([OPENR1], "openr1_math")
    assert rl["solution"] == "\\frac{5}{6}"
    assert get_reward("math_accuracy").score("<think>\nx\n</think>\n<answer>\n\\boxed{5/6}\n</answer>",
                                             solution=rl["solution"]).value == 1.0
    [sft], _ = convert_rows([OPENR1], "openr1_math_sft")  # the generation math-verify marked correct
    reply = sft["completion"][0]["content"]
    assert reply.startswith("<think>\n3/6 + 2/6 = 5/6\n</think>\n<answer>\n") and "2/5" not in reply
    proof = {**OPENR1, "answer": "proof"}
    assert convert_rows([proof], "openr1_math")[1].skipped == 1


def test_bespoke_stratos_row_becomes_think_answer_the_rewards_accept():
    [row], _ = convert_rows([STRATOS], "bespoke_stratos")
    reply = row["completion"][0]["content"]
    assert reply == "<think>\nOkay, 2 plus 3.\n\nThat is 5.\n</think>\n<answer>\nThe sum is $\\boxed{5}$.\n</answer>"
    assert all("begin_of_thought" not in m["content"] for m in row["prompt"])  # Sky-T1's system prompt replaced
    assert get_reward("format").score(reply).value == 1.0
    assert get_reward("format", layout="open_r1").score(reply).value == 1.0
    assert get_reward("math_accuracy").score(reply, solution="5").value == 1.0
    truncated = {**STRATOS, "conversations": [STRATOS["conversations"][0],
                                              {"from": "assistant", "value": "<|begin_of_thought|>\n\nOkay"}]}
    assert convert_rows([truncated], "bespoke_stratos")[1].skipped == 1


@pytest.mark.parametrize("text", [
    "<|begin_of_thought|>\ncut off", "no markers at all",
    "<|begin_of_thought|>a<|end_of_thought|><|begin_of_thought|>b<|end_of_thought|><|begin_of_solution|>s<|end_of_solution|>",
    "<|begin_of_solution|>s<|end_of_solution|><|begin_of_thought|>a<|end_of_thought|>",
    "<|begin_of_thought|> <|end_of_thought|><|begin_of_solution|>s<|end_of_solution|>",
])
def test_malformed_stratos_replies_are_skipped(text):
    assert stratos_to_think_answer(text) is None


def test_math_boxed_row_takes_the_last_boxed_value():
    row = {"problem": "Simplify $\\frac{6}{8}$.", "level": "Level 1", "type": "Prealgebra",
           "solution": "First $\\boxed{\\frac{6}{8}}$ is not reduced; dividing by 2 gives $\\boxed{\\frac{3}{4}}$."}
    [converted], _ = convert_rows([row], "math_boxed")
    assert converted["solution"] == "\\frac{3}{4}"
    assert convert_rows([{**row, "solution": "no box"}], "math_boxed")[1].skipped == 1


def test_countdown_rows_and_bad_values():
    rows, report = convert_rows([COUNTDOWN, {"target": 98.0, "numbers": [44.0, 19, 35]}, {"target": "98", "nums": [1]},
                                 {"target": 9, "nums": [True, 8]}, {"target": 9, "nums": "[4, 5]"}], "countdown")
    assert report.skipped == 2 and [(r["target"], r["nums"]) for r in rows] == [(98, [44, 19, 35])] * 2 + [(9, [4, 5])]
    cd = get_reward("countdown")
    assert cd.score("<think>\nx\n</think>\n<answer>44 + 19 + 35</answer>", **{k: rows[0][k] for k in ("target", "nums")}
                    ).value == 1.0
    assert cd.score("<think>\nx\n</think>\n<answer>44 + 19</answer>", target=98, nums=[44, 19, 35]).value == 0.0


def test_sft_messages_rows():
    rows, report = convert_rows([
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\na\n</think>"}]},
        {"prompt": [{"role": "user", "content": "q"}], "completion": [{"role": "assistant", "content": "r"}]},
        {"messages": [{"role": "user", "content": "q"}]},
        {"prompt": "q", "completion": " "},
    ], "sft_messages")
    assert report.skipped == 2 and rows[0]["prompt"][0]["role"] == "system"


def test_wrong_layout_names_the_columns():
    with pytest.raises(LayoutError, match=r"row 0: layout 'gsm8k' needs column\(s\) \['question', 'answer'\].*'nums'"):
        convert_rows([COUNTDOWN], "gsm8k")
    with pytest.raises(LayoutError, match="row 1 is str"):
        convert_rows([COUNTDOWN, "junk"], "countdown")


# ------------------------------------------------------------------------------ code
def test_open_r1_code_problem_statement_is_accepted():
    """The bug: the converter looked for 'prompt' and rejected the open-r1 dataset's 'problem_statement'."""
    [row], report = convert_rows([OPEN_R1_CODE], "verifiable_code")
    assert report.kept == 1 and row["prompt"][-1]["content"] == OPEN_R1_CODE["problem_statement"]
    tests = json.loads(row["verification_info"])
    assert tests["test_cases"][0] == {"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"}  # Arrow's null dropped
    legacy = {k: v for k, v in OPEN_R1_CODE.items() if k != "problem_statement"} | {"problem": "Sum two ints."}
    prime = {k: v for k, v in OPEN_R1_CODE.items() if k != "problem_statement"} | {
        "prompt": "Sum two ints.", "verification_info": json.dumps(OPEN_R1_CODE["verification_info"])}
    assert convert_rows([legacy, prime], "verifiable_code")[1].kept == 2


@pytest.mark.parametrize("name", sorted(GOLD_CODE))
def test_code_layouts_feed_code_tests(name):
    row, gold = GOLD_CODE[name]
    layout = name.split("_call")[0].split("_stdin")[0]
    [converted], _ = convert_rows([row], layout)
    if row.get("starter_code"):
        assert row["starter_code"].strip() in converted["prompt"][-1]["content"]
    reward = get_reward("code_tests", backend="local")
    info = converted["verification_info"]
    assert isinstance(info, str)  # JSON: Arrow-safe across rows of different test types
    assert reward.score(answer(gold), verification_info=info).value == 1.0
    assert reward.score(answer("print(0)"), verification_info=info).value == 0.0


def test_lcb_private_tests_are_included():
    [row], _ = convert_rows([LCB_LEETCODE], "livecodebench")
    tests = json.loads(row["verification_info"])
    assert [t["input"] for t in tests] == ["1\n2", "10\n-3"] and all(t["fn_name"] == "addTwo" for t in tests)
    only_public = answer("class Solution:\n    def addTwo(self, a, b):\n        return 3")
    assert get_reward("code_tests", backend="local").score(only_public, verification_info=tests).value == 0.5


class _Evil:
    """Unpickling this creates a file: what a crafted dataset field would do with plain pickle."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_lcb_private_tests_never_unpickle_code(tmp_path, monkeypatch):
    marker = tmp_path / "pickle_ran"
    assert pickle.loads(pickle.dumps(_Evil(str(tmp_path / "plain_pickle_runs_it")))) is not None
    assert (tmp_path / "plain_pickle_runs_it").exists()  # the attack works against pickle.loads
    evil = base64.b64encode(zlib.compress(pickle.dumps(_Evil(str(marker))))).decode("ascii")
    with pytest.raises(LayoutError, match="neither JSON nor"):
        decode_lcb_private_tests(evil)
    assert not marker.exists()
    assert convert_rows([{**LCB_LEETCODE, "private_test_cases": evil}], "livecodebench")[1].skipped == 1
    monkeypatch.setattr(code_layouts, "MAX_PRIVATE_TESTS_BYTES", 1000)  # a zlib bomb stops at the cap
    bomb = base64.b64encode(zlib.compress(pickle.dumps("x" * 100_000))).decode("ascii")
    with pytest.raises(LayoutError, match="more than 1000 bytes"):
        decode_lcb_private_tests(bomb)
    assert decode_lcb_private_tests("") == [] and decode_lcb_private_tests(None) == []


@pytest.mark.parametrize("row,layout", [
    ({**OPEN_R1_CODE, "verification_info": {"language": "cpp", "test_cases": [{"input": "", "output": "1"}]}},
     "verifiable_code"),
    ({**OPEN_R1_CODE, "verification_info": {"language": "python", "test_cases": []}}, "verifiable_code"),
    ({**OPEN_R1_CODE, "verification_info": "{not json"}, "verifiable_code"),
    ({**OPEN_R1_CODE, "problem_statement": "  "}, "verifiable_code"),
    ({**APPS_STDIO, "input_output": ""}, "apps"),  # APPS rows without tests
    ({**APPS_STDIO, "input_output": json.dumps({"inputs": ["1"], "outputs": []})}, "apps"),
    ({**LCB_ATCODER, "public_test_cases": "[]", "private_test_cases": ""}, "livecodebench"),
])
def test_code_rows_the_reward_could_not_judge_are_skipped(row, layout):
    assert convert_rows([row], layout)[1].skipped == 1


# ------------------------------------------------------------------------------ loading
def test_load_layout_reads_local_files(tmp_path):
    assert read_local_rows(DATA / "gsm8k.jsonl")[0]["question"]
    rows, report = load_layout(DATA / "gsm8k.jsonl", "gsm8k", limit=2)
    assert len(rows) == 2 and report.kept == 2
    gz = tmp_path / "rows.jsonl.gz"
    import gzip

    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write(json.dumps(COUNTDOWN) + "\n")
    assert load_layout(gz, "countdown")[0][0]["target"] == 98
    arr = tmp_path / "rows.json"
    arr.write_text(json.dumps([COUNTDOWN]), encoding="utf-8")
    assert load_layout(arr, "countdown")[0][0]["nums"] == [44, 19, 35]


def test_load_layout_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"target": 1, "nums": [1]}\n\n{"a": \n', encoding="utf-8")
    with pytest.raises(DatasetLoadError, match=r"bad.jsonl:3: not valid JSON"):
        load_layout(bad, "countdown")
    with pytest.raises(DatasetLoadError, match="not found"):
        load_layout(tmp_path / "missing.jsonl", "countdown")
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"target": "x", "nums": [1]}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetLoadError, match="no usable rows.*1 skipped"):
        load_layout(empty, "countdown")


def test_local_parquet_round_trip(tmp_path):
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "code.parquet"
    datasets.Dataset.from_list([OPEN_R1_CODE, OPEN_R1_CODE]).to_parquet(str(path))  # Arrow structs, as on the Hub
    rows, report = load_layout(path, "verifiable_code")
    assert report.kept == 2 and json.loads(rows[0]["verification_info"])["test_cases"][1]["output"] == "6\n"
    datasets.Dataset.from_list(rows)  # the converted rows build a Dataset (one Arrow type per column)


def test_import_stays_light():
    import subprocess
    import sys

    code = "import sys, rlvr.layouts; print(sorted(m for m in ('torch', 'datasets', 'sympy', 'trl') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
