"""Count words per language by Unicode script: the dependency-free core of language consistency.

Words (what "proportion of target-language words" counts):

* **Alphabetic scripts** (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Hangul, ...): one
  word per run of letters of one script; apostrophes and hyphens inside a run join it
  (``l'équation``, ``well-known`` are one word each).
* **Han** (Chinese characters) and **kana**: written without spaces, so each character counts
  ``cjk_char_weight`` words (default 0.6). Chinese words average about 1.67 characters (a
  measured 169 Han characters = 101 jieba words), so 0.6 per character approximates a word
  segmenter without its 43 MB dictionary; ``cjk_char_weight=1.0`` counts characters.
* **Thai, Lao, Khmer, Myanmar** (no spaces, no cheap segmentation): one word per run. A known
  approximation; these languages are rarely mixed into reasoning traces.
* **Not words**: digits, punctuation, and math-like Latin/Greek tokens that survive stripping:
  single letters (``x``, ``a``, ``α``), all-capital tokens of at most three letters (``AB``,
  ``ABC``, point and segment names), and notation words (``sin``, ``log``, ``gcd``, ``max``,
  ``cm``, ``kg``, ...). Single Cyrillic letters (``и``, ``в``) are real words and count.

Which language a word belongs to:

* Han in a sentence that also contains kana is Japanese; Han in a kana-free sentence is
  Chinese, except a kana-free sentence of at most :data:`SHORT_HAN_SENTENCE` Han characters in a
  text that contains kana elsewhere (Japanese headings such as ``解答``). A Han-only chain of
  thought is therefore Chinese, also when the target is Japanese.
* Kana is Japanese, Hangul Korean, Greek ``el``, Hebrew ``he``, Thai ``th``, etc.
* Latin, Cyrillic, Arabic and Devanagari are shared by many languages. Script counting labels
  such words with the script code (``Latn``, ``Cyrl``, ``Arab``, ``Deva``); telling Spanish
  from English needs the optional per-sentence detector (:mod:`rlvr.verifiers.language_detect`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import regex

__all__ = [
    "AMBIGUOUS_SCRIPTS",
    "LANGUAGE_SCRIPT",
    "SHORT_HAN_SENTENCE",
    "SentenceTally",
    "normalize_language",
    "script_of_language",
    "split_sentences",
    "tally_sentences",
]

#: Scripts shared by several languages: script counting alone cannot tell them apart.
AMBIGUOUS_SCRIPTS = frozenset({"Latn", "Cyrl", "Arab", "Deva"})

#: A kana-free sentence of at most this many Han characters, in a text that has kana, is Japanese.
SHORT_HAN_SENTENCE = 4

_LATN = ["en", "es", "fr", "de", "pt", "it", "nl", "ca", "pl", "cs", "sk", "sl", "hr", "bs", "sv", "da", "no", "nb", "nn", "fi", "et", "lv", "lt", "hu", "ro", "tr", "az", "uz", "vi", "id", "ms", "tl", "sq", "is", "ga", "cy", "eu", "gl", "af", "sw", "mt", "lb", "eo", "la", "ha", "yo", "ig", "zu", "xh", "so"]
_CYRL = ["ru", "uk", "bg", "be", "mk", "kk", "ky", "mn", "tg", "tt", "ba", "sr"]
_ARAB = ["ar", "fa", "ur", "ps", "ug", "sd"]
_DEVA = ["hi", "mr", "ne", "sa"]
_SINGLE = {
    "zh": "Hani", "ja": "Jpan", "ko": "Hang", "el": "Grek", "he": "Hebr", "yi": "Hebr", "th": "Thai",
    "ka": "Geor", "hy": "Armn", "bn": "Beng", "as": "Beng", "ta": "Taml", "te": "Telu", "kn": "Knda",
    "ml": "Mlym", "gu": "Gujr", "pa": "Guru", "si": "Sinh", "km": "Khmr", "lo": "Laoo", "my": "Mymr",
    "am": "Ethi", "or": "Orya", "bo": "Tibt",
}

#: ISO 639-1 code -> the script its words are written in (ISO 15924).
LANGUAGE_SCRIPT: dict[str, str] = {
    **{c: "Latn" for c in _LATN},
    **{c: "Cyrl" for c in _CYRL},
    **{c: "Arab" for c in _ARAB},
    **{c: "Deva" for c in _DEVA},
    **_SINGLE,
}

# The language a single-language script's words belong to (Han is decided per sentence).
_SCRIPT_LANGUAGE = {s: c for c, s in _SINGLE.items() if c not in ("yi", "as")}
_SCRIPT_LANGUAGE.update({"Kana": "ja", "Hang": "ko"})

_NAMES = {
    "english": "en", "chinese": "zh", "mandarin": "zh", "japanese": "ja", "korean": "ko", "russian": "ru",
    "spanish": "es", "french": "fr", "german": "de", "portuguese": "pt", "italian": "it", "dutch": "nl",
    "arabic": "ar", "hindi": "hi", "turkish": "tr", "vietnamese": "vi", "indonesian": "id", "polish": "pl",
    "ukrainian": "uk", "greek": "el", "hebrew": "he", "thai": "th", "persian": "fa", "swedish": "sv",
    "eng": "en", "zho": "zh", "chi": "zh", "cmn": "zh", "jpn": "ja", "kor": "ko", "rus": "ru", "spa": "es",
    "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "por": "pt", "ita": "it", "nld": "nl", "ara": "ar",
}
_SCRIPT_CODES = {s.lower(): s for s in AMBIGUOUS_SCRIPTS}


def normalize_language(value: object) -> str | None:
    """An ISO 639-1 code (``"zh"``), or a script code for "any language of this script"
    (``"Latn"``, ``"Cyrl"``, ``"Arab"``, ``"Deva"``), from what users write.

    Accepts BCP-47 tags (``"zh-CN"``, ``"zh_Hant"``, ``"pt-BR"`` -> primary subtag), any case,
    a few English names and ISO 639-2/3 codes (``"Chinese"``, ``"eng"``). Returns ``None``
    for anything else (including ``None`` and ``""``).
    """
    if not isinstance(value, str):
        return None
    raw = value.strip()
    if not raw:
        return None
    low = raw.lower()
    if low in _SCRIPT_CODES:
        return _SCRIPT_CODES[low]
    primary = regex.split(r"[-_\s]", low, maxsplit=1)[0]
    primary = _NAMES.get(primary, primary)
    return primary if primary in LANGUAGE_SCRIPT else None


def script_of_language(code: str) -> str:
    """The script of a normalised target (a script code maps to itself)."""
    return code if code in AMBIGUOUS_SCRIPTS else LANGUAGE_SCRIPT[code]


# Runs of one script. Han and kana are counted per character; everything else per run.
_HAN = regex.compile(r"\p{Han}+")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}\u30FC\uFF70]+")
_LATN = regex.compile(r"\p{Latin}[\p{Latin}\p{M}]*(?:['\u2019-]\p{Latin}[\p{Latin}\p{M}]*)*")
# Letters of any other script (Cyrillic, Greek, Hangul, Arabic, ...); classified by first letter.
_OTHER_LETTER = r"[\p{L}--[\p{Latin}\p{Han}\p{Hiragana}\p{Katakana}\u30FC\uFF70]]"
_OTHER = regex.compile(
    _OTHER_LETTER + r"[\p{M}" + _OTHER_LETTER[1:-1] + r"]*(?:['\u2019-]" + _OTHER_LETTER + r"[\p{M}" + _OTHER_LETTER[1:-1] + r"]*)*",
    regex.V1,
)
_SENTENCE_END = regex.compile(r"[.!?;](?=\s)|[\u3002\uFF01\uFF1F\uFF1B\uFF0E]|\n")

_NOTATION = frozenset(
    ["sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log", "ln", "lg", "exp", "lim", "sup", "inf", "max", "min", "argmax", "argmin", "gcd", "lcm", "mod", "det", "deg", "dim", "ker", "rank", "tr", "var", "cov", "sqrt", "cbrt", "mmod", "mm", "cm", "dm", "km", "mg", "kg", "ml", "mol", "hz", "khz", "mhz", "ghz", "kb", "mb", "gb", "tb", "ms", "ns", "kw", "kwh", "mph", "kph"]
)

# Unicode character-name prefix -> script, for letters outside Latin / Han / kana.
_NAME_PREFIX_SCRIPT = {
    "CYRILLIC": "Cyrl", "GREEK": "Grek", "HANGUL": "Hang", "ARABIC": "Arab", "HEBREW": "Hebr", "DEVANAGARI": "Deva",
    "THAI": "Thai", "GEORGIAN": "Geor", "ARMENIAN": "Armn", "BENGALI": "Beng", "TAMIL": "Taml", "TELUGU": "Telu",
    "KANNADA": "Knda", "MALAYALAM": "Mlym", "GUJARATI": "Gujr", "GURMUKHI": "Guru", "SINHALA": "Sinh",
    "KHMER": "Khmr", "LAO": "Laoo", "MYANMAR": "Mymr", "ETHIOPIC": "Ethi", "ORIYA": "Orya", "TIBETAN": "Tibt",
}


@lru_cache(maxsize=8192)
def _script_of_letter(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return _NAME_PREFIX_SCRIPT.get(name.split(" ", 1)[0], "Zyyy")


@dataclass(slots=True)
class SentenceTally:
    """Word weights of one sentence, by label (a language code or an ambiguous script code).

    ``script_words`` keeps the words of each ambiguous script (for the optional detector).
    """

    weights: dict[str, float] = field(default_factory=dict)
    script_words: dict[str, list[str]] = field(default_factory=dict)


def split_sentences(text: str) -> list[str]:
    """Sentences and lines: split after ``. ! ? ;`` followed by a space, after CJK full stops,
    and at line breaks. Empty pieces are dropped."""
    return [s for s in _SENTENCE_END.split(text) if s and not s.isspace()]


def _latin_words(sentence: str) -> list[str]:
    notation = _NOTATION
    return [
        w
        for w in _LATN.findall(sentence)
        if len(w) > 1 and not (len(w) <= 3 and w.isupper()) and w.lower() not in notation
    ]


def tally_sentences(text: str, *, cjk_char_weight: float = 0.6) -> list[SentenceTally]:
    """Per-sentence word weights of already-stripped prose (see the module docstring)."""
    raw: list[tuple[SentenceTally, int]] = []  # (tally, Han characters); kana already in the tally
    text_has_kana = False
    for sentence in split_sentences(text):
        tally = SentenceTally()
        weights = tally.weights
        han = 0
        latin = _latin_words(sentence)
        if latin:
            weights["Latn"] = float(len(latin))
            tally.script_words["Latn"] = latin
        if not sentence.isascii():
            han = sum(map(len, _HAN.findall(sentence)))
            kana = sum(map(len, _KANA.findall(sentence)))
            if kana:
                text_has_kana = True
                weights["ja"] = kana * cjk_char_weight
            for word in _OTHER.findall(sentence):
                script = _script_of_letter(word[0])
                if script in AMBIGUOUS_SCRIPTS:
                    weights[script] = weights.get(script, 0.0) + 1.0
                    tally.script_words.setdefault(script, []).append(word)
                    continue
                if script == "Grek" and (len(word) == 1 or word.lower() in _NOTATION):
                    continue  # alpha, beta, pi: math
                label = _SCRIPT_LANGUAGE.get(script, "und")
                weights[label] = weights.get(label, 0.0) + 1.0
        if weights or han:
            raw.append((tally, han))
    out: list[SentenceTally] = []
    for tally, han in raw:
        if han:
            japanese = "ja" in tally.weights or (text_has_kana and han <= SHORT_HAN_SENTENCE)
            label = "ja" if japanese else "zh"
            tally.weights[label] = tally.weights.get(label, 0.0) + han * cjk_char_weight
        out.append(tally)
    return out
