"""``llmkit models``: which providers exist, whether they are usable, and the default model."""

from __future__ import annotations

import argparse
import json

from ..config import load_config
from ..providers.resolve import resolve_provider
from ..providers.specs import BUILTIN_PROVIDERS

__all__ = ["run_models"]


def run_models(args: argparse.Namespace) -> int:
    config = load_config()
    rows: list[dict[str, str | bool]] = []
    for name in [*BUILTIN_PROVIDERS, *(n for n in config.providers if n not in BUILTIN_PROVIDERS)]:
        resolved = resolve_provider(name, config)
        if resolved.spec.wire == "local":
            status = "in-process"
        elif not resolved.base_url:
            status = f"needs {resolved.spec.base_url_env or 'base_url'}"
        elif resolved.key_missing:
            status = f"needs {resolved.key_env}"
        else:
            status = "key set" if resolved.api_key else "no key needed"
        rows.append(
            {
                "provider": name,
                "wire": resolved.spec.wire,
                "base_url": resolved.base_url or "",
                "key_env": resolved.key_env or "",
                "key_set": bool(resolved.api_key),
                "status": status,
                "configured": name in config.providers,
            }
        )
    if args.json:
        print(json.dumps({"default_model": config.default_model, "providers": rows}, indent=2))
        return 0
    print(f"default model: {config.default_model}")
    for path in config.files:
        print(f"config file:   {path}")
    width = max(len(str(r["provider"])) for r in rows)
    for r in rows:
        print(f"  {r['provider']!s:<{width}}  {r['status']!s:<24} {r['base_url']}")
    return 0
