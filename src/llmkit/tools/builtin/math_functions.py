"""The calculator's operators, constants and functions, each guarded against blowups.

Every operation takes and returns plain `int` / `float`. Integer results are capped at
`MAX_INT_BITS` so no operation can eat memory or CPU (``9^9^9`` is refused before it is
computed) and every result can still be printed (Python refuses to print ints of more
than 4,300 digits).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_INT_BITS",
    "CalcError",
    "Number",
    "binary_op",
    "call_function",
]

Number = int | float

MAX_INT_BITS = 13_000  # about 3,900 decimal digits


class CalcError(ArithmeticError):
    """An operation failed; the parser adds the position and raises `ModelRetry`."""


def _check_int(value: int) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise CalcError(f"result too large (more than {MAX_INT_BITS} bits)")
    return value


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(base, int) and isinstance(exponent, int) and exponent >= 0:
        # Estimate the size first: computing a huge power just to refuse it could hang.
        if abs(base) > 1 and (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
            raise CalcError(f"result too large (more than {MAX_INT_BITS} bits)")
        return _check_int(base**exponent)
    if base == 0 and exponent < 0:
        raise CalcError("division by zero")
    try:
        return math.pow(float(base), float(exponent))
    except OverflowError:
        raise CalcError("result too large") from None
    except ValueError:
        # math.pow refuses what would be complex, e.g. (-8)^(1/3).
        raise CalcError("no real result (negative base with a fractional exponent)") from None


def _multiply(a: Number, b: Number) -> Number:
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
            raise CalcError(f"result too large (more than {MAX_INT_BITS} bits)")
        return _check_int(a * b)
    return a * b


def _divide(a: Number, b: Number) -> Number:
    if b == 0:
        raise CalcError("division by zero")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b  # exact: stays an int, without float rounding of large values
    return a / b


def _floor_divide(a: Number, b: Number) -> Number:
    if b == 0:
        raise CalcError("division by zero")
    return a // b


def _modulo(a: Number, b: Number) -> Number:
    if b == 0:
        raise CalcError("division by zero")
    return a % b


def _add(a: Number, b: Number) -> Number:
    result = a + b
    return _check_int(result) if isinstance(result, int) else result


def _subtract(a: Number, b: Number) -> Number:
    result = a - b
    return _check_int(result) if isinstance(result, int) else result


_BINARY: dict[str, Callable[[Number, Number], Number]] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "//": _floor_divide,
    "%": _modulo,
    "^": _power,
}


def binary_op(op: str, a: Number, b: Number) -> Number:
    """Apply the binary operator `op`.

    Raises:
        CalcError: Division by zero, a result too large, or no real result.
    """
    try:
        return _BINARY[op](a, b)
    except OverflowError:
        raise CalcError("result too large") from None
    except ZeroDivisionError:
        raise CalcError("division by zero") from None


CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _round(x: Number, digits: Number = 0) -> Number:
    if not isinstance(digits, int):
        raise CalcError("round(x, n): n must be a whole number")
    return round(x, digits) if digits else round(x)


def _log(x: Number, base: Number = 10) -> float:
    if base == 1:
        raise CalcError("log base must not be 1")
    # math.log(x, 10) gives log(1000) = 2.9999999999999996; the dedicated ones are exact.
    if base == 10:
        return math.log10(x)
    if base == 2:
        return math.log2(x)
    return math.log(x, base)


def _to_int(value: float) -> int:
    return _check_int(int(value))


# name -> (function, minimum arguments, maximum arguments or None for any number)
Function = tuple[Callable[..., Number], int, int | None]

FUNCTIONS: dict[str, Function] = {
    "sqrt": (math.sqrt, 1, 1),
    "abs": (abs, 1, 1),
    "round": (_round, 1, 2),
    "floor": (lambda x: _to_int(math.floor(x)), 1, 1),
    "ceil": (lambda x: _to_int(math.ceil(x)), 1, 1),
    "exp": (math.exp, 1, 1),
    "ln": (math.log, 1, 1),
    "log": (_log, 1, 2),
    "log10": (math.log10, 1, 1),
    "log2": (math.log2, 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
    "asin": (math.asin, 1, 1),
    "acos": (math.acos, 1, 1),
    "atan": (math.atan, 1, 1),
    "min": (lambda *xs: min(xs), 1, None),
    "max": (lambda *xs: max(xs), 1, None),
    "sum": (lambda *xs: _check_int(s) if isinstance(s := sum(xs), int) else s, 1, None),
    "mean": (lambda *xs: statistics.mean(xs), 1, None),
    "median": (lambda *xs: statistics.median(xs), 1, None),
    "mode": (lambda *xs: statistics.mode(xs), 1, None),
    "stdev": (lambda *xs: statistics.stdev(xs), 2, None),
    "variance": (lambda *xs: statistics.variance(xs), 2, None),
}


def call_function(name: str, args: list[Number]) -> Number:
    """Call the calculator function `name` with `args`.

    Raises:
        CalcError: Wrong number of arguments, a math domain error or an overflow.
    """
    function, low, high = FUNCTIONS[name]
    if len(args) < low or (high is not None and len(args) > high):
        if high is None:
            wanted = f"at least {low} argument{'s' if low > 1 else ''}"
        elif low == high:
            wanted = f"{low} argument{'s' if low > 1 else ''}"
        else:
            wanted = f"{low} to {high} arguments"
        raise CalcError(f"{name}() takes {wanted}, got {len(args)}")
    try:
        return function(*args)
    except OverflowError:
        raise CalcError(f"{name}(): result too large") from None
    except ZeroDivisionError:
        raise CalcError("division by zero") from None
    except (ValueError, statistics.StatisticsError) as exc:
        raise CalcError(f"{name}(): {exc}") from None
