"""``Memory``: conversations (add, messages, clear) and vector collections (remember,
recall), in SQLite — in memory for the run unless a file is named."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import BridgeArgumentError
from ..registry import Bridge, bridge_method
from .conversions import handle_id, messages_from_script, messages_to_script
from .paths import granted_path

if TYPE_CHECKING:
    from ...memory import Conversation, ConversationStore, Memory
    from ..host import HostSession

__all__ = ["MemoryBridge"]


class MemoryBridge(Bridge):
    """Conversation memory and vector memory for a script."""

    name = "Memory"
    summary = "Conversation memory (add, messages, clear) and vector memory (remember, recall)."

    def __init__(self, session: HostSession) -> None:
        super().__init__(session)
        self._stores: dict[str, ConversationStore] = {}
        self._conversations: dict[str, Conversation] = {}
        self._collections: dict[str, Memory] = {}
        self._private: str | None = None

    async def aclose(self) -> None:
        """Close the run's stores and delete its private folder."""
        collections, self._collections = list(self._collections.values()), {}
        stores, self._stores = list(self._stores.values()), {}
        self._conversations.clear()
        for memory in collections:
            await memory.close()
        for store in stores:
            await store.close()
        if self._private is not None:
            import shutil

            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    def _file(self, path: str | None, kind: str) -> str:
        """The SQLite file of `kind` (conversations, vectors): one private to the run
        (in a temporary folder) unless named."""
        if path is not None:
            return str(granted_path(self.session, path, "write"))
        if self._private is None:
            import tempfile

            self._private = tempfile.mkdtemp(prefix="llmkit-script-memory-")
        return f"{self._private}/{kind}.db"

    def _conversation(self, handle: Any) -> Conversation:
        key = handle_id(handle, "a conversation")
        found = self._conversations.get(key)
        if found is None:
            raise BridgeArgumentError(f"no conversation {key!r} (see Memory.conversation)")
        return found

    @bridge_method(returns="table")
    def conversation(self, id: str, opts: dict[str, Any] | None = None) -> dict[str, Any]:
        """Open conversation `id`: ``conv:add(msg)``, ``conv:messages()``,
        ``conv:clear()``. Kept for the run, or in ``opts.path`` (an SQLite file, needs
        ``--allow-write``) across runs.

        Args:
            id: The conversation's id.
            opts: ``path`` of the SQLite file.

        Example (lua):
            local chat = Memory.conversation("support-42")
            chat:add({role = "user", content = "Hello"})
            assert(chat:messages()[1].parts[1].text == "Hello")
        """
        from ...memory import Conversation, ConversationStore

        path = self._file((opts or {}).get("path"), "conversations")
        store = self._stores.get(path)
        if store is None:
            store = self._stores[path] = ConversationStore(path)
        key = f"conversation:{id}@{path}"
        self._conversations[key] = Conversation(store, id)
        return {"id": key, "conversation": id}

    @bridge_method(returns="integer")
    def add(self, conversation: Any, messages: Any) -> int:
        """Store messages (a string is a user message; ``{role, content}`` tables or
        lists of them); returns how many the conversation holds now.

        Args:
            conversation: What ``Memory.conversation`` returned.
            messages: The messages.

        Example (lua):
            local chat = Memory.conversation("c1")
            assert(Memory.add(chat, {{role = "user", content = "hi"},
              {role = "assistant", content = "hello"}}) == 2)
        """
        chat = self._conversation(conversation)
        parsed = messages_from_script(messages, "Memory.add")

        async def add() -> int:
            await chat.add(*parsed)
            return await chat.store.count(chat.id)

        return self.session.await_host(add())

    @bridge_method(returns="array")
    def messages(self, conversation: Any) -> list[dict[str, Any]]:
        """Every stored message, in order, as ``{role, parts}``.

        Args:
            conversation: What ``Memory.conversation`` returned.

        Example (lua):
            local chat = Memory.conversation("c2")
            chat:add("remember me")
            assert(#Memory.messages(chat) == 1)
        """
        chat = self._conversation(conversation)
        return messages_to_script(self.session.await_host(chat.messages()))

    @bridge_method(returns="nil")
    def clear(self, conversation: Any) -> None:
        """Delete the conversation's messages.

        Args:
            conversation: What ``Memory.conversation`` returned.

        Example (lua):
            local chat = Memory.conversation("c3")
            chat:add("gone soon"); chat:clear()
            assert(#chat:messages() == 0)
        """
        chat = self._conversation(conversation)
        self.session.await_host(chat.clear())

    def _memory(self, collection: str, path: str | None) -> Memory:
        from ...memory import Memory

        file = self._file(path, "vectors")
        key = f"{collection}@{file}"
        memory = self._collections.get(key)
        if memory is None:
            memory = Memory(file, collection=collection)
            self._collections[key] = memory
        return memory

    @bridge_method(returns="integer")
    def remember(
        self, collection: str, texts: str | list[Any], opts: dict[str, Any] | None = None
    ) -> int:
        """Embed texts (offline embedder) and store them in a vector collection; returns
        how many were written.

        Args:
            collection: The collection's name.
            texts: A string or a list of strings.
            opts: ``metadata`` (one table for all), ``path`` (an SQLite file, needs
                ``--allow-write``).

        Example (lua):
            assert(Memory.remember("facts", {"Cats purr.", "Paris is in France."}) == 2)
        """
        options = opts or {}
        memory = self._memory(collection, options.get("path"))
        items = [texts] if isinstance(texts, str) else [str(t) for t in texts]

        async def remember() -> int:
            report = await memory.remember(items, metadata=options.get("metadata"))
            return len(report.written)

        return self.session.await_host(remember())

    @bridge_method(returns="array")
    def recall(
        self, collection: str, query: str, opts: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The stored texts that best answer `query`, best first: ``{id, text, score,
        metadata}``.

        Args:
            collection: The collection's name.
            query: What to look for.
            opts: ``k`` (default 5), ``mode`` ("hybrid", "vector", "keyword"), ``path``.

        Example (lua):
            Memory.remember("facts", {"Cats purr.", "Paris is in France."})
            assert(Memory.recall("facts", "Which city is French?", {k = 1})[1].text
              == "Paris is in France.")
        """
        options = opts or {}
        memory = self._memory(collection, options.get("path"))

        async def recall() -> list[dict[str, Any]]:
            hits = await memory.recall(
                query, k=int(options.get("k", 5)), mode=options.get("mode", "hybrid")
            )
            return [
                {"id": h.id, "text": h.text, "score": h.score, "metadata": dict(h.metadata)}
                for h in hits
            ]

        return self.session.await_host(recall())
