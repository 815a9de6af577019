"""Loading a small YAML configuration file into a pydantic model, with one-line errors that name the file, the line
and the bad key (never a traceback). Shared by the ownership mapping and the allocation rules files."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from billing_portal.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the deepest node reachable along `loc` (a pydantic error location) in a composed YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part):
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def load_yaml_model(path: str | Path, model: type[M], what: str) -> M:
    """Read `path` (YAML) into `model`. Raises ConfigError with a single line:
    `<what> <path>: line <n>: <key.path>: <problem>`."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"{what} {p}: file not found")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {p}: cannot read: {_one_line(exc)}") from None
    try:
        data = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{what} {p}: {where}invalid YAML: {_one_line(problem)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} {p}: line 1: expected a mapping of keys at the top level, "
                          f"got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        key = ".".join(str(x) for x in loc) or "(top level)"
        msg = err.get("msg", "invalid value").removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = f"unknown key {str(loc[-1])!r}" if loc else "unknown key"
        line = _line_of(tree, loc)
        where = f"line {line}: " if line else ""
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{what} {p}: {where}{key}: {_one_line(msg)}{more}") from None
