"""``Output``: read structure out of model text (llmkit.output)."""

from __future__ import annotations

from typing import Any

from ..registry import Bridge, bridge_method

__all__ = ["OutputBridge"]


class OutputBridge(Bridge):
    """Parsers that survive what models write: JSON (repaired), YAML, XML, CSV, Markdown."""

    name = "Output"
    summary = "Parse model output: JSON (repaired), YAML, XML, CSV, key: value, Markdown."

    @bridge_method()
    def parse(self, text: str, format: str | None = None) -> Any:
        """Parse `text` in `format` ("json", "yaml", "xml", "csv", "kv", "markdown"), or in
        the format `detect` finds when none is given.

        Args:
            text: The model's reply.
            format: The format to read it as.

        Example (lua):
            local value = Output.parse('{"ok": true, "n": 3}')
            assert(value.ok == true and value.n == 3)
            assert(Output.parse("name: Ada", "kv").name == "Ada")

        Example (javascript):
            const value = await Output.parse('{"ok": true, "n": 3}');
            assert(value.ok === true && value.n === 3);
            assert((await Output.parse("name: Ada", "kv")).name === "Ada");
        """
        from ...output import parse

        return parse(text, format)

    @bridge_method()
    def extract_json(self, text: str) -> Any:
        """The first JSON value found in `text` (fenced, inline or broken), repaired.

        Args:
            text: Text with JSON somewhere in it.

        Example (lua):
            local value = Output.extract_json('Sure! ```json\\n{"city": "Paris"}\\n``` Done.')
            assert(value.city == "Paris")

        Example (javascript):
            const value = await Output.extractJson('Sure! ```json\\n{"city": "Paris"}\\n``` Done.');
            assert(value.city === "Paris");
        """
        from ...output import extract_json

        return extract_json(text)

    @bridge_method(returns="string")
    def repair(self, text: str) -> str:
        """`text` as valid JSON text: quotes, commas and brackets fixed.

        Args:
            text: Broken JSON.

        Example (lua):
            local fixed = Output.repair("{'a': 1,}")
            assert(JSON.decode(fixed).a == 1)

        Example (javascript):
            const fixed = await Output.repair("{'a': 1,}");
            assert(JSON.parse(fixed).a === 1);
        """
        from ...output import repair_json

        return repair_json(text)

    @bridge_method(returns="string")
    def detect(self, text: str) -> str:
        """The likely format of `text`: "json", "yaml", "xml", "markdown", "csv", "kv" or
        "text".

        Args:
            text: The model's reply.

        Example (lua):
            assert(Output.detect('{"a": 1}') == "json")
            assert(Output.detect("just words") == "text")

        Example (javascript):
            assert((await Output.detect('{"a": 1}')) === "json");
            assert((await Output.detect("just words")) === "text");
        """
        from ...output import detect_format

        return detect_format(text)

    @bridge_method(returns="array")
    def code_blocks(self, text: str) -> list[dict[str, str]]:
        """Every fenced code block as ``{language, code}``, in order.

        Args:
            text: Markdown text.

        Example (lua):
            local blocks = Output.code_blocks("```lua\\nprint(1)\\n```")
            assert(blocks[1].language == "lua" and blocks[1].code == "print(1)")

        Example (javascript):
            const blocks = await Output.codeBlocks("```js\\nprint(1)\\n```");
            assert(blocks[0].language === "js" && blocks[0].code === "print(1)");
        """
        from ...output import code_blocks

        return [{"language": b.language, "code": b.code} for b in code_blocks(text)]
