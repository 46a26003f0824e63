"""math_calculator: the grammar, exact integers, caps, and inputs meant to break out."""

from __future__ import annotations

import math
import time

import pytest

from llmkit.tools import ModelRetry, RunContext
from llmkit.tools.builtin import math_calculator
from llmkit.tools.builtin.math_engine import MAX_DEPTH, MAX_EXPRESSION_LENGTH, evaluate, tokenize


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ^ 3 ^ 2", 512),  # right-associative
        ("2 ** 10", 1024),
        ("-2 ^ 2", -4),  # unary minus binds looser than ^
        ("2 ^ -1", 0.5),
        ("--3", 3),
        ("+4", 4),
        ("7 / 2", 3.5),
        ("6 / 3", 2),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("1e3 + .5", 1000.5),
        ("2.5E-1 * 4", 1.0),
        ("10 - 4 - 3", 3),  # left-associative
        ("100 / 10 / 5", 2),
        ("sqrt(16)", 4.0),
        ("abs(-3)", 3),
        ("round(2.567, 2)", 2.57),
        ("round(2.5)", 2),
        ("floor(-2.5)", -3),
        ("ceil(2.1)", 3),
        ("exp(0)", 1.0),
        ("ln(e)", 1.0),
        ("log(1000)", 3.0),
        ("log(8, 2)", 3.0),
        ("log10(100)", 2.0),
        ("cos(0)", 1.0),
        ("min(3, -1, 2)", -1),
        ("max(3, -1, 2)", 3),
        ("sum(1, 2, 3)", 6),
        ("mean(1, 2, 3, 4)", 2.5),
        ("median(3, 1, 2)", 2),
        ("mode(1, 1, 2)", 1),
        ("variance(1, 2, 3, 4)", pytest.approx(5 / 3)),
        ("stdev(2, 4, 4, 4, 5, 5, 7, 9)", pytest.approx(2.138, abs=1e-3)),
        ("2 ^ 100", 2**100),  # exact integers
    ],
)
def test_evaluates(expression: str, expected: object) -> None:
    assert evaluate(expression) == expected


def test_constants() -> None:
    assert evaluate("pi") == math.pi
    assert evaluate("tau / 2") == math.pi
    assert evaluate("sin(pi / 2)") == pytest.approx(1.0)
    assert evaluate("atan(1) * 4") == pytest.approx(math.pi)


def test_tokens_carry_positions() -> None:
    tokens = tokenize("2 ** x")
    assert [(t.kind, t.text, t.position) for t in tokens] == [
        ("number", "2", 1),
        ("op", "^", 3),
        ("name", "x", 6),
        ("end", "", 7),
    ]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", r"division by zero \(at '/', position 3\)"),
        ("5 % 0", "division by zero"),
        ("5 // (2 - 2)", "division by zero"),
        ("0 ^ -1", "division by zero"),
        ("1 +", "unexpected end of expression at position 4"),
        ("(1 + 2", r"expected '\)' at position 7"),
        ("1 2", "unexpected '2' at position 3"),
        ("2 $ 3", r"unexpected character '\$' at position 3"),
        ("foo + 1", "unknown name 'foo' at position 1"),
        ("pi(2)", "'pi' at position 1 is not a function"),
        ("sqrt", "function 'sqrt' at position 1 needs arguments"),
        ("sqrt(-1)", r"sqrt\(\): math domain error \(at 'sqrt', position 1\)"),
        ("stdev(1)", r"stdev\(\) takes at least 2 arguments, got 1"),
        ("sqrt(1, 2)", r"sqrt\(\) takes 1 argument, got 2"),
        ("log(1, 1)", "log base must not be 1"),
        ("(-8) ^ (1/3)", "no real result"),
        ("exp(1000)", "result too large"),
        ("1e308 * 10", "not a finite number"),
        ("1e999", "number '1e999' at position 1 is too large"),
        ("", "empty expression"),
        ("   ", "empty expression"),
    ],
)
def test_errors_name_the_position_or_token(expression: str, message: str) -> None:
    with pytest.raises(ModelRetry, match=message):
        evaluate(expression)


@pytest.mark.parametrize(
    "attack",
    [
        "__import__('os')",
        '__import__("os").system("ls")',
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "[x for x in (1,)]",
        "lambda: 1",
        "open('/etc/passwd')",
        "exec",
        "a.b",
        "1; 2",
        "1 if 1 else 2",
    ],
)
def test_refuses_python(attack: str) -> None:
    with pytest.raises(ModelRetry):
        evaluate(attack)


@pytest.mark.parametrize(
    "bomb", ["9^9^9", "9**9**9", "10^100000", "2^13001", "(2^4000)*(2^4000)*(2^4000)*(2^4000)"]
)
def test_huge_powers_fail_fast(bomb: str) -> None:
    start = time.monotonic()
    with pytest.raises(ModelRetry, match="result too large"):
        evaluate(bomb)
    assert time.monotonic() - start < 1


def test_big_but_allowed_integers_stay_exact() -> None:
    assert evaluate("2^12000") == 2**12000
    assert evaluate("(-1)^(10^9)") == 1  # 1 and -1 to any power are cheap


def test_nesting_is_capped_without_recursion_error() -> None:
    too_deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ModelRetry, match="nested too deeply"):
        evaluate(too_deep)
    ok = "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1)
    assert evaluate(ok) == 1
    for chain in ("-" * 1_500 + "1", "2^" * 600 + "2"):
        with pytest.raises(ModelRetry, match="nested too deeply"):
            evaluate(chain)


def test_ten_thousand_parentheses_fail_cleanly() -> None:
    with pytest.raises(ModelRetry, match="too long"):
        evaluate("(" * 10_000 + "1" + ")" * 10_000)


def test_long_input_is_refused() -> None:
    with pytest.raises(ModelRetry, match=f"limit {MAX_EXPRESSION_LENGTH}"):
        evaluate("1+" * 5_000 + "1")
    with pytest.raises(ModelRetry, match="too long"):
        evaluate("9" * 1_000)  # one literal
    assert evaluate("+".join(["1"] * 900)) == 900


async def test_through_the_tool_interface() -> None:
    ctx = RunContext(deps=None, run_id="t")
    assert await math_calculator.call(ctx, {"expression": "2 * (3 + 4)"}) == 14
    with pytest.raises(ModelRetry, match="division by zero"):
        await math_calculator.call(ctx, {"expression": "1/0"})
    with pytest.raises(ModelRetry, match="expression"):
        await math_calculator.call(ctx, {"expr": "1"})
    assert math_calculator.capabilities == frozenset()
    assert math_calculator.definition.parameters["required"] == ["expression"]
