"""Code test cases and loaders for the dataset layouts in use.

A :class:`TestCase` is one test: ``kind="stdio"`` (feed ``stdin``, compare stdout with
``expected``, a string) or ``kind="call"`` (call ``fn_name(*args)``, compare the returned value
with ``expected``, a JSON value). Only :meth:`TestCase.sandbox_input` ever crosses into a
sandbox; ``expected`` stays on the host and is hidden from ``repr``.

:func:`load_test_cases` reads, auto-detecting the layout:

* open-r1 / PrimeIntellect ``verification_info``: ``{"language", "test_cases": [{"input", "output",
  "type": "stdin_stdout" | "function_call", "fn_name"?}]}`` (dict or JSON string);
* APPS / TACO ``input_output``: ``{"inputs": [...], "outputs": [...], "fn_name"?}``. Quirks handled:
  stdio inputs/outputs given as lists of lines are joined with newlines; call outputs wrapped in
  a one-element list (``[[6], [15]]``) are unwrapped when *every* output of the problem is a
  one-element list (``unwrap="auto"``; ``"always"``/``"never"`` to force); dict arguments, whose
  integer keys JSON turned into strings, get integer keys back inside the sandbox;
* LiveCodeBench test lists: ``[{"input", "output", "testtype": "stdin" | "functional"}]`` (list or
  JSON string) with ``fn_name`` from ``metadata["func_name"]``; a functional input holds one JSON
  argument per line. LCB's compressed private tests (base64 + zlib + **pickle**) are refused:
  unpickling dataset fields runs arbitrary code on the host; decode them yourself first.
* a plain list of :class:`TestCase` or of ``{"input", "output"}`` dicts (stdio unless ``fn_name``).

Every malformed layout raises :class:`TestCaseError` naming what is wrong (the reward maps it
to ``None`` with status ``gold_unparseable``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["TestCase", "TestCaseError", "call_case", "load_test_cases", "stdio_case"]

Kind = Literal["stdio", "call"]
Unwrap = Literal["auto", "always", "never"]


class TestCaseError(ValueError):
    """The test-case column could not be read."""

    __test__ = False  # not a pytest class


@dataclass(frozen=True)
class TestCase:
    """One code test. ``expected`` never leaves the host (see :meth:`sandbox_input`)."""

    __test__ = False  # not a pytest class

    kind: Kind
    expected: Any = field(repr=False)
    stdin: str = ""
    args: tuple[Any, ...] = ()
    fn_name: str | None = None
    int_keys: bool = False

    def sandbox_input(self) -> dict[str, Any]:
        """The only part of a test that is sent into a sandbox: its input, never its expected output."""
        if self.kind == "call":
            return {"fn_name": self.fn_name, "args": list(self.args), "int_keys": self.int_keys}
        return {"stdin": self.stdin}


def stdio_case(stdin: str, expected: str) -> TestCase:
    return TestCase("stdio", expected=expected, stdin=stdin)


def call_case(fn_name: str, args: Sequence[Any], expected: Any, *, int_keys: bool = False) -> TestCase:
    return TestCase("call", expected=_jsonable(expected), args=tuple(args), fn_name=fn_name, int_keys=int_keys)


# --------------------------------------------------------------------------- helpers
def _jsonable(value: Any) -> Any:
    """Tuples become lists (the sandbox's JSON does the same to returned values)."""
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _jsonable(v) for k, v in value.items()}
    return value


def _maybe_json(value: Any, what: str) -> Any:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise TestCaseError(f"{what} is an empty string")
        try:
            return json.loads(text)
        except ValueError as exc:
            raise TestCaseError(
                f"{what} is a string but not JSON ({exc}). If these are LiveCodeBench compressed "
                "private tests (base64+zlib+pickle), decode them before scoring: rlvr never unpickles dataset fields."
            ) from None
    return value


def _text(value: Any, what: str) -> str:
    """A stdio input/output: a string, or a list of lines (joined with newlines)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return "\n".join(value) + ("\n" if value and not value[-1].endswith("\n") else "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise TestCaseError(f"{what} must be a string or a list of lines, got {type(value).__name__}")


def _unwrap_outputs(outputs: list[Any], unwrap: Unwrap) -> list[Any]:
    if unwrap == "never":
        return outputs
    wrapped = [isinstance(o, list) and len(o) == 1 for o in outputs]
    if unwrap == "always" or (outputs and all(wrapped)):
        return [o[0] if w else o for o, w in zip(outputs, wrapped)]
    return outputs


def _has_string_int_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(isinstance(k, str) and k.lstrip("-").isdigit() for k in value) or any(
            _has_string_int_keys(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_string_int_keys(v) for v in value)
    return False


def _call_args(value: Any, what: str) -> tuple[Any, ...]:
    if isinstance(value, list):
        return tuple(value)
    raise TestCaseError(f"{what}: call arguments must be a JSON list, got {type(value).__name__}")


# --------------------------------------------------------------------------- layouts
def _from_open_r1(info: Mapping[str, Any], fn_name: str | None, unwrap: Unwrap) -> list[TestCase]:
    raw = info.get("test_cases")
    if not isinstance(raw, list):
        raise TestCaseError("verification_info.test_cases must be a list")
    cases: list[TestCase] = []
    calls: list[tuple[int, str, tuple[Any, ...], Any]] = []
    for i, tc in enumerate(raw):
        if not isinstance(tc, Mapping) or "input" not in tc or "output" not in tc:
            raise TestCaseError(f"verification_info.test_cases[{i}] needs 'input' and 'output'")
        kind = tc.get("type", "stdin_stdout")
        if kind in ("stdin_stdout", "stdio", "stdin"):
            cases.append(stdio_case(_text(tc["input"], f"test_cases[{i}].input"),
                                    _text(tc["output"], f"test_cases[{i}].output")))
        elif kind in ("function_call", "functional", "call"):
            name = tc.get("fn_name") or fn_name
            if not name:
                raise TestCaseError(f"verification_info.test_cases[{i}] is a function_call without fn_name")
            args = _maybe_json(tc["input"], f"test_cases[{i}].input") if isinstance(tc["input"], str) else tc["input"]
            expected = _maybe_json(tc["output"], f"test_cases[{i}].output") if isinstance(tc["output"], str) else tc["output"]
            calls.append((len(cases), name, _call_args(args, f"test_cases[{i}].input"), expected))
            cases.append(None)  # type: ignore[arg-type]  # placeholder, filled below
        else:
            raise TestCaseError(f"verification_info.test_cases[{i}] has unknown type {kind!r}")
    outputs = _unwrap_outputs([c[3] for c in calls], unwrap)
    for (pos, name, args, _), out in zip(calls, outputs):
        cases[pos] = call_case(name, args, out, int_keys=_has_string_int_keys(list(args)))
    return cases


def _from_apps(io: Mapping[str, Any], fn_name: str | None, unwrap: Unwrap) -> list[TestCase]:
    inputs, outputs = io.get("inputs"), io.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise TestCaseError("input_output needs 'inputs' and 'outputs' lists")
    if len(inputs) != len(outputs):
        raise TestCaseError(f"input_output has {len(inputs)} inputs but {len(outputs)} outputs")
    name = io.get("fn_name") or fn_name
    if not name:
        return [stdio_case(_text(i, f"inputs[{k}]"), _text(o, f"outputs[{k}]"))
                for k, (i, o) in enumerate(zip(inputs, outputs))]
    outs = _unwrap_outputs(list(outputs), unwrap)
    return [call_case(name, _call_args(i, f"inputs[{k}]"), o, int_keys=_has_string_int_keys(i))
            for k, (i, o) in enumerate(zip(inputs, outs))]


def _from_list(items: Sequence[Any], fn_name: str | None) -> list[TestCase]:
    cases = []
    for i, tc in enumerate(items):
        if isinstance(tc, TestCase):
            cases.append(tc)
            continue
        if not isinstance(tc, Mapping) or "input" not in tc or "output" not in tc:
            raise TestCaseError(f"test list item {i} needs 'input' and 'output'")
        kind = tc.get("testtype") or tc.get("type") or ("functional" if fn_name or tc.get("fn_name") else "stdin")
        if kind in ("stdin", "stdin_stdout", "stdio"):
            cases.append(stdio_case(_text(tc["input"], f"item {i} input"), _text(tc["output"], f"item {i} output")))
        elif kind in ("functional", "function_call", "call"):
            name = tc.get("fn_name") or fn_name
            if not name:
                raise TestCaseError(f"test list item {i} is functional but no fn_name / metadata.func_name was given")
            raw_in = tc["input"]
            if isinstance(raw_in, str):  # LiveCodeBench: one JSON argument per line
                try:
                    args = tuple(json.loads(line) for line in raw_in.split("\n") if line.strip())
                except ValueError as exc:
                    raise TestCaseError(f"test list item {i}: an argument line is not JSON ({exc})") from None
            else:
                args = _call_args(raw_in, f"item {i} input")
            out = _maybe_json(tc["output"], f"item {i} output") if isinstance(tc["output"], str) else tc["output"]
            cases.append(call_case(name, args, out))
        else:
            raise TestCaseError(f"test list item {i} has unknown testtype {kind!r}")
    return cases


def load_test_cases(value: Any, *, fn_name: str | None = None, metadata: Any = None,
                    unwrap: Unwrap = "auto") -> list[TestCase]:
    """Read one sample's tests from any supported layout (see the module docstring).

    ``fn_name`` (or LiveCodeBench's ``metadata["func_name"]``) makes list/APPS tests call-based.
    Raises :class:`TestCaseError` for an unreadable column and for an empty test list.
    """
    if metadata is not None and fn_name is None:
        meta = _maybe_json(metadata, "metadata") if isinstance(metadata, (str, bytes)) else metadata
        if isinstance(meta, Mapping):
            fn_name = meta.get("func_name") or meta.get("fn_name")
    value = _maybe_json(value, "the test-case column")
    if isinstance(value, Mapping):
        if "test_cases" in value:
            cases = _from_open_r1(value, fn_name, unwrap)
        elif "inputs" in value or "outputs" in value:
            cases = _from_apps(value, fn_name, unwrap)
        else:
            raise TestCaseError(
                f"unknown test layout: a dict with keys {sorted(value)[:8]}; expected 'test_cases' "
                "(open-r1) or 'inputs'/'outputs' (APPS/TACO)")
    elif isinstance(value, (list, tuple)):
        cases = _from_list(value, fn_name)
    else:
        raise TestCaseError(f"unknown test layout: {type(value).__name__}")
    if not cases:
        raise TestCaseError("the sample has no test cases")
    return cases

