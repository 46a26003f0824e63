"""``Provider``: call models directly — complete, stream, embed — and list providers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..callbacks import ScriptFunction
from ..errors import BridgeArgumentError
from ..registry import Bridge, bridge_method
from .conversions import messages_from_script

if TYPE_CHECKING:
    from ...models.base import Model
    from ...models.request import ModelResponse, ModelSettings
    from ..host import HostSession

__all__ = ["ProviderBridge", "session_model"]

_SETTINGS = ("max_tokens", "temperature", "top_p", "stop", "seed")


def session_model(session: HostSession, name: str | None) -> Model:
    """The model called `name` for this run: a ``Test.mock_model`` name, else
    ``provider:model`` (the configured default when None), built once per run."""
    bridge = session.bridge("Provider")
    assert isinstance(bridge, ProviderBridge)
    return bridge.model(name)


def settings_from(opts: dict[str, Any] | None, where: str) -> ModelSettings | None:
    """Model settings from a script's options table (max_tokens, temperature, ...).

    Raises:
        BridgeArgumentError: An option is unknown.
    """
    from ...models.request import ModelSettings

    chosen = {k: v for k, v in (opts or {}).items() if k != "system"}
    unknown = sorted(set(chosen) - set(_SETTINGS))
    if unknown:
        raise BridgeArgumentError(f"{where}: unknown option(s) {unknown}; known: {_SETTINGS}")
    if isinstance(chosen.get("stop"), str):
        chosen["stop"] = [chosen["stop"]]
    return ModelSettings(**chosen) if chosen else None


def response_to_script(response: ModelResponse) -> dict[str, Any]:
    """A reply as ``{text, finish_reason, model, usage, tool_calls}``."""
    usage = response.usage
    return {
        "text": response.text,
        "finish_reason": response.finish_reason,
        "model": response.model_name,
        "usage": {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": c.arguments or {}}
            for c in response.message.tool_calls
        ],
    }


class ProviderBridge(Bridge):
    """Models by ``provider:model`` name, without an agent around them."""

    name = "Provider"
    summary = "Call models directly: complete, stream, embed; list providers and the default."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self._models: dict[str | None, Model] = {}

    async def aclose(self) -> None:
        """Close the models built for the run (HTTP clients, local weights)."""
        models, self._models = list(self._models.values()), {}
        for model in models:
            await model.aclose()

    def model(self, name: str | None) -> Model:
        """The model called `name` for this run (see `session_model`)."""
        model = self._models.get(name)
        if model is None:
            from .testing import mock_model_named

            model = mock_model_named(self.session, name)
            if model is None:
                from ...providers.resolve import get_model

                model = get_model(name)
            self._models[name] = model
        return model

    def _prompt(self, prompt: Any, opts: dict[str, Any] | None, where: str) -> list[Any]:
        from ...messages import Message

        messages = messages_from_script(prompt, where)
        system = (opts or {}).get("system")
        return [Message.system(str(system)), *messages] if system else messages

    @bridge_method(permission="model", returns="table")
    def complete(
        self, model: str | None, prompt: Any, opts: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a prompt (text, or a list of ``{role, content}`` messages) to a model;
        returns ``{text, finish_reason, model, usage, tool_calls}``.

        Args:
            model: ``provider:model`` or a ``Test.mock_model`` name; nil for the default.
            prompt: A string, or a list of messages.
            opts: ``system``, ``max_tokens``, ``temperature``, ``top_p``, ``stop``, ``seed``.

        Example (lua):
            local model = Test.mock_model({"Paris"})
            local reply = Provider.complete(model, "Capital of France?", {max_tokens = 10})
            assert(reply.text == "Paris")
        """
        chosen = self.model(model)
        messages = self._prompt(prompt, opts, "Provider.complete")
        settings = settings_from(opts, "Provider.complete")

        async def request() -> ModelResponse:
            return await chosen.request(messages, settings=settings)

        return response_to_script(self.session.await_host(request()))

    @bridge_method(permission="model", returns="table")
    def stream(
        self,
        model: str | None,
        prompt: Any,
        fn: ScriptFunction,
        opts: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Stream a reply: `fn` gets each piece of text as it comes; returns what
        `complete` returns once the reply is finished.

        Args:
            model: ``provider:model`` or a ``Test.mock_model`` name; nil for the default.
            prompt: A string, or a list of messages.
            fn: Called with each text delta.
            opts: As for `complete`.

        Example (lua):
            local pieces = {}
            local reply = Provider.stream(Test.mock_model({"Hello there, friend"}), "Hi",
              function(delta) pieces[#pieces + 1] = delta end)
            assert(table.concat(pieces) == reply.text and #pieces > 1)
        """
        from ...models.stream import FinishEvent, TextDelta

        chosen = self.model(model)
        messages = self._prompt(prompt, opts, "Provider.stream")
        settings = settings_from(opts, "Provider.stream")

        async def streamed() -> ModelResponse:
            async with chosen.stream(messages, settings=settings) as events:
                response = None
                async for event in events:
                    if isinstance(event, TextDelta) and event.text:
                        await fn.call_async(event.text)
                    elif isinstance(event, FinishEvent):
                        response = event.response
            if response is None:
                raise BridgeArgumentError("Provider.stream: the stream ended without a reply")
            return response

        return response_to_script(self.session.await_host(streamed()))

    @bridge_method(permission="model", returns="array")
    def embed(self, model: str | None, texts: str | list[Any]) -> list[list[float]]:
        """Embed texts with a model that has embeddings; one vector per text.

        Args:
            model: ``provider:model`` (``local`` for the offline embedder).
            texts: A string or a list of strings.

        Example (lua):
            local vectors = Provider.embed("local", {"a cat", "a dog"})
            assert(#vectors == 2 and #vectors[1] == #vectors[2])
        """
        items = [texts] if isinstance(texts, str) else [str(t) for t in texts]

        async def embed() -> list[list[float]]:
            from ...embeddings import LOCAL_NAMES, get_embedder

            if model is None or model in LOCAL_NAMES:
                embedder = get_embedder("local")
                try:
                    return [list(map(float, v)) for v in await embedder.embed(items)]
                finally:
                    await embedder.aclose()
            return await self.model(model).embed(items)

        return self.session.await_host(embed())

    @bridge_method(returns="array")
    def list(self) -> list[dict[str, Any]]:
        """The providers llmkit knows (built in and configured): ``{name, description}``.

        Example (lua):
            local names = {}
            for _, p in ipairs(Provider.list()) do names[p.name] = true end
            assert(names.openai and names["local"])
        """
        from ...config import load_config
        from ...providers.specs import BUILTIN_PROVIDERS

        found = {name: spec.description for name, spec in BUILTIN_PROVIDERS.items()}
        for name in load_config().providers:
            found.setdefault(name, "configured in llmkit.toml")
        return [{"name": name, "description": text} for name, text in sorted(found.items())]

    @bridge_method(returns="string")
    def default(self) -> str:
        """The model used when none is named (``local:smollm2`` unless configured).

        Example (lua):
            assert(Provider.default():find(":"))
        """
        from ...config import load_config

        return load_config().default_model
