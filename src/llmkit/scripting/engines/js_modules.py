"""ES module syntax for sandboxed JavaScript, rewritten into plain async functions.

The quickjs binding cannot name a module or install a module loader, so llmkit rewrites
each script's top-level ``import`` and ``export`` statements: an import becomes an
awaited request to the host (which reads the module as text from the allowed folders),
an export becomes a getter on the module's namespace. Line numbers stay the same.

Supported: ``import x from "m"``, ``import {a, b as c} from "m"``, ``import * as ns from
"m"``, ``import x, {a} from "m"``, ``import "m"``; ``export`` before ``function``,
``async function``, ``class``, ``const``/``let``/``var`` (one name), ``export default``,
``export {a, b as c}``, ``export {a} from "m"`` and ``export * from "m"``.
"""

from __future__ import annotations

import posixpath
import re

from ..errors import PermissionDenied

__all__ = ["module_name", "wrap_module"]

_SPEC = r"""(?P<q>["'])(?P<spec>[^"'\n]+)(?P=q)"""
_IMPORT = re.compile(
    r"^[ \t]*import\s*(?:(?P<clause>[\w$]+(?:\s*,\s*(?:\{[^}]*\}|\*\s*as\s+[\w$]+))?"
    r"|\{[^}]*\}|\*\s*as\s+[\w$]+)\s*from\s*)?" + _SPEC + r"[ \t]*;?",
    re.M,
)
_EXPORT_DECLARATION = re.compile(
    r"^([ \t]*)export\s+(?P<kind>(?:async\s+)?function\s*\*?|class|const|let|var)"
    r"\s*(?P<name>[\w$]+)",
    re.M,
)
_EXPORT_DEFAULT = re.compile(
    r"^([ \t]*)export\s+default\s+"
    r"(?:(?P<kind>(?:async\s+)?function\s*\*?|class)\s*(?P<name>[\w$]+))?",
    re.M,
)
_EXPORT_LIST = re.compile(
    r"^[ \t]*export\s*\{(?P<names>[^}]*)\}(?:\s*from\s*" + _SPEC + r")?[ \t]*;?", re.M
)
_EXPORT_ALL = re.compile(r"^[ \t]*export\s*\*\s*from\s*" + _SPEC + r"[ \t]*;?", re.M)
_AS = re.compile(r"\s+as\s+")


class _Rewriter:
    def __init__(self) -> None:
        self.getters: dict[str, str] = {}
        self.count = 0

    def temp(self) -> str:
        self.count += 1
        return f"__module{self.count}"

    def rewrite(self, source: str) -> str:
        source = _IMPORT.sub(self._import, source)
        source = _EXPORT_ALL.sub(self._export_all, source)
        source = _EXPORT_LIST.sub(self._export_list, source)
        source = _EXPORT_DEFAULT.sub(self._export_default, source)
        return _EXPORT_DECLARATION.sub(self._export_declaration, source)

    def _import(self, match: re.Match[str]) -> str:
        clause, spec = match.group("clause"), match.group("spec")
        load = f"await __import({spec!r})"
        if clause is None:
            code = f"{load};"
        else:
            clause = " ".join(clause.split())
            head, _, rest = clause.partition(",")
            # A comma inside braces separates names; after a default binding, clauses.
            parts = [head.strip(), rest.strip()] if rest and clause[0] not in "{*" else [clause]
            if len(parts) == 1:
                code = f"const {_binding(parts[0], load)};"
            else:
                module = self.temp()
                default = f"{parts[0]} = {module}.default"
                code = f"const {module} = {load}, {default}, {_binding(parts[1], module)};"
        return _same_lines(match.group(0), code)

    def _export_all(self, match: re.Match[str]) -> str:
        return _same_lines(match.group(0), f"__exportAll(await __import({match.group('spec')!r}));")

    def _export_list(self, match: re.Match[str]) -> str:
        spec = match.group("spec")
        module = self.temp() if spec else None
        for item in filter(None, (part.strip() for part in match.group("names").split(","))):
            local, _, exported = _AS.sub(" as ", item).partition(" as ")
            target = f"{module}.{local}" if module else local
            self.getters[(exported or local).strip()] = target
        code = f"const {module} = await __import({spec!r});" if module else ""
        return _same_lines(match.group(0), code)

    def _export_default(self, match: re.Match[str]) -> str:
        name = match.group("name")
        if name:
            self.getters["default"] = name
            return f"{match.group(1)}{match.group('kind')} {name}"
        self.getters["default"] = "__default"
        return f"{match.group(1)}const __default = "

    def _export_declaration(self, match: re.Match[str]) -> str:
        name = match.group("name")
        self.getters[name] = name
        return f"{match.group(1)}{match.group('kind')} {name}"


def _binding(clause: str, value: str) -> str:
    if clause.startswith("*"):
        return f"{clause.split()[-1]} = {value}"
    if clause.startswith("{"):
        names = [_AS.sub(": ", part.strip()) for part in clause.strip("{} ").split(",") if part]
        return f"{{{', '.join(names)}}} = {value}"
    return f"{clause} = ({value}).default"


def _same_lines(original: str, code: str) -> str:
    return code + "\n" * original.count("\n")


def wrap_module(source: str) -> str:
    """`source` as the text of an async function taking ``(__import, __export,
    __exportAll, ARGS)``; a top-level ``return`` gives the script's result."""
    rewriter = _Rewriter()
    body = rewriter.rewrite(source)
    getters = ", ".join(f"{name!r}: () => {target}" for name, target in rewriter.getters.items())
    head = '(async function (__import, __export, __exportAll, ARGS) { "use strict"; '
    if getters:
        head += f"__export({{{getters}}}); "
    return f"{head}{body}\n}})"


def module_name(base: str, specifier: str) -> str:
    """The dotted module name `specifier` means when imported from module `base` ("" for
    the main script): ``"./lib/strings.js"`` -> ``lib.strings``.

    Raises:
        PermissionDenied: The specifier leaves the module folders or is not a plain path.
    """
    path = specifier[:-3] if specifier.endswith(".js") else specifier
    if path.startswith(("./", "../")):
        folder = posixpath.dirname(base.replace(".", "/")) if base else ""
        path = posixpath.normpath(posixpath.join(folder, path))
    if path.startswith(("../", "/")) or path in ("..", "."):
        raise PermissionDenied(f"module {specifier!r} is outside the script's module folders")
    return path.replace("/", ".")
