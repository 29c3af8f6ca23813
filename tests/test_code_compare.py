"""Host-side comparison of outputs and returned values (no sandbox needed)."""

from __future__ import annotations

import json
import time

import pytest

from rlvr.verifiers.code_compare import (
    CompareOptions,
    LongInt,
    compare_stdout,
    compare_value,
    float_close,
    parse_json_value,
)


def ok(actual, expected, **kw):
    return compare_stdout(actual, expected, options=CompareOptions(**kw)).passed


class TestStdout:
    def test_exact_and_normalisations(self):
        assert ok("1\n2\n3\n", "1\n2\n3\n")
        assert ok("1\r\n2\r\n3\r\n", "1\n2\n3")  # CRLF
        assert ok("1   \n2\t\n3\n\n\n", "1\n2\n3\n")  # trailing whitespace and blank lines
        assert ok(b"a b\n", "a  b\n")  # tokens per line

    def test_first_line_only_fails(self):
        assert not ok("1\n", "1\n2\n3\n")
        assert not ok("1", "1\n2\n3")

    def test_extra_lines_fail(self):
        assert not ok("1\n2\n3\n4\n", "1\n2\n3")
        assert not ok("1\n2\n3\nDEBUG\n", "1\n2\n3\n")

    def test_token_count_per_line(self):
        assert not ok("1 2\n", "1 2 3\n")
        assert not ok("1 2 3\n", "1 2\n")
        assert not ok("1\n2 3\n", "1 2\n3\n")  # line structure matters in lines mode
        assert ok("1\n2 3\n", "1 2\n3\n", mode="tokens")

    def test_big_integers_exact(self):
        assert not ok(str(10**18 + 1), str(10**18))
        big = "7" * 6000
        assert ok(big + "\n", big)
        assert not ok(big[:-1] + "0", big)

    def test_float_tolerance_only_for_float_expected(self):
        assert ok("0.3333333333333333\n", "0.333333")
        assert ok("1\n", "1.0")  # an int where a float is expected, within tolerance
        assert not ok("1.0\n", "1")  # a float where an int is expected
        assert not ok("0.34\n", "0.333333")
        assert ok("1e-9\n", "0.0")  # absolute tolerance 1e-6
        assert ok("1000000.5\n", "1000000.0", rel_tol=1e-6)
        assert not ok("nan\n", "0.5")
        assert not ok("inf\n", "1e308")
        assert ok("nan\n", "nan")  # identical word tokens
        assert not ok("abc\n", "1.5")

    def test_case_sensitivity(self):
        assert not ok("yes\n", "YES\n")
        assert ok("yes\n", "YES\n", case_sensitive=False)

    def test_invalid_utf8_fails(self):
        assert not ok(b"\xff\xfe\n", "1\n")

    def test_empty(self):
        assert ok("", "")
        assert ok("\n\n", "")
        assert not ok("", "1")

    def test_reason_never_quotes_expected(self):
        secret = "SECRET_EXPECTED_TOKEN"
        res = compare_stdout("wrong\n", f"{secret}\n")
        assert not res.passed and secret not in res.reason

    def test_custom_checker(self):
        def any_order(stdin, expected, actual):
            return sorted(actual.split()) == sorted(expected.split())

        opts = CompareOptions(checker=any_order)
        assert compare_stdout("3 1 2", "1 2 3", options=opts).passed
        assert not compare_stdout("3 1", "1 2 3", options=opts).passed
        assert compare_stdout("x", "y", options=CompareOptions(checker=lambda *a: 1.0)).passed
        assert not compare_stdout("x", "y", options=CompareOptions(checker=lambda *a: 0.5)).passed

    def test_megabyte_output_is_fast(self):
        import time

        big = "1 2 3 4 5\n" * 200_000
        t = time.perf_counter()
        assert ok(big, big)
        assert not ok(big + "6\n", big)
        assert time.perf_counter() - t < 2.0


class TestValues:
    def cmp(self, value, expected):
        return compare_value(json.dumps(value), expected).passed

    def test_bool_is_not_int(self):
        assert not self.cmp(True, 1)
        assert not self.cmp(1, True)
        assert not self.cmp(0, False)
        assert self.cmp(True, True)

    def test_int_exact_and_big(self):
        assert not self.cmp(10**18 + 1, 10**18)
        digits = "1" + "0" * 5000
        assert compare_value(digits, 10**5000).passed
        assert not compare_value(digits[:-1] + "1", 10**5000).passed
        assert not self.cmp(3.0, 3)  # a float where an int is expected

    def test_float_tolerance(self):
        assert self.cmp(0.1 + 0.2, 0.3)
        assert self.cmp(3, 3.0)
        assert not self.cmp(0.31, 0.3)
        assert not self.cmp(True, 1.0)
        assert compare_value("NaN", float("nan")).passed
        assert not compare_value("NaN", 0.0).passed
        assert not compare_value("Infinity", 1e308).passed

    def test_tuple_and_list(self):
        assert compare_value(json.dumps((1, 2)), [1, 2]).passed
        assert compare_value("[1, 2]", (1, 2)).passed
        assert not self.cmp([1, 2], [1, 2, 3])
        assert not self.cmp([1, 2, 3], [1, 2])
        assert not self.cmp([1], 1)  # no exp[0] leniency
        assert not self.cmp(1, [1])

    def test_dicts_and_strings(self):
        assert self.cmp({"a": 1}, {"a": 1})
        assert not self.cmp({"a": 1, "b": 2}, {"a": 1})
        assert compare_value('{"1": 2}', {1: 2}).passed  # JSON keys are strings on both sides
        assert not self.cmp("1", 1)
        assert not self.cmp(None, 0)
        assert self.cmp(None, None)

    def test_garbage_json(self):
        assert not compare_value("not json", 1).passed
        assert not compare_value("[" * 100000, [1]).passed

    def test_parse_big_keeps_long_ints_as_text(self):
        digits = "9" * 18000
        parsed = parse_json_value("[" + digits + "]")
        assert isinstance(parsed[0], LongInt) and parsed[0] == digits
        assert parse_json_value("-" + digits).digits == 18000
        assert parse_json_value("[12, 3.5]") == [12, 3.5]
        # ... and they still compare exactly against big expected integers
        assert compare_value("[" + digits + "]", [10**18000 - 1]).passed
        assert compare_value("-" + digits, -(10**18000 - 1)).passed
        assert not compare_value(digits, -(10**18000 - 1)).passed
        assert not compare_value(digits[:-1] + "8", 10**18000 - 1).passed
        assert not compare_value(digits + "9", 10**18000 - 1).passed


class TestHostCostIsBounded:
    """Issue 9 item 3: what a program sends can cost the host a parse, never seconds of CPU."""

    def test_eight_million_digit_result_is_a_quick_mismatch(self):
        huge = "7" * 8_000_000
        for expected in (1, 10**5000, 1.5, [1], "7"):
            t0 = time.perf_counter()
            assert not compare_value(huge, expected).passed
            assert time.perf_counter() - t0 < 1.0, expected

    def test_many_long_ints(self):
        text = "[" + ",".join(["9" * 4400] * 1800) + "]"  # ~8 MB
        t0 = time.perf_counter()
        assert not compare_value(text, [1] * 1800).passed
        assert time.perf_counter() - t0 < 1.0

    def test_long_float_token_on_stdout(self):
        t0 = time.perf_counter()
        assert not ok("1" * 8_000_000 + "\n", "1.5")
        assert not ok("0." + "0" * 5000 + "1\n", "1e-9")
        assert time.perf_counter() - t0 < 1.0

    def test_int_too_big_for_a_float(self):
        assert not compare_value("1" + "0" * 400, 1.5).passed  # float() would overflow
        assert not compare_value("[" + "1" + "0" * 400 + "]", [2.0]).passed

    def test_deep_nesting_is_a_mismatch(self):
        for text in ("[" * 100000 + "]" * 100000, '{"a":' * 50000 + "1" + "}" * 50000):
            assert not compare_value(text, [1]).passed

    def test_raising_checker_rejects(self):
        def fragile(stdin, expected, actual):
            return float(actual) == float(expected)

        assert not compare_stdout("garbage\n", "1.0", options=CompareOptions(checker=fragile)).passed
        assert compare_stdout("1.0\n", "1.0", options=CompareOptions(checker=fragile)).passed
        assert not compare_value('"x"', 1.0, options=CompareOptions(checker=fragile)).passed


class TestTinyExpectedFloats:
    """Issue 9 item 6: |a-b| <= max(rel_tol*|b|, min(abs_tol, |b|/2)); 0 never matches a tiny b."""

    def test_zero_does_not_match_a_tiny_expected_value(self):
        assert not ok("0\n", "1e-09")
        assert not ok("0.0\n", "0.000000001")
        assert not ok("-1e-09\n", "1e-09")
        assert not compare_value("0", 1e-9).passed
        assert not compare_value("0.0", 1e-9).passed
        assert not compare_value("[0.0]", [3e-8]).passed

    def test_tiny_values_close_to_expected_pass(self):
        assert ok("1.0000004e-09\n", "1e-09")
        assert ok("1.4e-09\n", "1e-09")  # within half of it
        assert compare_value("1.0000000001e-09", 1e-9).passed

    def test_absolute_tolerance_still_applies_to_zero_and_normal_values(self):
        assert ok("1e-9\n", "0.0")
        assert ok("0.0000005\n", "0.0")
        assert not ok("0.000002\n", "0.0")
        assert ok("0.5000009\n", "0.5")  # absolute 1e-6
        assert not ok("0.500002\n", "0.5")
        assert ok("1000000.9\n", "1000000.0")  # relative 1e-6 of 1e6 = 1.0
        assert not ok("1000001.1\n", "1000000.0")

    def test_rule_is_max_not_sum(self):
        # abs_tol + rel_tol*|b| would accept 1.0000019 for 1.0; max(1e-6, 1e-6) does not
        assert not ok("1.0000019\n", "1.0")
        assert ok("1.0000009\n", "1.0")
        assert float_close(3.5e-6, 4e-6) and not float_close(0.0, 4e-6) and not float_close(2e-6, 4e-6)


@pytest.mark.parametrize("expected", ["1.5", "-2.0", ".5", "1e3", "3.", "-1.5E-3"])
def test_float_literals_get_tolerance(expected):
    assert ok(repr(float(expected) * (1 + 1e-9)), expected)
