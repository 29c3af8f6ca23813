"""The `language_consistency` reward: target resolution, CoT scope, trainer contract, hostile input."""

from __future__ import annotations

import math
import os
import pickle

import pytest

from rlvr import Status, get_reward, list_rewards
from rlvr.rewards.base import MissingColumnError, RewardConfigError
from rlvr.verifiers.language_detect import available_backends

ZH_PROMPT = "求函数 $f(x)=x^2-4x+3$ 的最小值。"
EN_PROMPT = "Find the minimum value of $f(x)=x^2-4x+3$."
ZH_COT = "<think>函数的对称轴是二，所以最小值在二处取得。代入得到负一。</think>答案是 $-1$。"
EN_COT = "<think>The axis of symmetry is two, so the minimum is attained there. Plugging in gives negative one.</think>The answer is $-1$."
MIXED_COT = "<think>函数的对称轴是二。Plugging in gives negative one.</think>答案是 $-1$。"  # 8 Han characters (4.8 words) + 5 English words


def _needs_detector():
    if not available_backends():
        if os.environ.get("CI"):
            pytest.fail('CI must install the lang extra: pip install -e ".[lang]" (py3langid)')
        pytest.skip("no language detector installed (pip install 'rlvr[lang]')")


def test_registered_with_documented_params():
    info = next(i for i in list_rewards() if i.name == "language_consistency")
    assert info.kind == "reward"
    for name in ("language", "language_column", "think_tag", "missing_think", "detector", "min_confidence", "cjk_char_weight"):
        assert name in info.params
    assert get_reward("language_consistency").__name__ == "language_consistency"


def test_deepseek_r1_semantics_proportion_of_target_words_in_the_cot():
    reward = get_reward("language_consistency", language="zh")
    assert reward.score(ZH_COT).value == 1.0
    assert reward.score(EN_COT).value == 0.0
    score = reward.score(MIXED_COT)
    assert score.status is Status.OK
    assert score.value == pytest.approx(4.8 / 9.8)
    assert score.details["by_language"] == {"Latn": 5.0, "zh": 4.8}
    # only the think block counts: the Chinese answer outside it does not raise an English score
    assert get_reward("language_consistency", language="en").score(EN_COT.replace("The answer is", "答案是")).value == 1.0


def test_empty_cot_scores_zero():
    reward = get_reward("language_consistency", language="en")
    for completion in ["<think></think>The answer is 5.", "<think>  \n </think>", "<think>$x=5$ ```print(5)```</think>5", ""]:
        score = reward.score(completion)
        assert score.value == 0.0 and score.status is Status.OK, completion


def test_missing_think_block_policy():
    text = "The axis of symmetry is two, so the minimum is negative one."
    whole = get_reward("language_consistency", language="en").score(text)
    assert whole.value == 1.0 and "no think block" in whole.details["cot"]
    zero = get_reward("language_consistency", language="en", missing_think="zero").score(text)
    assert zero.value == 0.0 and zero.status is Status.BAD_FORMAT
    assert get_reward("language_consistency", language="zh", scope="completion").score(ZH_COT).value == 1.0


def test_prefilled_and_unterminated_think_blocks():
    reward = get_reward("language_consistency", language="zh")
    assert reward.score("函数的对称轴是二。</think>The answer is negative one.").value == 1.0
    assert reward.score("<think>函数的对称轴是二，所以最小值").value == 1.0
    assert get_reward("language_consistency", language="zh", think_tag="reasoning").score(
        "<reasoning>函数的对称轴是二。</reasoning>The answer is one."
    ).value == 1.0


def test_auto_detects_the_target_from_the_prompt():
    reward = get_reward("language_consistency")  # language="auto" is the default
    zh = reward.score(MIXED_COT, prompt=ZH_PROMPT)
    en = reward.score(MIXED_COT, prompt=EN_PROMPT)
    assert zh.details["target"] == "zh" and zh.details["target_source"] == "prompt"
    assert en.details["target_source"] == "prompt"
    assert zh.value + en.value == pytest.approx(1.0)
    ja = reward.score("<think>まず、対称軸を求めます。</think>", prompt=[{"role": "user", "content": "最小値を求めてください。"}])
    assert ja.details["target"] == "ja" and ja.value == 1.0


def test_auto_detects_a_latin_prompt_language_with_the_detector():
    _needs_detector()
    reward = get_reward("language_consistency")
    cot = "<think>Primero, restamos dos de ambos lados de la ecuación. Then we divide both sides by three to finish.</think>"
    score = reward.score(cot, prompt="Resuelve la ecuación lineal y explica cada paso.")
    assert score.details["target"] == "es" and score.details["detector"] == "py3langid"
    assert score.value == pytest.approx(9 / 18)


def test_auto_without_prompt_words():
    reward = get_reward("language_consistency")
    score = reward.score(EN_COT)
    assert score.value is None and score.status is Status.INVALID_INPUT
    assert "fallback_language" in score.reason
    assert reward.score(EN_COT, prompt="$x^2$").value is None
    fallback = get_reward("language_consistency", fallback_language="en").score(EN_COT)
    assert fallback.value == 1.0 and fallback.details["target_source"] == "fallback"


def test_column_overrides_the_parameter():
    reward = get_reward("language_consistency", language="en", language_column="lang")
    assert reward.required_columns() == ("lang",)
    assert reward.score(ZH_COT, lang="zh").value == 1.0
    assert reward.score(ZH_COT, lang="zh-CN").details["target_source"] == "column"
    assert reward.score(ZH_COT, lang=None).value == 0.0  # empty value: falls back to language="en"
    assert reward.score(ZH_COT, lang="").details["target_source"] == "parameter"
    auto = reward.score(ZH_COT, prompt=ZH_PROMPT, lang="auto")
    assert auto.value == 1.0 and auto.details["target_source"] == "prompt"
    bad = reward.score(ZH_COT, lang="klingon")
    assert bad.value is None and bad.status is Status.INVALID_INPUT and "klingon" in bad.reason
    assert reward.score(ZH_COT, lang=7).status is Status.INVALID_INPUT
    with pytest.raises(MissingColumnError, match="lang"):
        reward(prompts=[ZH_PROMPT], completions=[ZH_COT])


def test_trainer_contract_per_sample_columns():
    reward = get_reward("language_consistency", language_column="lang")
    values = reward(
        prompts=[ZH_PROMPT, EN_PROMPT, ZH_PROMPT, EN_PROMPT],
        completions=[ZH_COT, EN_COT, [{"role": "assistant", "content": EN_COT}], {"bad": 1}],
        lang=["zh", "en", "zh", "en"],
        trainer_state=None,
    )
    assert values[:3] == [1.0, 1.0, 0.0] and values[3] is None
    assert get_reward("language_consistency", language_column="lang", none_as=0.0)(
        prompts=[EN_PROMPT], completions=[{"bad": 1}], lang=["en"]
    ) == [0.0]


def test_reasoning_content_messages_are_scored():
    reward = get_reward("language_consistency", language="zh")
    message = [{"role": "assistant", "reasoning_content": "函数的对称轴是二。", "content": "The answer is one."}]
    assert reward.score(message).value == 1.0


def test_threshold_mode():
    reward = get_reward("language_consistency", language="zh", threshold=0.95)
    assert reward.score(ZH_COT).value == 1.0
    assert reward.score(MIXED_COT).value == 0.0


def test_latin_switch_needs_the_detector():
    _needs_detector()
    cot = "<think>Okay, so we need to count the committees first. Hay diez personas y necesitamos elegir a tres.</think>"
    with_detector = get_reward("language_consistency", language="es").score(cot)
    assert with_detector.value == pytest.approx(6 / 15)  # 9 English words; "y" and "a" are single letters, not counted
    script_only = get_reward("language_consistency", language="es", detector="none").score(cot)
    assert script_only.value == 1.0 and script_only.details["detector"] is None


@pytest.mark.parametrize(
    "params",
    [{"language": "klingon"}, {"fallback_language": "auto"}, {"detector": "fasttext"}, {"min_confidence": 0.2}, {"cjk_char_weight": 0}, {"langauge": "en"}],
)
def test_bad_params_raise_actionable_errors(params):
    with pytest.raises(RewardConfigError):
        get_reward("language_consistency", **params)


def test_picklable_and_returns_n_finite_values_on_hostile_batch():
    reward = pickle.loads(pickle.dumps(get_reward("language_consistency", language="zh")))
    hostile = [
        "<think>" + "\\(" * 300_000 + "</think>",
        "<think>" + "所以\ud800答案" * 50_000,
        "</think>" * 1000,
        "<think><think><think>Let me</think>",
        "\x00" * 1000,
        None,
        42,
        "<think>" + "$" * 100_000 + "Let me check." * 10_000 + "</think>",
    ]
    values = reward(prompts=[ZH_PROMPT] * len(hostile), completions=hostile)
    assert len(values) == len(hostile)
    assert all(v is None or (isinstance(v, float) and math.isfinite(v) and 0.0 <= v <= 1.0) for v in values)
