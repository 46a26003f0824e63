"""The public API: every name in llmkit.__all__ resolves, and the list stays sorted."""

from __future__ import annotations

import subprocess
import sys

import pytest

import llmkit


def test_all_names_resolve() -> None:
    missing = [name for name in llmkit.__all__ if not hasattr(llmkit, name)]
    assert missing == []


def test_all_is_sorted_and_unique() -> None:
    names = [n for n in llmkit.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    assert len(set(llmkit.__all__)) == len(llmkit.__all__)


def test_every_lazy_name_is_public() -> None:
    assert set(llmkit._LAZY) <= set(llmkit.__all__)


def test_public_classes_are_reexported_from_their_modules() -> None:
    # A public class defined in a submodule's __all__ but missing from llmkit's would be
    # invisible to users; these are the modules whose names are the package's surface.
    import llmkit.agents
    import llmkit.errors
    import llmkit.messages
    import llmkit.models.request
    import llmkit.models.stream
    import llmkit.tools

    modules = (
        llmkit.errors,
        llmkit.messages,
        llmkit.models.request,
        llmkit.models.stream,
        llmkit.agents,
        llmkit.tools,
    )
    internal = {"StreamAssembler", "RetriesExhausted", "serialize_result"}
    for module in modules:
        for name in module.__all__:
            if name in internal:
                continue  # machinery for authors of wire formats and tools
            assert name in llmkit.__all__, f"{module.__name__}.{name} is not re-exported"


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match="does_not_exist"):
        llmkit.does_not_exist  # type: ignore[attr-defined]  # noqa: B018


def test_import_does_not_load_heavy_packages() -> None:
    code = (
        "import sys, llmkit; "
        "print(','.join(m for m in ('httpx', 'pydantic', 'llama_cpp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
