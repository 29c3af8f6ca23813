"""``language:response_language`` and the "is this English?" half of the ``change_case`` checks.

Detection reuses rlvr's language module (:func:`rlvr.verifiers.language.detect_text_language`):
words are counted per script after removing code, math and URLs; a script used by one language
only (Korean, Thai, Kannada, ...) decides alone; a script shared by several languages (Latin,
Cyrillic, Arabic, Devanagari) needs the optional detector (``pip install "rlvr[lang]"``, py3langid).

* ``response_language`` (``language``: ISO 639-1 code such as ``"ko"``, ``"hi"``, ``"de"``): the
  dominant language of the response is that language. No countable word fails. A target in a
  shared script with no detector installed cannot be judged (:class:`CannotCheck`,
  ``detector_unavailable``); an unknown language code is a gold-side error.
"""

from __future__ import annotations

from rlvr.verifiers.instructions.base import BadKwargs, CannotCheck, Check, CheckContext, Kwargs
from rlvr.verifiers.instructions.registry import instruction
from rlvr.verifiers.instructions.text_units import Response

__all__ = ["DETECTOR_UNAVAILABLE", "detect_language", "english_check"]

DETECTOR_UNAVAILABLE = "detector_unavailable"
#: Characters handed to the detector: the language of a megabyte is decided on its two ends.
_MAX_DETECT_CHARS = 10_000


def detect_language(text: str, ctx: CheckContext) -> str | None:
    """The dominant language code (or script code when the detector is unsure / missing)."""
    from rlvr.verifiers.language import detect_text_language

    if len(text) > _MAX_DETECT_CHARS:
        half = _MAX_DETECT_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    return detect_text_language(text, detector=ctx.detector(), max_chars=_MAX_DETECT_CHARS + 1)


def _needs_detector(code: str, ctx: CheckContext) -> None:
    from rlvr.verifiers.language_script import AMBIGUOUS_SCRIPTS, script_of_language

    if script_of_language(code) in AMBIGUOUS_SCRIPTS and ctx.detector() is None:
        raise CannotCheck(
            DETECTOR_UNAVAILABLE,
            f"telling {code!r} apart from other {script_of_language(code)}-script languages needs a language "
            f"detector (pip install \"rlvr[lang]\"; detector={ctx.detector_name!r})",
        )


def english_check(r: Response, ctx: CheckContext) -> Check:
    """English, or Latin-script text the detector does not attribute to another language.

    Case-changed text is lower-cased before detection (detectors are trained on mixed case); the
    result is cached on the response (both case checks of a row share one detection)."""
    _needs_detector("en", ctx)
    found = r._get("detected_lower", lambda: detect_language(r.lower, ctx) or "")
    if not found:
        return Check(False, "no words to identify a language")
    ok = found in ("en", "Latn")
    return Check(ok, "English" if ok else f"language detected as {found!r}, not English")


@instruction("language:response_language", family="language", kwargs=("language",))
def response_language(r: Response, kw: Kwargs, ctx: CheckContext) -> Check:
    """The whole response is in ``language``."""
    from rlvr.verifiers.language_script import normalize_language

    raw = kw.str("language")
    code = normalize_language(raw)
    if code is None or code[0].isupper():  # unknown, or a bare script code
        raise BadKwargs(f"language:response_language: unknown language code {raw!r}")
    _needs_detector(code, ctx)
    found = r._get("detected", lambda: detect_language(r.text, ctx) or "")
    if not found:
        return Check(False, "no words to identify a language")
    return Check(found == code, f"language detected as {found!r}, needs {code!r}")
