"""The `ifeval` reward: both data layouts, the four modes, the answer region, gold-side errors,
hostile input, the TRL adapter, the `rlvr score` command and the `tulu3_ifeval` preset."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rlvr import RewardStack, Status, get_reward, list_rewards
from rlvr.rewards.base import MissingColumnError, RewardConfigError
from rlvr.rewards.ifeval import answer_region
from rlvr.verifiers.instructions import IFEVAL_INSTRUCTION_IDS
from rlvr.verifiers.language_detect import available_backends

DATA = Path(__file__).parent / "data" / "ifeval_sample.jsonl"
HF_KEYS = ["num_highlights", "relation", "num_words", "num_placeholders", "prompt_to_repeat", "num_paragraphs",
           "first_word", "nth_paragraph", "forbidden_words", "keywords", "keyword", "frequency", "num_sentences",
           "postscript_marker", "num_bullets", "end_phrase", "letter", "let_frequency", "let_relation",
           "capital_frequency", "capital_relation", "section_spliter", "num_sections", "language"]
RLVR_KEYS = ["N", "quantifier", "end_phrase", "keyword_list", "word", "forbidden_words", "letter", "i", "first_word",
             "postscript_marker", "options", "section_splitter", "original_prompt"]


def hf_kwargs(**values):
    """A kwargs dict as the Hugging Face copy of google/IFEval stores it: every key, None where unused."""
    return {**{k: None for k in HF_KEYS}, **values}


def tulu_gt(func, **values):
    """A ground_truth string as allenai/RLVR-IFeval stores it."""
    return json.dumps({"func_name": func, **{k: None for k in RLVR_KEYS}, **values})


IDS = ["punctuation:no_comma", "length_constraints:number_words", "startend:quotation"]
KWARGS = [hf_kwargs(), hf_kwargs(num_words=5, relation="at least"), hf_kwargs()]
ONE_OF_THREE = "Calm seas, bright skies and gentle waves today."   # comma (fails); enough words (holds); not quoted (fails)
ALL_THREE = '"Calm seas and bright skies and gentle waves today."'


def _needs_detector():
    if not available_backends():
        if os.environ.get("CI"):
            pytest.fail('CI must install the lang extra: pip install -e ".[lang]" (py3langid)')
        pytest.skip("no language detector installed (pip install 'rlvr[lang]')")


def test_registered_with_documented_params_and_preset():
    infos = {i.name: i for i in list_rewards()}
    assert infos["ifeval"].kind == "reward"
    for name in ("mode", "value", "ground_truth_column", "instruction_ids_column", "kwargs_column", "unsupported",
                 "detector", "think_tag", "answer_tag", "none_as"):
        assert name in infos["ifeval"].params
    assert infos["tulu3_ifeval"].kind == "preset"
    with pytest.raises(RewardConfigError, match="mode"):
        get_reward("ifeval", mode="lenient")
    with pytest.raises(RewardConfigError, match="detector"):
        get_reward("ifeval", detector="langdetect")


def test_google_ifeval_layout_with_hf_none_padded_kwargs():
    reward = get_reward("ifeval")
    score = reward.score(ALL_THREE, instruction_id_list=IDS, kwargs=KWARGS)
    assert (score.value, score.status) == (1.0, Status.CORRECT)
    assert score.details["layout"] == "instruction_id_list" and score.details["held"] == 3
    assert [c["status"] for c in score.details["constraints"]] == ["held"] * 3


@pytest.mark.parametrize("mode,expected,status", [
    ("strict", 0.0, Status.WRONG),
    ("fraction", 1 / 3, Status.PARTIAL),
    ("loose", 0.0, Status.WRONG),
    ("loose_fraction", 1 / 3, Status.PARTIAL),
])
def test_modes_on_a_response_that_follows_one_of_three(mode, expected, status):
    score = get_reward("ifeval", mode=mode).score(ONE_OF_THREE, instruction_id_list=IDS, kwargs=KWARGS)
    assert score.value == pytest.approx(expected) and score.status is status
    failed = [c for c in score.details["constraints"] if c["status"] == "failed"]
    assert [c["id"] for c in failed] == ["punctuation:no_comma", "startend:quotation"]
    assert failed[0]["reason"] == "1 comma(s)" and "not wrapped" in failed[1]["reason"]


def test_loose_mode_drops_a_preamble_line_and_markdown_asterisks():
    text = 'Sure, here is my answer:\n"**Calm seas and bright skies and gentle waves today.**"'
    strict = get_reward("ifeval").score(text, instruction_id_list=IDS, kwargs=KWARGS)
    loose = get_reward("ifeval", mode="loose").score(text, instruction_id_list=IDS, kwargs=KWARGS)
    assert strict.value == 0.0 and loose.value == 1.0
    assert loose.details["constraints"][0]["variant"] == "first line removed"


def test_rlvr_ifeval_layout_and_the_tulu3_scale():
    gt = tulu_gt("verify_keyword_frequency", word="moon", N=2)
    reward = get_reward("ifeval")
    assert reward.score("The moon, the Moon.", ground_truth=gt).value == 1.0
    assert reward.score("The moon.", ground_truth=gt).value == 0.0
    assert reward.score("The moon.", ground_truth=gt).details["layout"] == "ground_truth"
    tulu = get_reward("tulu3_ifeval")
    assert isinstance(tulu, RewardStack) and tulu.names == ["ifeval"]
    assert tulu(completions=["The moon, the Moon.", "no"], ground_truth=[gt, gt]) == [10.0, 0.0]
    # a dict instead of a JSON string is read the same way
    assert reward.score("The moon, the Moon.", ground_truth=json.loads(gt)).value == 1.0


def test_if_multi_constraints_layout_python_repr_and_json_items():
    gt = "[{'instruction_id': ['detectable_format:title', 'punctuation:no_comma'], 'kwargs': [None, {}]}]"
    reward = get_reward("ifeval", mode="fraction")
    assert reward.score("<<Tides>>\nno commas here", ground_truth=gt).value == 1.0
    assert reward.score("<<Tides>>\ncommas, here", ground_truth=gt).value == 0.5
    as_json_items = [json.dumps({"instruction_id": ["startend:quotation"], "kwargs": [None]})]
    assert reward.score('"quoted"', ground_truth=as_json_items).value == 1.0


def test_ground_truth_column_wins_and_columns_are_configurable():
    reward = get_reward("ifeval", ground_truth_column="constraints", instruction_ids_column="ids", kwargs_column="args")
    gt = tulu_gt("validate_lowercase")
    assert reward.score("all lower", constraints=gt, ids=["startend:quotation"], args=[None]).value == 1.0
    assert reward.score("all lower", constraints=None, ids=["startend:quotation"], args=[None]).value == 0.0


def test_answer_region_think_blocks():
    reward = get_reward("ifeval")
    cols = dict(instruction_id_list=["punctuation:no_comma"], kwargs=[None])
    assert reward.score("<think>a, b, c</think>no commas", **cols).value == 1.0  # commas in the reasoning do not count
    assert reward.score("a, b</think>no commas", **cols).value == 1.0  # template prefilled <think>
    unclosed = reward.score("<think>no commas here, thinking forever", **cols)
    assert (unclosed.value, unclosed.status) == (0.0, Status.NO_ANSWER)
    reopened = reward.score("<think>x</think>answer<think>more", **cols)
    assert reopened.status is Status.NO_ANSWER
    blank = reward.score("<think>x</think>   ", **cols)
    assert (blank.value, blank.status) == (0.0, Status.NO_ANSWER)
    assert answer_region("<think>t</think>a <answer>inside</answer> b", answer_tag="answer") == ("inside", "last <answer> block")
    tagged = get_reward("ifeval", answer_tag="answer")
    assert tagged.score('<think>t</think><answer>"quoted"</answer>', instruction_id_list=["startend:quotation"]).value == 1.0


def test_chat_messages_and_reasoning_content():
    reward = get_reward("ifeval")
    msg = [{"role": "assistant", "content": "no commas", "reasoning_content": "a, b, c"}]
    assert reward(completions=[msg], instruction_id_list=[["punctuation:no_comma"]], kwargs=[[None]]) == [1.0]


def test_unknown_constraints_are_none_unless_skipped():
    gt = "[{'instruction_id': ['punctuation:no_comma', 'words:start_verb'], 'kwargs': [None, None]}]"
    default = get_reward("ifeval").score("Run home", ground_truth=gt)
    assert default.value is None and default.status is Status.UNSUPPORTED
    assert default.details["unsupported"] == ["words:start_verb"]
    skip = get_reward("ifeval", unsupported="skip").score("Run home", ground_truth=gt)
    assert skip.value == 1.0 and skip.details["total"] == 1 and skip.details["skipped"] == ["words:start_verb"]
    only_unknown = get_reward("ifeval", unsupported="skip").score("x", instruction_id_list=["no:such"], kwargs=[None])
    assert only_unknown.value is None and only_unknown.status is Status.UNSUPPORTED


def test_response_language_without_detector_is_unsupported_not_a_pass():
    reward = get_reward("ifeval", detector="none")
    s = reward.score("Das Meer ist heute ruhig.", instruction_id_list=["language:response_language"],
                     kwargs=[{"language": "de"}])
    assert s.value is None and s.status is Status.UNSUPPORTED and "detector" in s.reason
    assert reward.score("바다는 조용합니다.", instruction_id_list=["language:response_language"],
                        kwargs=[{"language": "ko"}]).value == 1.0


def test_response_language_with_the_lang_extra():
    _needs_detector()
    reward = get_reward("ifeval")
    cols = dict(instruction_id_list=["language:response_language"], kwargs=[{"language": "de"}])
    assert reward.score("Das Meer ist heute sehr ruhig und die Boote sind draussen.", **cols).value == 1.0
    assert reward.score("The sea is very calm today and the boats are out.", **cols).value == 0.0


@pytest.mark.parametrize("columns", [
    dict(ground_truth="{not json"),
    dict(ground_truth="{\"no_func\": 1}"),
    dict(ground_truth="[]"),
    dict(ground_truth=42),
    dict(ground_truth=tulu_gt("verify_keyword_frequency", word="x", N="many")),
    dict(ground_truth=tulu_gt("verify_keyword_frequency", word="x")),  # N missing
    dict(instruction_id_list=["punctuation:no_comma", "startend:quotation"], kwargs=[None]),  # misaligned
    dict(instruction_id_list=[], kwargs=[]),
    dict(instruction_id_list=[42], kwargs=[None]),
    dict(instruction_id_list=["keywords:existence"], kwargs=[{"keywords": 7.5}]),
    dict(instruction_id_list=["keywords:frequency"], kwargs=[{"keyword": "a", "frequency": float("inf"), "relation": "at least"}]),
    dict(instruction_id_list=["length_constraints:number_words"], kwargs=["not a dict"]),
    dict(ground_truth=None, instruction_id_list=None),
])
def test_gold_side_problems_are_none_gold_unparseable(columns):
    score = get_reward("ifeval").score("Some response.", **columns)
    assert score.value is None and score.status is Status.GOLD_UNPARSEABLE, score


def test_missing_constraint_columns_is_an_actionable_error():
    with pytest.raises(MissingColumnError, match="instruction_id_list"):
        get_reward("ifeval")(completions=["x"], solution=["1"])


def test_keywords_with_regex_metacharacters_are_literal():
    reward = get_reward("ifeval")
    evil = "(a+)+$" + "[" * 10
    cols = dict(instruction_id_list=["keywords:existence", "keywords:forbidden_words", "keywords:frequency"],
                kwargs=[{"keywords": [evil]}, {"forbidden_words": [".*"]}, {"keyword": "a.c", "frequency": 1, "relation": "at least"}])
    assert reward.score("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!", **cols).value == 0.0
    assert reward.score(f"{evil} and a.c", **cols).value == 1.0  # '.*' is not a wildcard: not found
    assert reward.score(f"{evil} and a.c .*", **cols).value == 0.0  # the literal '.*' is a forbidden word


def _all_ifeval_constraints():
    kwargs = {
        "keywords:existence": {"keywords": ["sea", "x.y"]},
        "keywords:frequency": {"keyword": "sea", "frequency": 3, "relation": "at least"},
        "keywords:forbidden_words": {"forbidden_words": ["ocean", "(a|b)*c"]},
        "keywords:letter_frequency": {"letter": "z", "let_frequency": 5, "let_relation": "less than"},
        "language:response_language": {"language": "en"},
        "length_constraints:number_sentences": {"num_sentences": 5, "relation": "at least"},
        "length_constraints:number_paragraphs": {"num_paragraphs": 3},
        "length_constraints:number_words": {"num_words": 300, "relation": "at least"},
        "length_constraints:nth_paragraph_first_word": {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "sea"},
        "detectable_content:number_placeholders": {"num_placeholders": 2},
        "detectable_content:postscript": {"postscript_marker": "P.S."},
        "detectable_format:number_bullet_lists": {"num_bullets": 3},
        "detectable_format:number_highlighted_sections": {"num_highlights": 2},
        "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 3},
        "combination:repeat_prompt": {"prompt_to_repeat": "Write about the sea."},
        "startend:end_checker": {"end_phrase": "Any other questions?"},
        "change_case:capital_word_frequency": {"capital_frequency": 3, "capital_relation": "at least"},
    }
    ids = list(IFEVAL_INSTRUCTION_IDS)
    return ids, [kwargs.get(i) for i in ids]


HOSTILE = [
    "sea. " * 200_000,                                   # 1 MB of sentences
    "." * 1_000_000 + "x",                               # a megabyte of dots
    "[" * 500_000 + "<<" * 250_000,                      # unclosed placeholders and titles
    "*" * 1_000_000,                                     # asterisks (highlight / bullet scanners)
    "[" * 1_000_000,                                     # JSON nested a million deep
    ("Section 1 " + "a" * 100 + "\n") * 9_000,           # many section headers
    "\n" * 1_000_000,                                    # blank lines
    "\ud800" * 1000 + "x" * 999_000,                     # lone surrogates
]


@pytest.mark.parametrize("text", HOSTILE, ids=["sentences", "dots", "brackets", "asterisks", "deep-json", "sections",
                                                "newlines", "surrogates"])
def test_one_megabyte_hostile_responses_score_fast_with_every_ifeval_constraint(text):
    ids, kwargs = _all_ifeval_constraints()
    for mode in ("strict", "loose_fraction"):
        reward = get_reward("ifeval", mode=mode, detector="none", unsupported="skip")
        t = time.perf_counter()
        values = reward(completions=[text], instruction_id_list=[ids], kwargs=[kwargs])
        elapsed = time.perf_counter() - t
        assert len(values) == 1 and (values[0] is None or 0.0 <= values[0] <= 1.0)
        score = reward.score(text, instruction_id_list=ids, kwargs=kwargs)
        assert score.status is not Status.ERROR, score.reason
        # linear time: a megabyte through all 25 checks (8 loose variants) in well under the budget of a
        # shared 2-core CI box; the quadratic regexes these inputs target would take minutes
        assert elapsed < (20.0 if mode.startswith("loose") else 5.0), f"{mode}: {elapsed:.2f}s"


def test_hostile_gold_never_becomes_an_internal_error():
    reward = get_reward("ifeval")
    golds = ["[" * 100_000, "{" * 50_000, "'" * 10, "[{'instruction_id': 'x:y', 'kwargs': None}]",
             "[{'instruction_id': ['keywords:existence'], 'kwargs': [{'keywords': [None, 3]}]}]",
             "[[[]]]", "null", "true", json.dumps({"func_name": None}), json.dumps({"func_name": "validate_choice", "options": "(unclosed"}),
             json.dumps({"func_name": "verify_letter_frequency", "letter": "", "N": 1}), "x" * 2_000_000]
    scores = reward.score_batch(["a response"] * len(golds), ground_truth=golds)
    assert len(scores) == len(golds)
    for gold, score in zip(golds, scores):
        assert score.status is not Status.ERROR, (gold[:60], score.reason)
        assert score.value is None or score.value == 0.0


def test_n_values_contract_and_pickling():
    reward = get_reward("ifeval", mode="fraction")
    completions = [ALL_THREE, ONE_OF_THREE, None, 42, {"role": "assistant"}, [{"role": "assistant", "content": ALL_THREE}]]
    n = len(completions)
    values = reward(prompts=["p"] * n, completions=completions, completion_ids=[[1]] * n,
                    instruction_id_list=[IDS] * n, kwargs=[KWARGS] * n, trainer_state=None)
    assert len(values) == n
    assert values[0] == 1.0 and values[1] == pytest.approx(1 / 3) and values[5] == 1.0
    assert values[4] is None  # unreadable completion: invalid_input
    assert all(v is None or type(v) is float for v in values)
    clone = pickle.loads(pickle.dumps(reward))
    assert clone(completions=[ALL_THREE], instruction_id_list=[IDS], kwargs=[KWARGS]) == [1.0]


def test_trl_adapter_with_the_preset_and_a_stack():
    from rlvr.adapters.trl import trl_reward_funcs

    funcs, weights = trl_reward_funcs(get_reward("tulu3_ifeval"))
    assert [f.__name__ for f in funcs] == ["ifeval"] and weights == [1.0]
    gt = tulu_gt("validate_lowercase")
    logged = []
    values = funcs[0](prompts=[[{"role": "user", "content": "lowercase please"}]] * 2,
                      completions=[[{"role": "assistant", "content": "all lowercase"}],
                                   [{"role": "assistant", "content": "Not Lowercase"}]],
                      completion_ids=[[1, 2], [3]], ground_truth=[gt, gt], trainer_state=None,
                      log_extra=lambda col, vals: logged.append((col, vals)), log_metric=lambda k, v: None)
    assert values == [10.0, 0.0]
    assert logged == [("ifeval_status", ["correct", "wrong"])]
    funcs, weights = trl_reward_funcs(["ifeval=2", "format=0.5"])
    assert [f.__name__ for f in funcs] == ["ifeval", "format"] and weights == [2.0, 0.5]
    [combined], _ = trl_reward_funcs([(get_reward("ifeval"), 2.0), (get_reward("format"), 0.5)], combined=True)
    assert combined(completions=["<think>t</think><answer>ok</answer>"], ground_truth=[gt]) == [2.0 + 0.5]


def test_math_format_ifeval_stack_from_the_docs():
    stack = RewardStack([
        (get_reward("math_accuracy", solution_column="solution"), 1.0),
        (get_reward("format"), 0.2),
        (get_reward("ifeval", answer_tag="answer"), 1.0),
    ], name="math_format_ifeval")
    completions = ["<think>2+2</think><answer>\\boxed{4}</answer>", "<think>plan</think><answer>the sea is calm</answer>",
                   "<think>plan</think><answer>The Sea</answer>"]
    gt = tulu_gt("validate_lowercase")
    scores = stack.score_batch(completions, solution=["4", None, None], ground_truth=[None, gt, gt])
    assert [s.value for s in scores] == pytest.approx([1.2, 1.2, 0.2])
    rewards = scores[1].details["rewards"]
    assert rewards["math_accuracy"]["value"] is None and rewards["ifeval"]["status"] == "correct"


# ----------------------------------------------------------------------------- the rlvr command
def _rlvr() -> list[str]:
    exe = Path(sys.executable).parent / "rlvr"
    found = str(exe) if exe.exists() else shutil.which("rlvr")
    assert found, "the rlvr console script is not installed (pip install -e .)"
    return [found]


def _score(tmp_path, *args):
    folder = tmp_path / str(len(list(tmp_path.iterdir())))
    folder.mkdir()
    out = folder / "out.jsonl"
    summary = folder / "summary.json"
    proc = subprocess.run(_rlvr() + ["score", str(DATA), *args, "-o", str(out), "--summary-json", str(summary)],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    return rows, json.loads(summary.read_text())


def test_rlvr_score_command_on_both_layouts(tmp_path):
    rows, summary = _score(tmp_path, "--reward", "ifeval", "--details")
    got = {k: (r["rewards"]["ifeval"]["value"], r["rewards"]["ifeval"]["status"]) for k, r in rows.items()}
    assert got == {
        "ife-1": (1.0, "correct"), "ife-2": (1.0, "correct"), "ife-3": (0.0, "wrong"), "ife-4": (0.0, "no_answer"),
        "tulu-1": (1.0, "correct"), "tulu-2": (0.0, "wrong"), "multi-1": (1.0, "correct"),
        "unsup-1": (None, "unsupported"), "badgold-1": (None, "gold_unparseable"),
    }
    details = rows["ife-3"]["rewards"]["ifeval"]["details"]
    assert [c["status"] for c in details["constraints"]] == ["held", "held", "failed"]
    assert summary["rows"] == 9


def test_rlvr_score_command_with_loose_mode_and_the_tulu3_preset(tmp_path):
    rows, _ = _score(tmp_path, "--reward", "ifeval", "-p", "ifeval.mode=loose")
    assert rows["ife-3"]["rewards"]["ifeval"]["value"] == 1.0  # the comma was in the "Sure, ..." preamble line
    rows, _ = _score(tmp_path, "--reward", "tulu3_ifeval")
    assert rows["tulu-1"]["rewards"]["ifeval"]["value"] == 10.0 and rows["tulu-2"]["total"] == 0.0


def test_the_documented_stack_file_loads_and_scores(tmp_path):
    from rlvr.rewards.stack import load_stack

    doc = (Path(__file__).resolve().parents[1] / "docs" / "ifeval.md").read_text(encoding="utf-8")
    toml = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "stack.toml"
    path.write_text(toml, encoding="utf-8")
    stack = load_stack(path)
    assert stack.__name__ == "math_format_ifeval" and stack.names == ["math_accuracy", "format", "ifeval"]
    assert stack.reward_weights == [1.0, 0.2, 1.0]
    gt = tulu_gt("validate_lowercase")
    assert stack(completions=["<think>plan</think><answer>the sea is calm</answer>"], solution=[None],
                 ground_truth=[gt]) == pytest.approx([1.2])
