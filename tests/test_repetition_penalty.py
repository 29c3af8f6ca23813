"""``repetition_penalty``: TRL's token-id cases, open-r1's word cases, CJK characters."""

from __future__ import annotations

import math
import pickle

import pytest

from rlvr import RewardConfigError, Status, get_reward
from rlvr.rewards.repetition import ngram_repetition, text_units


def ids_values(ids, **params):
    r = get_reward("repetition_penalty", **params)
    return r(completions=[""] * len(ids), completion_ids=ids)


# ---------------------------------------------------------------- TRL (token ids)
@pytest.mark.parametrize("ids, expected", [
    ([1, 2, 3, 4], 0.0), ([5] * 5, -0.75), ([1, 2, 1, 2, 1, 2], -0.6), ([1, 2, 3, 1, 2, 3], -0.4),
])
def test_trl_bigram_cases(ids, expected):
    assert ids_values([ids], ngram_size=2) == [pytest.approx(expected)]


@pytest.mark.parametrize("ids, expected", [([1, 2], 0.0), ([1, 2, 3], 0.0), ([], 0.0), ([1, 2, 3, 1, 2, 3], -0.25)])
def test_trl_trigram_cases(ids, expected):
    assert ids_values([ids], ngram_size=3) == [pytest.approx(expected)]


def test_trl_max_penalty_and_extra_kwargs():
    assert ids_values([[5] * 5], ngram_size=2, max_penalty=-0.5) == [pytest.approx(-0.375)]
    r = get_reward("repetition_penalty")
    assert r.params.ngram_size == 3 and r.params.max_penalty == -1.0
    assert r(completions=["x"], completion_ids=[[1, 2, 3]], trainer_state=None, foo=["bar"]) == [0.0]
    clone = pickle.loads(pickle.dumps(r))
    assert clone(completions=["x"], completion_ids=[[5] * 5]) == r(completions=["x"], completion_ids=[[5] * 5])


@pytest.mark.parametrize("penalty", [1.0, 1.5])
def test_positive_max_penalty_raises(penalty):
    with pytest.raises(RewardConfigError, match=f"max_penalty {penalty} should not be positive"):
        get_reward("repetition_penalty", ngram_size=2, max_penalty=penalty)


# ---------------------------------------------------------------- open-r1 (whitespace words, no ids)
@pytest.mark.parametrize("n, penalty, text, expected", [
    (2, -1.0, "this is a test sentence", 0.0),
    (2, -1.0, "this this this this this", -0.75),
    (2, -1.0, "this is a this is a test", -1 / 3),
    (2, -1.0, "", 0.0),
    (3, -2.0, "this is a this is a test", -0.4),
    (3, -1.0, "word", 0.0),
    (3, -1.0, "two words", 0.0),
    (3, -1.0, "three different words", 0.0),
    (3, -1.0, "word word word word", -0.5),
    (3, -1.0, "one two one two", 0.0),
    (3, -0.5, "A B C A B", 0.0),
    (3, -1.0, "A B C A B C", -0.25),
    (3, -1.0, "A B C A B C E F G A B C A B C", -0.3846),
    (3, -1.0, "A B C D E F G H I J K L", 0.0),
    (2, -1.0, "that that that that that", -0.75),
])
def test_open_r1_word_cases(n, penalty, text, expected):
    r = get_reward("repetition_penalty", ngram_size=n, max_penalty=penalty)
    assert r(completions=[text]) == [pytest.approx(expected, abs=1e-4)]


def test_open_r1_multiple_completions_and_case():
    r = get_reward("repetition_penalty", ngram_size=3, max_penalty=-0.5)
    assert r(completions=["this is a test", "test test test test"]) == [0.0, pytest.approx(-0.25)]
    r2 = get_reward("repetition_penalty", ngram_size=2)
    assert r2(completions=["This is A Test"]) == r2(completions=["this IS a test"])


# ---------------------------------------------------------------- CJK
def test_chinese_uses_characters():
    r = get_reward("repetition_penalty", ngram_size=2)
    s = r.score("这个这个这个这个这个")
    # 9 character bigrams, 2 distinct ("这个", "个这"); open-r1 + jieba gets -0.75 from 4 word bigrams
    assert s.value == pytest.approx(-(1 - 2 / 9)) and s.details["unit"] == "chars"
    sentence = "让我们再仔细检查一下这个计算。"
    natural = "我们先把两个数相加，得到二十八。然后乘以四，结果是一百一十二。最后减去十七，答案是九十五。"
    r3 = get_reward("repetition_penalty")
    assert r3.score(natural).value == 0.0
    assert r3.score(sentence * 40).value < -0.9
    # whitespace splitting would see one "word" and never penalise it
    assert len(sentence.split()) == 1


def test_mixed_text_units():
    units, kind = text_units("先算 25 - 3 = 22，然后 Then multiply")
    assert kind == "chars+words"
    assert units[:4] == ["先", "算", "25", "-"] and "then" in units
    assert text_units("日本語のテキスト")[1] == "chars"
    assert text_units("Plain English")[0] == ["plain", "english"]


def test_english_repeated_sentence():
    r = get_reward("repetition_penalty")
    s = r.score("Let me think about this carefully. " * 40)
    assert s.value == pytest.approx(-0.975, abs=0.01) and s.details["unit"] == "words"


# ---------------------------------------------------------------- units / contract
def test_ids_win_over_text_and_units_can_be_forced():
    r = get_reward("repetition_penalty", ngram_size=2)
    s = r.score("all different words here", completion_ids=[5] * 5)
    assert s.value == pytest.approx(-0.75) and s.details["unit"] == "tokens"
    text_only = get_reward("repetition_penalty", ngram_size=2, unit="text")
    assert text_only.score("all different words here", completion_ids=[5] * 5).value == 0.0
    tokens_only = get_reward("repetition_penalty", unit="tokens")
    s = tokens_only.score("x x x x")
    assert s.value is None and s.status == Status.INVALID_INPUT
    assert ngram_repetition([1, 1, 1], 1) == pytest.approx(2 / 3)
    assert ngram_repetition((1, 2, 1, 2), 2) == pytest.approx(1 / 3)


def test_hostile_batch():
    r = get_reward("repetition_penalty")
    completions = [None, 7, {"role": "assistant"}, "a " * 1_000_000, "\ud800 x", "中" * 500_000,
                   [{"role": "assistant", "content": "x y z x y z"}]]
    n = len(completions)
    for ids in (None, [[1, 2, 3] * 10] * n, [None] * n):
        values = r(completions=completions, completion_ids=ids)
        assert len(values) == n
        assert all(v is None or (type(v) is float and math.isfinite(v) and -1.0 <= v <= 0.0) for v in values)
