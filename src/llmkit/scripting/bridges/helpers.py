"""Small helpers every script gets: ``JSON`` and ``log``."""

from __future__ import annotations

import json
import logging
from typing import Any

from ..errors import ScriptValueError
from ..registry import Bridge, bridge_method

__all__ = ["JSONBridge", "LogBridge"]

logger = logging.getLogger("llmkit.script")


class JSONBridge(Bridge):
    """JSON text to values and back, with the value rules of every bridge."""

    name = "JSON"
    summary = "Encode values as JSON text and decode JSON text."

    @bridge_method(returns="string")
    def encode(self, value: Any, indent: int | None = None) -> str:
        """`value` as JSON text (keys sorted, non-ASCII kept).

        Args:
            value: Any value made of nil, booleans, numbers, strings and tables.
            indent: Spaces per level for readable output; compact when nil.

        Example (lua):
            assert(JSON.encode({b = 1, a = {true, "x"}}) == '{"a": [true, "x"], "b": 1}')

        Example (javascript):
            assert((await JSON.encode({b: 1, a: [true, "x"]})) === '{"a": [true, "x"], "b": 1}');
        """
        try:
            return json.dumps(value, indent=indent, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ScriptValueError(f"JSON.encode: {exc}") from None

    @bridge_method()
    def decode(self, text: str) -> Any:
        """The value JSON `text` holds (JSON null becomes nil).

        Args:
            text: JSON text.

        Example (lua):
            local value = JSON.decode('{"items": [1, 2.5, "three"]}')
            assert(value.items[1] == 1 and value.items[3] == "three")

        Example (javascript):
            const value = await JSON.decode('{"items": [1, 2.5, "three"]}');
            assert(value.items[0] === 1 && value.items[2] === "three");
        """
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ScriptValueError(f"JSON.decode: invalid JSON: {exc}") from None


class LogBridge(Bridge):
    """Messages to the host's logging (logger ``llmkit.script``)."""

    name = "log"
    summary = "Send messages to the host's logging (logger llmkit.script)."

    def _log(self, level: int, message: Any) -> None:
        logger.log(level, "[%s] %s", self.session.engine, message)

    @bridge_method(returns="nil")
    def debug(self, message: Any) -> None:
        """Log `message` at DEBUG level.

        Args:
            message: Any value; tables are shown as Python would print them.

        Example (lua):
            log.debug("starting")

        Example (javascript):
            log.debug("starting");
        """
        self._log(logging.DEBUG, message)

    @bridge_method(returns="nil")
    def info(self, message: Any) -> None:
        """Log `message` at INFO level.

        Args:
            message: Any value.

        Example (lua):
            log.info("3 items processed")

        Example (javascript):
            log.info("3 items processed");
        """
        self._log(logging.INFO, message)

    @bridge_method(returns="nil")
    def warning(self, message: Any) -> None:
        """Log `message` at WARNING level.

        Args:
            message: Any value.

        Example (lua):
            log.warning("retrying")

        Example (javascript):
            log.warning("retrying");
        """
        self._log(logging.WARNING, message)

    @bridge_method(returns="nil")
    def error(self, message: Any) -> None:
        """Log `message` at ERROR level.

        Args:
            message: Any value.

        Example (lua):
            log.error("giving up")

        Example (javascript):
            log.error("giving up");
        """
        self._log(logging.ERROR, message)
