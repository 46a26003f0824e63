"""The one compiled part; everything else is in pyproject.toml."""

from setuptools import Extension, setup

# Ticks that stop a Lua script without a count hook on every instruction (Linux).
# Optional: where it cannot be built, the Lua engine keeps its count hook, at about half
# the speed.
setup(
    ext_modules=[
        Extension(
            "llmkit.scripting.engines._lua_ticks",
            sources=["src/llmkit/scripting/engines/_lua_ticks.c"],
            optional=True,
        )
    ]
)
