"""`math_calculator`: the arithmetic tool, over the safe evaluator in `math_engine`."""

from __future__ import annotations

from ..decorator import tool
from .math_engine import evaluate
from .math_functions import Number

__all__ = ["math_calculator"]


@tool(category="math", tags=("builtin",), timeout=10)
def math_calculator(expression: str) -> Number:
    """Evaluate an arithmetic expression exactly and safely; returns a number.

    Operators: + - * / // % and ^ (power, right-associative; ** also works), unary
    minus, parentheses. Constants: pi, e, tau. Functions: sqrt, abs, round(x[, digits]),
    floor, ceil, exp, ln, log(x) (base 10), log(x, base), log2, log10, sin, cos, tan,
    asin, acos, atan (radians), and over any number of arguments: min, max, sum, mean,
    median, mode, stdev, variance, e.g. mean(3, 5, 10). Integers stay exact.

    Args:
        expression: The expression, e.g. "sqrt(2) * (3 + 4)^2 / 7"; at most 2,000
            characters and 100 levels of nesting.
    """
    return evaluate(expression)
