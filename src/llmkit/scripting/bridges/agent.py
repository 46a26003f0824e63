"""``Agent``: create agents from a table or a file, run and stream them, use them as tools."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ...events import names
from ..callbacks import ScriptFunction
from ..errors import BridgeArgumentError
from ..registry import Bridge, bridge_method
from ..script_tool import ScriptTool
from .conversions import event_to_script, handle_id
from .event import session_bus
from .hook import session_hooks
from .paths import granted_path
from .provider import session_model
from .tool import describe_tool

if TYPE_CHECKING:
    from ...agents import Agent, RunResult
    from ...tools.base import Tool

__all__ = ["AgentBridge"]

_SPEC_KEYS = ("model", "instructions", "tools", "output", "limits", "name", "description")
_LIMITS = ("max_steps", "max_tool_calls", "max_input_tokens", "max_output_tokens", "max_seconds")

# The names a streamed run emits (`llmkit.agents.events`): a script subscribed to any of them
# gets the run streamed to its bus.
_STREAMED_EVENTS = (
    names.AGENT_RUN_STARTED,
    names.AGENT_RUN_COMPLETED,
    names.MODEL_TEXT_DELTA,
    names.MODEL_TOOL_CALL_STARTED,
    names.MODEL_TOOL_CALL_ARGUMENTS,
    names.MODEL_TOOL_CALL_COMPLETED,
    names.MODEL_USAGE,
    names.MODEL_REQUEST_COMPLETED,
    names.TOOL_CALL_COMPLETED,
    names.TOOL_CALL_FAILED,
)


class AgentBridge(Bridge):
    """Agents of this run, as handles the prelude gives methods (``agent:run(input)``)."""

    name = "Agent"
    summary = "Create agents (model, instructions, tools, output schema, limits); run them."

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._agents: dict[str, Agent] = {}

    def _tools(self, specs: Any) -> list[Tool]:
        tools: list[Tool] = []
        for spec in specs or []:
            if isinstance(spec, str):
                tools.append(self.session.tools.get(spec))
            elif isinstance(spec, dict) and isinstance(spec.get("fn"), ScriptFunction):
                tool: Tool = ScriptTool(
                    name=str(spec.get("name")),
                    description=str(spec.get("description") or ""),
                    params_schema=spec.get("params") or {"type": "object"},
                    function=spec["fn"],
                    capabilities=[str(c) for c in spec.get("capabilities") or ()],
                )
                tools.append(tool)
            else:
                raise BridgeArgumentError(
                    f"Agent.create: a tool is a tool's name or {{name, description, params, "
                    f"fn}}, got {spec!r}"
                )
        for tool in tools:
            self.session.permissions.check_capabilities(tool.capabilities, f"tool {tool.name!r}")
        return tools

    def _keep(self, agent: Agent) -> dict[str, Any]:
        agent_id = f"agent:{len(self._agents) + 1}"
        self._agents[agent_id] = agent
        return self._info(agent_id, agent)

    def _info(self, agent_id: str, agent: Agent) -> dict[str, Any]:
        return {
            "id": agent_id,
            "name": agent.name,
            "description": agent.description,
            "tools": sorted(agent.tools),
        }

    def by_name(self) -> dict[str, Agent]:
        """This run's agents by name, for workflow ``agent`` steps."""
        return {agent.name: agent for agent in self._agents.values()}

    def _agent(self, handle: Any) -> Agent:
        key = handle_id(handle, "an agent")
        agent = self._agents.get(key)
        if agent is None:
            agent = next((a for a in self._agents.values() if a.name == key), None)
        if agent is None:
            raise BridgeArgumentError(f"no agent {key!r} in this run (see Agent.create)")
        return agent

    @bridge_method(returns="table")
    def create(self, spec: dict[str, Any]) -> dict[str, Any]:
        """An agent from a table: ``model`` (``provider:model`` or a ``Test.mock_model``
        name; default model when nil), ``instructions``, ``tools`` (names of this run's
        tools, or ``{name, description, params, fn}``), ``output`` (a JSON schema for a
        structured answer), ``limits`` (``max_steps``, ``max_tool_calls``,
        ``max_input_tokens``, ``max_output_tokens``, ``max_seconds``), ``name``,
        ``description``. Returns the agent; call ``agent:run(input)``.

        Args:
            spec: The agent's definition.

        Example (lua):
            local agent = Agent.create{model = Test.mock_model({"Bonjour"}), name = "fr",
              instructions = "Answer in French."}
            assert(agent.name == "fr" and agent:run("Hello") == "Bonjour")
        """
        from ...agents import Agent, UsageLimits

        unknown = sorted(set(spec) - set(_SPEC_KEYS))
        if unknown:
            raise BridgeArgumentError(
                f"Agent.create: unknown key(s) {unknown}; known: {_SPEC_KEYS}"
            )
        limits = spec.get("limits") or {}
        bad = sorted(set(limits) - set(_LIMITS))
        if bad:
            raise BridgeArgumentError(f"Agent.create: unknown limit(s) {bad}; known: {_LIMITS}")
        model = spec.get("model")
        if model is not None and not isinstance(model, str):
            raise BridgeArgumentError("Agent.create: model must be a 'provider:model' string")
        try:
            agent = Agent(
                session_model(self.session, model),
                instructions=str(spec.get("instructions") or ""),
                tools=self._tools(spec.get("tools")),
                output_type=spec.get("output") or str,
                policy=self.session.policy,
                hooks=session_hooks(self.session),
                limits=UsageLimits(**limits) if limits else None,
                name=str(spec.get("name") or "agent"),
                description=str(spec.get("description") or ""),
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Agent.create: {exc}") from None
        return self._keep(agent)

    def _run(self, agent: Agent, input: Any, fn: ScriptFunction | None) -> Any:
        from ...agents import RunFinished

        bus = session_bus(self.session)
        if fn is None and (
            not bus.subscriptions or not any(map(bus.has_subscribers, _STREAMED_EVENTS))
        ):
            # Nobody listens: a plain run builds no events (a fraction of a streamed run's cost).
            return self.session.await_host(agent.run(input)).output

        async def drive() -> RunResult[Any]:
            result = None
            async for event in agent.run_stream(input):
                if bus.has_subscribers(event.name):
                    await bus.emit_async(event)
                if fn is not None:
                    await fn.call_async(event_to_script(event))
                if isinstance(event, RunFinished):
                    result = event.result
            if result is None:
                raise BridgeArgumentError(f"agent {agent.name!r} finished without a result")
            return result

        return self.session.await_host(drive()).output

    @bridge_method(permission="model")
    def run(self, agent: Any, input: str) -> Any:
        """Run an agent to its final answer (text, or a table for an ``output`` schema).

        Args:
            agent: The agent, its id or its name.
            input: The user's message.

        Example (lua):
            local agent = Agent.create{model = Test.mock_model({"4"})}
            assert(Agent.run(agent, "2 + 2?") == "4")
        """
        return self._run(self._agent(agent), input, None)

    @bridge_method(permission="model")
    def stream(self, agent: Any, input: str, fn: ScriptFunction) -> Any:
        """Run an agent, calling `fn(event)` for each event as it happens (``name`` is
        ``model.text.delta`` for text, ``tool.call.*`` for tools...); returns the answer.

        Args:
            agent: The agent, its id or its name.
            input: The user's message.
            fn: Called with each event table.

        Example (lua):
            local text = {}
            local agent = Agent.create{model = Test.mock_model({"Hello there"})}
            local answer = agent:stream("Hi", function(event)
              if event.name == "model.text.delta" then text[#text + 1] = event.payload.text end
            end)
            assert(table.concat(text) == answer)
        """
        return self._run(self._agent(agent), input, fn)

    @bridge_method(returns="table")
    def as_tool(self, agent: Any, opts: dict[str, Any] | None = None) -> dict[str, Any]:
        """Register an agent as a tool of this run, so other agents can delegate to it;
        returns the tool as ``Tool.get`` shows it.

        Args:
            agent: The agent, its id or its name.
            opts: ``name`` and ``description`` of the tool.

        Example (lua):
            local helper = Agent.create{name = "helper", model = Test.mock_model({"ok"}),
              description = "Helps"}
            local tool = helper:as_tool({name = "ask_helper"})
            assert(tool.name == "ask_helper" and Tool.exists("ask_helper"))
        """
        options = opts or {}
        tool = self._agent(agent).as_tool(
            name=options.get("name"), description=options.get("description")
        )
        self.session.tools.register(tool, replace=True)
        return describe_tool(tool)

    @bridge_method(returns="table")
    def load(self, path: str, opts: dict[str, Any] | None = None) -> dict[str, Any]:
        """An agent declared in a YAML or JSON file (see docs/agents.md); its tools are
        looked up among the built-in tools and this run's.

        Args:
            path: The file (under a folder granted with ``--allow-read``).
            opts: ``model`` to use instead of the file's.

        Example (lua):
            -- llmkit run --allow-read=. script.lua; without the grant it is refused:
            local ok, err = pcall(Agent.load, "agent.yaml")
            assert(not ok and err:find("PermissionDenied"))
        """
        from ...agents import Agent

        model = (opts or {}).get("model")
        agent = Agent.from_file(
            granted_path(self.session, path, "read"),
            tools=list(self.session.tools),
            model=session_model(self.session, model) if model else None,
        )
        agent.hooks = session_hooks(self.session)
        return self._keep(agent)

    @bridge_method(returns="array")
    def list(self) -> list[dict[str, Any]]:
        """The agents of this run: ``{id, name, description, tools}``.

        Example (lua):
            Agent.create{name = "one", model = Test.mock_model({})}
            assert(Agent.list()[1].name == "one")
        """
        return [self._info(key, agent) for key, agent in self._agents.items()]

    @bridge_method(returns="table or nil")
    def get(self, name: str) -> dict[str, Any] | None:
        """The agent with this name or id, or nil.

        Args:
            name: Its name or id.

        Example (lua):
            Agent.create{name = "writer", model = Test.mock_model({})}
            assert(Agent.get("writer").name == "writer" and Agent.get("nobody") == nil)
        """
        for key, agent in self._agents.items():
            if name in (key, agent.name):
                return self._info(key, agent)
        return None
