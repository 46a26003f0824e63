"""``Tool``: define tools in a script, call and look up tools from a script."""

from __future__ import annotations

from typing import Any

from ...tools.base import RunContext, Tool
from ..callbacks import ScriptFunction
from ..registry import Bridge, bridge_method
from ..script_tool import ScriptTool

__all__ = ["ToolBridge", "describe_tool"]


def describe_tool(tool: Tool) -> dict[str, Any]:
    """A tool as scripts see it: name, description, capabilities, parameters."""
    return {
        "name": tool.name,
        "description": tool.description,
        "capabilities": sorted(tool.capabilities),
        "parameters": tool.definition.parameters,
    }


class ToolBridge(Bridge):
    """Tools: a script defines tools any agent can call, and calls the tools it is given."""

    name = "Tool"
    summary = "Define tools in the script; call, list and look up the tools of the run."

    @bridge_method(returns="table")
    def define(
        self,
        name: str,
        description: str,
        params_schema: dict[str, Any],
        fn: ScriptFunction,
        capabilities: list[Any] | None = None,
    ) -> dict[str, Any]:
        """Register a script function as a tool any agent of this run can call.

        The function receives the arguments as one table; what it returns is the result.

        Args:
            name: The tool's name (letters, digits, ``_`` and ``-``).
            description: What the tool does, for the model.
            params_schema: The JSON schema of the arguments.
            fn: The tool's body.
            capabilities: What it needs ("fs.read", "fs.write", "net", "process").

        Example (lua):
            Tool.define("shout", "Upper-cases text",
              {type = "object", properties = {text = {type = "string"}}, required = {"text"}},
              function(args) return args.text:upper() end)
            assert(Tool.call("shout", {text = "hi"}) == "HI")

        Example (javascript):
            await Tool.define("shout", "Upper-cases text",
              {type: "object", properties: {text: {type: "string"}}, required: ["text"]},
              args => args.text.toUpperCase());
            assert(await Tool.call("shout", {text: "hi"}) === "HI");
        """
        tool = ScriptTool(
            name=name,
            description=description,
            params_schema=params_schema,
            function=fn,
            capabilities=[str(c) for c in capabilities or ()],
        )
        self.session.tools.register(tool, replace=True)
        return describe_tool(tool)

    @bridge_method()
    def call(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Call a tool of this run by name with a table of arguments; returns its result.

        The tool's capabilities must be granted by the script's permissions.

        Args:
            name: The tool's name.
            args: Its arguments.

        Example (lua):
            Tool.define("add", "Adds two numbers",
              {type = "object", properties = {a = {type = "number"}, b = {type = "number"}}},
              function(args) return args.a + args.b end)
            assert(Tool.call("add", {a = 2, b = 3}) == 5)

        Example (javascript):
            await Tool.define("add", "Adds two numbers",
              {type: "object", properties: {a: {type: "number"}, b: {type: "number"}}},
              args => args.a + args.b);
            assert(await Tool.call("add", {a: 2, b: 3}) === 5);
        """
        tool = self.session.tools.get(name)
        self.session.permissions.check_capabilities(tool.capabilities, f"Tool.call({name!r})")
        arguments = args or {}
        if isinstance(tool, ScriptTool):
            return tool.call_in_script(arguments)
        ctx: RunContext[Any] = RunContext(
            deps=None, run_id=self.session.run_id, policy=self.session.policy
        )

        async def call_on_host_loop() -> Any:
            # Tool.call may start work eagerly, so it must be called on the loop itself.
            return await tool.call(ctx, arguments)

        return self.session.await_host(call_on_host_loop())

    @bridge_method(returns="array")
    def list(self, filter: str | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The tools of this run, each as ``{name, description, capabilities, parameters}``.

        Args:
            filter: A name pattern (``"fs_*"``), or a table with ``name``, ``capability``,
                ``category`` and ``tags`` to match.

        Example (lua):
            Tool.define("greet", "Says hello", {type = "object"}, function() return "hello" end)
            local found = Tool.list("gr*")
            assert(#found == 1 and found[1].name == "greet")

        Example (javascript):
            await Tool.define("greet", "Says hello", {type: "object"}, () => "hello");
            const found = await Tool.list("gr*");
            assert(found.length === 1 && found[0].name === "greet");
        """
        spec = {"name": filter} if isinstance(filter, str) else dict(filter or {})
        tags = spec.get("tags")
        tools = self.session.tools.find(
            str(spec.get("name") or "*"),
            category=spec.get("category"),
            tags=list(tags.values()) if isinstance(tags, dict) else tags,
            capability=spec.get("capability"),
        )
        return [describe_tool(tool) for tool in tools]

    @bridge_method(returns="table or nil")
    def get(self, name: str) -> dict[str, Any] | None:
        """The tool called `name` as ``{name, description, capabilities, parameters}``, or nil.

        Args:
            name: The tool's name.

        Example (lua):
            Tool.define("echo", "Echoes", {type = "object"}, function(args) return args end)
            assert(Tool.get("echo").description == "Echoes")
            assert(Tool.get("missing") == nil)

        Example (javascript):
            await Tool.define("echo", "Echoes", {type: "object"}, args => args);
            assert((await Tool.get("echo")).description === "Echoes");
            assert((await Tool.get("missing")) === null);
        """
        if name not in self.session.tools:
            return None
        return describe_tool(self.session.tools.get(name))

    @bridge_method(returns="boolean")
    def exists(self, name: str) -> bool:
        """Whether this run has a tool called `name`.

        Args:
            name: The tool's name.

        Example (lua):
            assert(Tool.exists("nothing_here") == false)

        Example (javascript):
            assert((await Tool.exists("nothing_here")) === false);
        """
        return name in self.session.tools
