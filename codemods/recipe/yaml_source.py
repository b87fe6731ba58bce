"""Load YAML as plain data while remembering where every value came from.

Only the YAML core types are accepted (mappings, sequences, strings, numbers, booleans,
null): a tag such as ``!!python/object`` is an error, never executed. Aliases are expanded
with a budget so an "alias bomb" fails fast instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from codemods.errors import Location, RecipeError

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
#: Lists and mappings nested deeper than this are an error (a recipe needs a handful).
MAX_DEPTH = 64

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}

PathKey = tuple[str | int, ...]


@dataclass
class YamlSource:
    """Parsed data plus a map from each value's path to its (line, column), both 1-based."""

    file: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    #: the style of each string scalar (None plain, "|", ">", "'", '"'), for `location_in`
    styles: dict[PathKey, str | None] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def location_in(self, path: PathKey, line: int, column: int) -> Location:
        """Where 1-based ``line``/``column`` *inside the string value* at ``path`` is in the file
        (for a pattern error in a block scalar, the line and column of the offending text)."""
        if path not in self.styles or path not in self.positions:
            return self.location(path)
        style = self.styles[path]
        start_line, start_col = self.positions[path]
        if style in ("|", ">"):
            first = start_line + 1
            indent = 0
            for text in self.lines[start_line:]:
                if text.strip():
                    indent = len(text) - len(text.lstrip(" "))
                    break
            return Location(self.file, first + line - 1, indent + column)
        offset = 1 if style in ("'", '"') else 0
        if line == 1:
            return Location(self.file, start_line, start_col + offset + column - 1)
        return Location(self.file, start_line + line - 1, column)

    def location(self, path: PathKey, *, key: bool = False) -> Location:
        """The location of ``path`` (of its key, if ``key``), or of its nearest known ancestor."""
        if key and path in self.key_positions:
            return Location(self.file, *self.key_positions[path])
        while path and path not in self.positions:
            path = path[:-1]
        line, col = self.positions.get(path, (1, 1))
        return Location(self.file, line, col)


def load_yaml(text: str, file: str) -> YamlSource:
    if len(text) > MAX_BYTES:
        raise RecipeError(
            f"recipe is {len(text):,} bytes; recipes are limited to {MAX_BYTES:,}",
            location=Location(file, 1),
            hint="split it into smaller recipes that compose with `- recipe: <id>`",
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise _too_deep(Location(file)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        raise RecipeError(
            f"not valid YAML: {exc.problem or exc.context}",
            location=loc,
            hint="check the indentation and quoting around this line",
        ) from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"not valid YAML: {exc}", location=Location(file)) from None
    source = YamlSource(file, None, lines=text.splitlines())
    if node is None:
        return source
    budget = [MAX_NODES]
    source.data = _build(node, (), source, budget)
    return source


def _too_deep(loc: Location) -> RecipeError:
    return RecipeError(
        f"recipe nests lists or mappings more than {MAX_DEPTH} levels deep",
        location=loc,
        hint="a recipe is a mapping of steps with their options; remove the extra nesting",
    )


def _build(node: yaml.Node, path: PathKey, source: YamlSource, budget: list[int]) -> Any:
    if len(path) > MAX_DEPTH:
        raise _too_deep(Location(source.file, node.start_mark.line + 1, node.start_mark.column + 1))
    budget[0] -= 1
    if budget[0] < 0:
        raise RecipeError(
            f"recipe expands to more than {MAX_NODES:,} values (an alias bomb?)",
            location=Location(source.file, node.start_mark.line + 1, node.start_mark.column + 1),
            hint="remove the repeated `*alias` references",
        )
    source.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    loc = Location(source.file, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            raise _bad_tag(node.tag, loc)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise RecipeError(
                    "YAML merge keys (`<<:`) are not supported in recipes",
                    location=loc,
                    hint="write the keys out",
                )
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise RecipeError(
                    "mapping keys must be plain strings",
                    hint='quote the key (`"1": ...`) or use a name',
                    location=Location(
                        source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    ),
                )
            key = key_node.value
            source.key_positions.setdefault(
                (*path, key), (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            )
            if key in out:
                raise RecipeError(
                    f"duplicate key `{key}`",
                    location=Location(
                        source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                    ),
                    hint="each key may appear once in a mapping",
                )
            out[key] = _build(value_node, (*path, key), source, budget)
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            raise _bad_tag(node.tag, loc)
        return [_build(item, (*path, i), source, budget) for i, item in enumerate(node.value)]
    if node.tag not in _SCALAR_TAGS:
        raise _bad_tag(node.tag, loc)
    if node.tag == "tag:yaml.org,2002:str":
        source.styles.setdefault(path, getattr(node, "style", None))
    try:
        return yaml.SafeLoader(  # construct one scalar with the safe constructor
            ""
        ).construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:  # a 5,000-digit number, a bad date...
        raise RecipeError(
            f"this value cannot be read: {str(exc).split(';')[0]}",
            location=loc,
            hint="quote it if it is text; numbers in recipes are small",
        ) from None


def _bad_tag(tag: str, loc: Location) -> RecipeError:
    return RecipeError(
        f"YAML tag `{tag}` is not allowed: recipes are data and never construct objects",
        location=loc,
        hint="remove the `!!...` tag; use plain strings, numbers, lists and mappings",
    )
