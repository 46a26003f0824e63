"""Evaluate arithmetic expressions: a tokenizer and a Pratt parser that computes as it goes.

Nothing here reaches Python's `eval` or `ast`: the grammar knows numbers, the operators
``+ - * / // % ^`` (``**`` is accepted for ``^``), parentheses, the constants and
functions of `math_functions`, and nothing else. Recursion is capped by nesting depth
so ``((((...))))`` ten thousand deep fails with a clear message, not a `RecursionError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from ..base import ModelRetry
from .math_functions import CONSTANTS, FUNCTIONS, CalcError, Number, binary_op, call_function

__all__ = ["MAX_DEPTH", "MAX_EXPRESSION_LENGTH", "Token", "evaluate", "tokenize"]

MAX_EXPRESSION_LENGTH = 2_000
MAX_DEPTH = 100
_MAX_NUMBER_DIGITS = 400  # a literal longer than this is a mistake or an attack

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|//|[-+*/%^(),])
    """,
    re.VERBOSE,
)

# Binding powers: higher binds tighter. Unary minus sits below ^ so -2^2 is -(2^2).
_INFIX = {"+": 10, "-": 10, "*": 20, "/": 20, "//": 20, "%": 20, "^": 40}
_PREFIX_POWER = 30


@dataclass(frozen=True, slots=True)
class Token:
    """One token; `position` is 1-based, as the error messages count."""

    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


def tokenize(expression: str) -> list[Token]:
    """Split `expression` into tokens, ending with an ``end`` token.

    Raises:
        ModelRetry: A character no token can start with (names it and its position).
    """
    tokens: list[Token] = []
    index = 0
    while index < len(expression):
        match = _TOKEN.match(expression, index)
        if match is None:
            raise ModelRetry(f"unexpected character {expression[index]!r} at position {index + 1}")
        kind = match.lastgroup or ""
        if kind != "space":
            text = "^" if match.group() == "**" else match.group()
            tokens.append(Token(kind, text, index + 1))
        index = match.end()
    tokens.append(Token("end", "", len(expression) + 1))
    return tokens


def evaluate(expression: str) -> Number:
    """Compute `expression` and return an int (when exact) or a finite float.

    Raises:
        ModelRetry: The expression is empty, too long, too deeply nested, malformed,
            divides by zero, or its result is too large or not a real number. The
            message names the position or token.
    """
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ModelRetry(
            f"expression too long: {len(expression)} characters (limit {MAX_EXPRESSION_LENGTH})"
        )
    if not expression.strip():
        raise ModelRetry("empty expression: give an arithmetic expression such as 2 * (3 + 4)")
    result = _Parser(tokenize(expression)).parse()
    if isinstance(result, float) and not math.isfinite(result):
        raise ModelRetry(f"the result is not a finite number ({result})")
    return result


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    def parse(self) -> Number:
        value = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            raise _unexpected(token)
        return value

    def peek(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.next()
        if token.text != text or token.kind != "op":
            found = "the end" if token.kind == "end" else repr(token.text)
            raise ModelRetry(f"expected {text!r} at position {token.position}, found {found}")
        return token

    def expression(self, min_power: int) -> Number:
        # Every recursive path goes through here, so this one counter caps the stack.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            token = self.peek()
            raise ModelRetry(
                f"expression nested too deeply (more than {MAX_DEPTH} levels) "
                f"at position {token.position}"
            )
        try:
            left = self.prefix()
            while True:
                token = self.peek()
                power = _INFIX.get(token.text) if token.kind == "op" else None
                if power is None or power <= min_power:
                    return left
                self.next()
                # ^ is right-associative: its right side may hold another ^.
                right = self.expression(power - 1 if token.text == "^" else power)
                left = _apply(token, partial(binary_op, token.text, left, right))
        finally:
            self.depth -= 1

    def prefix(self) -> Number:
        token = self.next()
        if token.kind == "number":
            return _number(token)
        if token.kind == "op" and token.text in ("-", "+"):
            operand = self.expression(_PREFIX_POWER)
            return -operand if token.text == "-" else operand
        if token.kind == "op" and token.text == "(":
            value = self.expression(0)
            self.expect(")")
            return value
        if token.kind == "name":
            return self.name(token)
        raise _unexpected(token)

    def name(self, token: Token) -> Number:
        is_call = self.peek().text == "(" and self.peek().kind == "op"
        if token.text in CONSTANTS:
            if is_call:
                raise ModelRetry(f"{token.text!r} at position {token.position} is not a function")
            return CONSTANTS[token.text]
        if token.text not in FUNCTIONS:
            raise ModelRetry(
                f"unknown name {token.text!r} at position {token.position}; "
                f"constants: {', '.join(CONSTANTS)}; functions: {', '.join(FUNCTIONS)}"
            )
        if not is_call:
            raise ModelRetry(
                f"function {token.text!r} at position {token.position} needs arguments: "
                f"{token.text}(...)"
            )
        self.next()
        args: list[Number] = []
        if self.peek().text != ")":
            args.append(self.expression(0))
            while self.peek().text == "," and self.peek().kind == "op":
                self.next()
                args.append(self.expression(0))
        self.expect(")")
        return _apply(token, partial(call_function, token.text, args))


def _apply(token: Token, compute: Callable[[], Number]) -> Number:
    # Operations raise CalcError without knowing where they are; the token says where.
    try:
        return compute()
    except CalcError as exc:
        raise ModelRetry(f"{exc} (at {token.text!r}, position {token.position})") from None


def _number(token: Token) -> Number:
    if len(token.text) > _MAX_NUMBER_DIGITS:
        raise ModelRetry(
            f"number at position {token.position} is too long "
            f"({len(token.text)} characters, limit {_MAX_NUMBER_DIGITS})"
        )
    if any(c in token.text for c in ".eE"):
        value = float(token.text)
        if not math.isfinite(value):
            raise ModelRetry(
                f"number {token.text[:20]!r} at position {token.position} is too large"
            )
        return value
    return int(token.text)


def _unexpected(token: Token) -> ModelRetry:
    if token.kind == "end":
        return ModelRetry(f"unexpected end of expression at position {token.position}")
    return ModelRetry(f"unexpected {token.text!r} at position {token.position}")
