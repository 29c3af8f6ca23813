"""Code layouts: open-r1 verifiable coding problems, APPS, LiveCodeBench.

Every layout writes the tests into one column, ``verification_info`` (the default
``tests_column`` of the ``code_tests`` reward), as a JSON string in the dataset's own test format,
which ``code_tests`` reads as is (see :mod:`rlvr.verifiers.code_cases`):

* ``verifiable_code``: ``{"language": "python", "test_cases": [{"input", "output", "type", "fn_name"?}]}``;
* ``apps``: APPS' ``input_output`` (``{"inputs", "outputs", "fn_name"?}``);
* ``livecodebench``: a list of ``{"input", "output", "testtype", "fn_name"?}`` (public + private tests).

The tests are checked with the reward's own loader at conversion time, so a row the reward could
not judge (no tests, unreadable tests, a non-Python problem) is skipped here, not at training time.
A JSON string (not a nested dict) because Arrow cannot infer one struct type for the tests of a
whole dataset (mixed output types, optional ``fn_name``).
"""

from __future__ import annotations

import base64
import binascii
import json
import pickle
import zlib
from collections.abc import Mapping
from typing import Any

from rlvr.layouts.base import Layout, LayoutError, Row, need, register_layout
from rlvr.layouts.prompts import CODE_SYSTEM_PROMPT, chat_prompt

__all__ = ["convert_apps", "convert_livecodebench", "convert_verifiable_code", "decode_lcb_private_tests"]

_PYTHON = ("python", "python3", "py")
#: Largest decompressed LiveCodeBench private-test blob accepted (a zlib bomb stops here).
MAX_PRIVATE_TESTS_BYTES = 256 * 1024 * 1024


def _tests_readable(value: Any, **kwargs: Any) -> bool:
    from rlvr.verifiers.code_cases import TestCaseError, load_test_cases

    try:
        load_test_cases(value, **kwargs)
    except TestCaseError:
        return False
    return True


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
    return value


def _with_starter(statement: str, starter_code: Any) -> str:
    starter = str(starter_code or "").strip()
    if not starter:
        return statement
    return f"{statement}\n\nComplete this starter code:\n```python\n{starter}\n```"


def convert_verifiable_code(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``open-r1/verifiable-coding-problems-python`` (statement in ``problem_statement``; its first
    version called it ``problem``) and ``PrimeIntellect/verifiable-coding-problems`` (``prompt``,
    ``verification_info`` as a JSON string). Non-Python rows and unreadable tests are skipped."""
    text_key = next((k for k in ("problem_statement", "problem", "prompt") if k in row), "problem_statement")
    need(row, "verifiable_code", text_key, "verification_info")
    info = _json(row["verification_info"])
    statement = row[text_key]
    if not isinstance(info, Mapping) or not isinstance(statement, str) or not statement.strip():
        return None
    cases = _json(info.get("test_cases"))
    if str(info.get("language") or "python").lower() not in _PYTHON or not isinstance(cases, list):
        return None
    if not all(isinstance(c, Mapping) for c in cases):
        return None
    clean = [{k: v for k, v in c.items() if v is not None} for c in cases]  # Arrow fills fn_name: null
    tests = {"language": "python", "test_cases": clean}
    if not _tests_readable(tests):
        return None
    return {"prompt": chat_prompt(system_prompt, statement.strip()), "verification_info": json.dumps(tests)}


def convert_apps(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``codeparrot/apps``: ``question``, ``input_output`` (JSON string; empty for some rows, which
    are skipped) and ``starter_code`` (call-based problems; appended to the prompt)."""
    need(row, "apps", "question", "input_output")
    io = _json(row["input_output"])
    question = str(row["question"] or "").strip()
    if not isinstance(io, Mapping) or not question or not _tests_readable(io):
        return None
    prompt = _with_starter(question, row.get("starter_code"))
    return {"prompt": chat_prompt(system_prompt, prompt), "verification_info": json.dumps(io)}


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any class or function reference is refused (no code runs)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from dataset data")


def decode_lcb_private_tests(value: Any) -> list[Any]:
    """LiveCodeBench ``private_test_cases``: a JSON list, or base64(zlib(pickle(JSON string))).

    The pickle is read with an unpickler that refuses every global, so a crafted field cannot run
    code; decompression stops at :data:`MAX_PRIVATE_TESTS_BYTES`. ``""``/``None`` -> ``[]``.

    Raises:
        LayoutError: the field is neither form.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return []
    if isinstance(value, list):
        return value
    plain = _json(value)
    if isinstance(plain, list):
        return plain
    try:
        packed = base64.b64decode(str(value).encode("ascii"), validate=False)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_PRIVATE_TESTS_BYTES)
        if inflater.unconsumed_tail:
            raise LayoutError(f"private_test_cases decompress to more than {MAX_PRIVATE_TESTS_BYTES} bytes")
        import io

        text = _NoGlobalsUnpickler(io.BytesIO(raw)).load()
    except (binascii.Error, UnicodeEncodeError, zlib.error, pickle.UnpicklingError, EOFError, ValueError,
            TypeError, IndexError, KeyError) as exc:
        if isinstance(exc, LayoutError):
            raise
        raise LayoutError(f"private_test_cases is neither JSON nor base64/zlib/pickle ({type(exc).__name__})") from None
    tests = _json(text)
    if not isinstance(tests, list):
        raise LayoutError("private_test_cases did not decode to a JSON list of tests")
    return tests


def convert_livecodebench(row: Row, system_prompt: str) -> dict[str, Any] | None:
    """``livecodebench/code_generation_lite``: ``question_content``, ``public_test_cases`` (JSON
    list), ``private_test_cases`` (see :func:`decode_lcb_private_tests`), ``metadata`` (JSON with
    ``func_name`` for LeetCode problems) and ``starter_code``. Functional tests get the ``fn_name``
    on each test, so ``code_tests`` needs no extra column."""
    need(row, "livecodebench", "question_content", "public_test_cases")
    question = str(row["question_content"] or "").strip()
    public = _json(row["public_test_cases"])
    try:
        private = decode_lcb_private_tests(row.get("private_test_cases"))
    except LayoutError:
        return None
    if not question or not isinstance(public, list):
        return None
    meta = _json(row.get("metadata")) or {}
    fn_name = meta.get("func_name") if isinstance(meta, Mapping) else None
    tests = []
    for case in [*public, *private]:
        if not isinstance(case, Mapping):
            return None
        case = dict(case)
        if case.get("testtype") == "functional" and fn_name:
            case["fn_name"] = fn_name
        tests.append(case)
    if not _tests_readable(tests):
        return None
    prompt = _with_starter(question, row.get("starter_code"))
    return {"prompt": chat_prompt(system_prompt, prompt), "verification_info": json.dumps(tests)}


register_layout(Layout("verifiable_code", "rl", convert_verifiable_code, CODE_SYSTEM_PROMPT,
                       "open-r1/verifiable-coding-problems-python", ("verification_info",)))
register_layout(Layout("apps", "rl", convert_apps, CODE_SYSTEM_PROMPT, "codeparrot/apps", ("verification_info",)))
register_layout(Layout("livecodebench", "rl", convert_livecodebench, CODE_SYSTEM_PROMPT,
                       "livecodebench/code_generation_lite", ("verification_info",)))
