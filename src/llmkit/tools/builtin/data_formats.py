"""Read and write JSON, CSV, YAML and XML as plain Python data, with size and shape caps.

YAML is read with ``safe_load`` only (no Python objects), and only when PyYAML is
installed: it is not an llmkit dependency. XML goes through `_safe_xml`, which refuses
DTDs. XML maps to data the usual way: attributes as ``"@name"``, text next to
attributes or children as ``"#text"``, repeated children as a list; namespaces are
dropped (tags keep their local name).
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from importlib import import_module
from types import ModuleType
from typing import Any, Literal

from ..base import ModelRetry
from ._safe_xml import local_name, parse_xml

__all__ = [
    "MAX_DEPTH",
    "MAX_INPUT_CHARS",
    "MAX_NODES",
    "MAX_OUTPUT_CHARS",
    "Format",
    "check_shape",
    "dump",
    "load",
]

Format = Literal["json", "csv", "yaml", "xml"]

MAX_INPUT_CHARS = 5_000_000
MAX_OUTPUT_CHARS = 5_000_000
MAX_DEPTH = 100
# Counted with repeats: YAML aliases can make a small document a huge (or cyclic) tree.
MAX_NODES = 1_000_000

_XML_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def load(text: str, format: Format) -> Any:
    """Parse `text` as `format` into dicts, lists and scalars.

    Raises:
        ModelRetry: The text is too large, malformed (the message says where), too
            deeply nested, or the format cannot be read here.
    """
    if len(text) > MAX_INPUT_CHARS:
        raise ModelRetry(f"input too large: {len(text)} characters (limit {MAX_INPUT_CHARS})")
    try:
        if format == "json":
            value = _load_json(text)
        elif format == "csv":
            value = [dict(row) for row in csv.DictReader(io.StringIO(text), restkey="_extra")]
        elif format == "yaml":
            value = _load_yaml(text)
        elif format == "xml":
            root = parse_xml(text, max_depth=MAX_DEPTH)
            value = {local_name(root.tag): _element_to_data(root)}
        else:
            raise ModelRetry(f"unknown format {format!r}: use json, csv, yaml or xml")
    except RecursionError:
        raise ModelRetry(f"{format} input nested too deeply (limit {MAX_DEPTH})") from None
    except csv.Error as exc:
        raise ModelRetry(f"malformed CSV: {exc}") from None
    check_shape(value)
    return value


def dump(value: Any, format: Format) -> str:
    """Serialize `value` as `format`.

    Raises:
        ModelRetry: The value cannot be written in that format, or the result is too large.
    """
    check_shape(value)
    if format == "json":
        text = json.dumps(value, indent=2, ensure_ascii=False)
    elif format == "csv":
        text = _dump_csv(value)
    elif format == "yaml":
        text = _yaml().safe_dump(value, sort_keys=False, allow_unicode=True)
    elif format == "xml":
        text = ET.tostring(_data_to_root(value), encoding="unicode")
    else:
        raise ModelRetry(f"unknown format {format!r}: use json, csv, yaml or xml")
    if len(text) > MAX_OUTPUT_CHARS:
        raise ModelRetry(
            f"result too large: {len(text)} characters (limit {MAX_OUTPUT_CHARS}); "
            "query or filter the data first"
        )
    return text


def check_shape(value: Any) -> None:
    """Refuse data nested deeper than `MAX_DEPTH` or with more than `MAX_NODES` nodes.

    Iterative, so it cannot overflow the stack, and it stops at the limit, so cyclic
    data (a YAML alias to its own parent) is refused rather than walked forever.

    Raises:
        ModelRetry: The data is too deep or too big.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ModelRetry(f"data too large: more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise ModelRetry(f"data nested too deeply (limit {MAX_DEPTH} levels)")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelRetry(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _yaml() -> ModuleType:
    try:
        return import_module("yaml")
    except ImportError:
        raise ModelRetry("YAML is not available here (PyYAML is not installed)") from None


def _load_yaml(text: str) -> Any:
    yaml = _yaml()
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ModelRetry(f"malformed YAML: {exc}") from None
    # Dates and timestamps would not survive JSON; keep them as the text they were.
    return _plain(value)


def _plain(value: Any) -> Any:
    stack = [value]
    seen = 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            break  # check_shape reports it
        if isinstance(item, dict):
            for key, child in item.items():
                item[key] = _scalar(child)
                stack.append(child)
        elif isinstance(item, list):
            for index, child in enumerate(item):
                item[index] = _scalar(child)
                stack.append(child)
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, dict, list)):
        return value
    return str(value)


def _dump_csv(value: Any) -> str:
    if isinstance(value, dict) and len(value) == 1:
        (inner,) = value.values()
        if isinstance(inner, list):
            value = inner  # {"items": [...]}: the records are the rows, not one cell
    rows = value if isinstance(value, list) else [value]
    if not all(isinstance(row, dict) for row in rows):
        rows = [row if isinstance(row, dict) else {"value": row} for row in rows]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(str(key) for key in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({str(key): _csv_cell(cell) for key, cell in row.items()})
    return out.getvalue()


def _csv_cell(cell: Any) -> Any:
    # Nested values have no CSV form; JSON text keeps them readable and reversible.
    if isinstance(cell, (dict, list)):
        return json.dumps(cell, ensure_ascii=False)
    if isinstance(cell, bool):
        return "true" if cell else "false"
    return cell


def _element_to_data(element: ET.Element) -> Any:
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text or None
    data: dict[str, Any] = {f"@{local_name(k)}": v for k, v in element.attrib.items()}
    counts = Counter(local_name(child.tag) for child in children)
    for child in children:
        name = local_name(child.tag)
        if counts[name] > 1:
            data.setdefault(name, []).append(_element_to_data(child))
        else:
            data[name] = _element_to_data(child)
    if text:
        data["#text"] = text
    return data


def _data_to_root(value: Any) -> ET.Element:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if not isinstance(inner, list):
            return _build(str(tag), inner)
    if isinstance(value, list):
        value = {"item": value}
    return _build("root", value)


def _build(tag: str, value: Any) -> ET.Element:
    element = ET.Element(_xml_name(tag))
    _fill(element, value)
    return element


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            key = str(key)
            if key.startswith("@"):
                element.set(_xml_name(key[1:]), _text(child))
            elif key == "#text":
                element.text = _text(child)
            else:
                for item in child if isinstance(child, list) else [child]:
                    sub = ET.SubElement(element, _xml_name(key))
                    _fill(sub, item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, "item"), item)
    elif value is not None:
        element.text = _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _xml_name(name: str) -> str:
    name = _XML_NAME.sub("_", name) or "_"
    return name if name[0].isalpha() or name[0] == "_" else f"_{name}"
