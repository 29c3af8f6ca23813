"""Optional statistical language detectors for sentences of a shared script (Spanish vs English).

Script counting cannot tell languages of one script apart. When the ``lang`` extra is installed
(``pip install "rlvr[lang]"``, which brings **py3langid**, BSD licence, model shipped inside the
wheel, no download), :func:`get_detector` returns a detector that gives, for a sentence, the
probability of every language it knows. ``lingua-language-detector`` (Apache, model inside the
wheel, ~100 MB) is supported as an alternative backend (``detector="lingua"``).

Detectors are loaded lazily on first use, once per process (py3langid: about 1 s; lingua:
a few seconds), and cached at module level, so reward objects stay small and picklable.
Only letter words are ever passed to a detector (never lone surrogates or control characters).
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Protocol

from rlvr.verifiers.language_script import LANGUAGE_SCRIPT

__all__ = ["BACKENDS", "DetectorUnavailable", "LanguageDetector", "available_backends", "check_detector_name",
           "get_detector"]

#: Backends in order of preference for ``detector="auto"``.
BACKENDS = ("py3langid", "lingua")
_MODULES = {"py3langid": "py3langid", "lingua": "lingua"}


class DetectorUnavailable(RuntimeError):
    """The requested detector package is not installed."""


class LanguageDetector(Protocol):
    """What the language-consistency measure needs from a detector."""

    name: str

    def probabilities(self, text: str) -> dict[str, float]:
        """ISO 639-1 code -> probability (summing to about 1) for ``text``."""
        ...


class _Py3LangId:
    name = "py3langid"

    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        # Restrict to the languages rlvr knows: py3langid also has dialect and regional labels
        # (ext, pcm, gl-like varieties) that split the probability of short sentences.
        known = [c for c in ident.labels if c in LANGUAGE_SCRIPT]
        ident.set_languages(known)
        self._ident = ident

    def probabilities(self, text: str) -> dict[str, float]:
        return {code: float(p) for code, p in self._ident.rank(text)}


class _Lingua:
    name = "lingua"

    def __init__(self) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        wanted = []
        for code in LANGUAGE_SCRIPT:
            iso = getattr(IsoCode639_1, code.upper(), None)
            if iso is None:
                continue
            try:
                wanted.append(Language.from_iso_code_639_1(iso))
            except (ValueError, KeyError):
                continue
        self._detector = LanguageDetectorBuilder.from_languages(*wanted).build()

    def probabilities(self, text: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for cv in self._detector.compute_language_confidence_values(text):
            out[cv.language.iso_code_639_1.name.lower()] = float(cv.value)
        return out


_FACTORIES = {"py3langid": _Py3LangId, "lingua": _Lingua}
_cache: dict[str, LanguageDetector] = {}
_lock = threading.Lock()


def check_detector_name(value: str) -> str:
    """``value`` when it names a detector setting (``auto``, ``none`` or one of :data:`BACKENDS`);
    ``ValueError`` otherwise (the reward parameter validators' message)."""
    if value not in ("auto", "none", *BACKENDS):
        raise ValueError(f"unknown detector {value!r}; use one of auto, none, {', '.join(BACKENDS)}")
    return value


def available_backends() -> list[str]:
    """Installed detector backends, in preference order (no import of the packages)."""
    return [b for b in BACKENDS if importlib.util.find_spec(_MODULES[b]) is not None]


def get_detector(backend: str = "auto") -> LanguageDetector | None:
    """The detector for ``backend`` (``"auto"``: the first installed of :data:`BACKENDS`,
    ``None`` when none is installed; ``"none"``: ``None``).

    Raises:
        DetectorUnavailable: a named backend is not installed.
        ValueError: an unknown backend name.
    """
    if backend == "none":
        return None
    if backend == "auto":
        installed = available_backends()
        if not installed:
            return None
        backend = installed[0]
    if backend not in _FACTORIES:
        raise ValueError(f"unknown language detector {backend!r}; use one of auto, none, {', '.join(BACKENDS)}")
    detector = _cache.get(backend)
    if detector is not None:
        return detector
    with _lock:
        detector = _cache.get(backend)
        if detector is None:
            try:
                detector = _FACTORIES[backend]()
            except ImportError as exc:
                package = "py3langid" if backend == "py3langid" else "lingua-language-detector"
                raise DetectorUnavailable(
                    f"language detector {backend!r} is not installed ({exc}); "
                    f'pip install "rlvr[lang]" (or {package}), or use detector="none" for script counting only'
                ) from None
            _cache[backend] = detector
    return detector
