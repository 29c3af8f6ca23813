"""Group pass@k / pass@1 in `rlvr score`'s summary come from the stack's correctness rewards
(each at its own correct value), never from ``total >= 1``: the installed command on GRPO
groups scored with the presets, stack files with gates, and the --pass-reward/--pass-threshold
overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli import read_jsonl, run_cli, write_jsonl

from rlvr.scoring.plan import build_plan
from rlvr.scoring.stats import RunStats


def _xml(answer: object) -> str:
    return f"<reasoning>\nThree boxes of 24 make 72.\n</reasoning>\n<answer>\n{answer}\n</answer>\n"


#: GSM8K groups of 3: one correct, one well-formatted wrong integer (total 1.5 >= 1), one unformatted
GSM8K_GROUPS = [
    {"id": "q1", "prompt": "How many?", "answer": "3 boxes of 24 is 72.\n#### 72",
     "completions": [_xml(72), _xml(71), "I think it is 70"]},
    {"id": "q2", "prompt": "How many?", "answer": "#### 1,000",
     "completions": [_xml(999), _xml(1000), "maybe 7"]},
    {"id": "q3", "prompt": "How many?", "answer": "#### 5",
     "completions": ["<reasoning>\nhmm\n</reasoning>\n<answer>\n4\n</answer>\n", _xml(5), _xml(6)]},
]


def _score(tmp_path: Path, rows: list[dict], *args: str) -> tuple[dict, list[dict], str]:
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    proc = run_cli(["score", str(src), *args, "-o", str(out), "--overwrite", "--summary-json", str(summary)])
    assert proc.returncode == 0, proc.stderr
    return json.loads(summary.read_text()), read_jsonl(out), proc.stderr


def test_gsm8k_xml_pass_at_1_is_the_share_of_correct_answers(tmp_path):
    summary, rows, stderr = _score(tmp_path, GSM8K_GROUPS, "-r", "gsm8k_xml", "--workers", "2")
    correct = [r["rewards"]["correctness"]["status"] == "correct" for r in rows]
    assert sum(correct) == 3 and len(rows) == 9  # exactly 1 of 3 per group
    formatted_wrong = [r for r, ok in zip(rows, correct) if not ok and r["total"] >= 1]
    assert formatted_wrong, "the data must have wrong answers whose total reaches 1 (the old rule counted them)"
    g = summary["groups"]
    assert g["pass_metric"] == "correctness" and g["pass_threshold"] == 2.0
    assert g["pass_at_1"] == pytest.approx(1 / 3) and g["pass_at_k"] == 1.0
    assert "pass@1 0.333" in stderr and "(pass: correctness >= 2)" in stderr
    assert summary["plan"]["pass_metric"] == "correctness"


def test_countdown_wrong_answers_with_format_credit_do_not_pass(tmp_path):
    groups = [
        {"target": 9, "nums": [1, 2, 3], "completions": ["<think>a</think><answer>(1+2)*3</answer>",
                                                         "<think>b</think><answer>1+2+3</answer>"]},
        {"target": 7, "nums": [1, 2, 4], "completions": ["<think>c</think><answer>1+2+4+0</answer>",
                                                         "<think>d</think><answer>4*2-1</answer>"]},
        {"target": 5, "nums": [2, 3, 9], "completions": ["<think>e</think><answer>9-3</answer>"] * 2},
    ]
    summary, rows, _ = _score(tmp_path, groups, "-r", "countdown_tinyzero")
    assert sorted({r["rewards"]["countdown"]["value"] for r in rows}) == [0.1, 1.0]
    g = summary["groups"]
    assert g["pass_metric"] == "countdown" and g["pass_threshold"] == 1.0
    assert g["pass_at_k"] == pytest.approx(2 / 3) and g["pass_at_1"] == pytest.approx((1 / 2 + 1 / 2 + 0) / 3)


def test_several_correctness_rewards_must_all_pass(tmp_path):
    """unsloth_math has two answer checks: 42.0 for 42 is 'equal numbers' (3.5) but only a
    10% ratio credit (2.0) for the exact-text check, so it does not pass."""
    tail = "<end_working_out><SOLUTION>{}</SOLUTION>"
    groups = [{"answer": "42", "completions": ["work" + tail.format(42), "work" + tail.format("42.0"),
                                                  "work" + tail.format(41)]}]
    summary, rows, stderr = _score(tmp_path, groups, "-r", "unsloth_math")
    assert [r["rewards"]["check_numbers"]["value"] for r in rows] == [3.5, 3.5, -1.5]
    g = summary["groups"]
    assert g["pass_metric"] == ["check_answer", "check_numbers"] and g["pass_threshold"] == [3.5, 3.5]
    assert g["pass_at_1"] == pytest.approx(1 / 3)
    assert "(pass: check_answer >= 3.5 and check_numbers >= 3.5)" in stderr


def test_overrides_still_work(tmp_path):
    summary, rows, _ = _score(tmp_path, GSM8K_GROUPS, "-r", "gsm8k_xml", "--pass-reward", "total")
    g = summary["groups"]
    share = sum(r["total"] >= 1 for r in rows) / len(rows)  # every group has 3 members
    assert g["pass_metric"] == "total" and g["pass_threshold"] == 1.0 and g["pass_at_1"] == pytest.approx(share)
    assert share > 1 / 3
    summary, rows, _ = _score(tmp_path, GSM8K_GROUPS, "-r", "gsm8k_xml", "--pass-reward", "integer_answer")
    share = sum(r["rewards"]["integer_answer"]["value"] >= 1 for r in rows) / len(rows)
    assert summary["groups"]["pass_threshold"] == 1.0 and summary["groups"]["pass_at_1"] == pytest.approx(share)
    summary, _, _ = _score(tmp_path, GSM8K_GROUPS, "-r", "gsm8k_xml", "--pass-threshold", "0")
    g = summary["groups"]
    assert g["pass_metric"] == "correctness" and g["pass_threshold"] == 0.0 and g["pass_at_1"] == 1.0


def test_no_correctness_reward_means_no_pass_at_k(tmp_path):
    summary, _, stderr = _score(tmp_path, GSM8K_GROUPS, "-r", "xml_count", "-r", "integer_answer")
    g = summary["groups"]
    assert g["pass_metric"] is None and g["pass_at_k"] is None and g["pass_at_1"] is None
    assert g["count"] == 3 and g["mean_total"] is not None
    assert "no reward of the stack judges correctness" in stderr


def test_gated_stack_file_exposes_correctness_through_the_gate(tmp_path):
    """'accuracy counts only when the format holds' is a correctness column; 'length counts
    only when correct' is not (its value says nothing about correctness)."""
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps({"rewards": [
        {"name": "numeric_answer", "params": {"think_tag": "reasoning", "answer_tag": "answer"},
         "gate": {"name": "xml_count", "params": {"think_tag": "reasoning", "answer_tag": "answer"},
                  "threshold": 0.5}},
        {"name": "thought_length", "weight": 0.1, "gate": {"name": "math_accuracy", "params": {"solution_column": "answer"}}},
    ]}))
    summary, rows, _ = _score(tmp_path, GSM8K_GROUPS, "--config", str(stack))
    names = list(rows[0]["rewards"])
    g = summary["groups"]
    assert g["pass_metric"] == names[0] and names[0].startswith("numeric_answer_if_")
    assert g["pass_at_1"] == pytest.approx(1 / 3)


@pytest.mark.parametrize("specs, metric, threshold", [
    (["gsm8k_xml"], "correctness", 2.0),
    (["open_r1_math"], "math_accuracy", 1.0),
    (["countdown_r1"], "countdown", 1.0),
    (["datawhale_countdown"], "countdown", 1.0),
    (["tulu3_ifeval"], "ifeval", 10.0),
    (["open_r1_code"], "code_tests", 1.0),
    (["math_accuracy", "format=0.5"], "math_accuracy", 1.0),
    (["format", "tag_count", "cosine_length"], None, 1.0),
])
def test_presets_name_their_correctness_reward(specs, metric, threshold):
    plan = build_plan(specs)
    assert (plan.pass_metric, plan.pass_threshold) == (metric, threshold)


def test_run_stats_merge_keeps_the_rule():
    records = [{"total": 1.0, "rewards": {"a": {"value": 1.0}, "b": {"value": 0.5}}},
               {"total": 3.0, "rewards": {"a": {"value": 1.0}, "b": {"value": 2.0}}},
               {"total": None, "rewards": {"a": {"value": None}, "b": {"value": 2.0}}}]
    whole = RunStats(["a", "b"], ("a", "b"), (1.0, 2.0))
    part = RunStats(["a", "b"], ("a", "b"), (1.0, 2.0))
    part.add_group(records)
    whole.merge(part)
    g = whole.to_dict()["groups"]
    assert g["pass_at_1"] == pytest.approx(1 / 3) and g["pass_metric"] == ["a", "b"]
