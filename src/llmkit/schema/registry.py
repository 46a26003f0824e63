"""`SchemaRegistry`: named schemas, loaded from code or files, that may ``$ref`` each other.

Each schema is stored under its name and, when it came from a file, its file name too,
so ``{"$ref": "address"}`` and ``{"$ref": "address.json"}`` both work; a schema with an
``$id`` is reachable by that URI as well. References resolve through `referencing`
with the registry as the resource store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import SchemaError
from .schema import Schema, check_schema

if TYPE_CHECKING:
    from referencing import Registry

__all__ = ["SCHEMA_SUFFIXES", "SchemaRegistry"]

SCHEMA_SUFFIXES = (".json", ".yaml", ".yml")


class SchemaRegistry:
    """Schemas by name; `get` returns a `Schema` whose ``$ref``s can reach all of them."""

    def __init__(self) -> None:
        self._schemas: dict[str, dict[str, Any]] = {}
        self._aliases: dict[str, str] = {}  # extra URIs (file names) -> name
        self._sources: dict[str, str] = {}  # name -> file it came from
        self._built: dict[str, Schema] = {}
        self._registry: Registry[Any] | None = None

    def register(self, name: str, schema: Mapping[str, Any], *, replace: bool = False) -> None:
        """Add `schema` under `name`.

        Raises:
            SchemaError: The schema is invalid, or `name` is taken and `replace` is False.
        """
        self._add(name, schema, replace=replace, source=None, alias=None)

    def _add(
        self,
        name: str,
        schema: Mapping[str, Any],
        *,
        replace: bool,
        source: str | None,
        alias: str | None,
    ) -> None:
        if not replace and name in self._schemas:
            where = self._sources.get(name, "code")
            raise SchemaError(f"a schema named {name!r} is already registered (from {where})")
        try:
            # Checked alone first, so the error names this schema; refs are checked by `get`.
            check_schema(schema)
        except SchemaError as exc:
            exc.source = exc.source or source or f"schema {name!r}"
            raise
        self._schemas[name] = dict(schema)
        if source is not None:
            self._sources[name] = source
        if alias is not None and alias != name:
            self._aliases[alias] = name
        self._built.clear()
        self._registry = None

    def get(self, name: str) -> Schema:
        """The schema named `name`, its references resolved against this registry.

        Raises:
            KeyError: No schema has that name.
            SchemaError: One of its ``$ref``s names nothing registered.
        """
        if name not in self._schemas:
            known = ", ".join(sorted(self._schemas)) or "none"
            raise KeyError(f"no schema named {name!r} (registered: {known})")
        if name not in self._built:
            try:
                built = Schema(self._schemas[name], registry=self.referencing_registry())
            except SchemaError as exc:
                exc.source = exc.source or self._sources.get(name, f"schema {name!r}")
                raise
            self._built[name] = built
        return self._built[name]

    def validate(self, name: str, value: Any) -> Any:
        """Validate `value` against the schema named `name` (see `Schema.validate`)."""
        return self.get(name).validate(value)

    def load_file(self, path: str | Path, *, name_by: Literal["stem", "title"] = "stem") -> str:
        """Register the schema in a ``.json``/``.yaml``/``.yml`` file and return its name:
        the file stem, or with ``name_by="title"`` its ``title`` when it has one.

        Raises:
            SchemaError: The file cannot be read or parsed, is not a schema object, or the
                name is taken; the message names the file.
        """
        file = Path(path)
        source = str(file)
        schema = _read(file)
        title = schema.get("title")
        name = title if name_by == "title" and isinstance(title, str) and title else file.stem
        self._add(name, schema, replace=False, source=source, alias=file.name)
        return name

    def load_dir(
        self, path: str | Path, *, name_by: Literal["stem", "title"] = "stem"
    ) -> list[str]:
        """Register every schema file directly in the directory (sorted); return the names.

        Raises:
            SchemaError: As `load_file`, or the path is not a directory.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise SchemaError("not a directory of schemas", source=str(folder))
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SCHEMA_SUFFIXES)
        return [self.load_file(file, name_by=name_by) for file in files if file.is_file()]

    def referencing_registry(self) -> Registry[Any]:
        """Every schema as a `referencing` resource: under its name, file name and ``$id``."""
        if self._registry is None:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            resources = []
            for name, schema in self._schemas.items():
                resource = Resource.from_contents(schema, default_specification=DRAFT202012)
                resources.append((name, resource))
            for alias, name in self._aliases.items():
                resources.append((alias, dict(resources)[name]))
            self._registry = Registry().with_resources(resources)
        return self._registry

    @property
    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._schemas)

    def __contains__(self, name: object) -> bool:
        return name in self._schemas

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._schemas))

    def __len__(self) -> int:
        return len(self._schemas)


def _read(file: Path) -> dict[str, Any]:
    import yaml

    source = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot read the schema file: {exc}", source=source) from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise SchemaError(f"cannot parse the schema file: {exc}", source=source) from None
    if not isinstance(data, dict):
        raise SchemaError(
            f"a schema file must hold an object, not {type(data).__name__}", source=source
        )
    return data
