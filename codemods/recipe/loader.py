"""Find, validate and compose recipes.

A recipe is addressed by a built-in id (``session-id-to-request-id``), by an id found in an
extra recipe directory, or by a path to a YAML file. ``{recipe: other-id}`` items are
resolved the same way (paths relative to the including file) and flattened in order;
cycles are an error that names the chain.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

import codemods
from codemods.errors import CodemodError, Location, RecipeError, combine_errors
from codemods.recipe.models import (
    RECIPE_ID,
    CompiledStep,
    FileFilter,
    Recipe,
    RecipeModel,
)
from codemods.recipe.yaml_source import PathKey, YamlSource, load_yaml
from codemods.steps import CHECKED, Step, all_steps


def builtin_recipe_dir() -> Path:
    """Built-in recipes: packaged in the wheel, or the checkout's top-level ``recipes/``."""
    package = Path(codemods.__file__).resolve().parent
    for candidate in (package / "_builtin_recipes", package.parent / "recipes"):
        if candidate.is_dir():
            return candidate
    raise RecipeError(
        "the built-in recipes are missing from this installation", hint="reinstall codemods"
    )


@dataclass(frozen=True)
class RecipeInfo:
    id: str
    title: str
    path: Path


def format_path(path: PathKey) -> str:
    """``('steps', 1, 'rename_kwarg', 'new')`` -> ``steps[1].rename_kwarg.new``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class CheckedOptions(Protocol):
    """Step options known to pass every check, expensive ones included (compiling a pattern),
    with this exact tool: keys from :func:`options_key` (``engine/checked.py`` keeps them)."""

    def __contains__(self, key: object) -> bool: ...

    def add(self, key: str) -> None: ...


def options_key(step_type: type[Step[Any]], value: Any) -> str:
    """What a verdict on ``value`` as ``step_type``'s options is remembered by."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)
    name = f"{step_type.__module__}.{step_type.__qualname__}"
    return hashlib.sha256(f"{name}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


class RecipeLoader:
    """Loads recipes from the built-in directory and any extra directories, with caching.

    ``checked``: options known to pass every check (a run's loader: ``codemod preview`` and
    ``apply``); for those, checks that compile code (a ``pattern`` step's rules) are left
    out and the step compiles on first use. Options not in it are checked in full, as
    without it, and added once they pass: a broken recipe always fails with its message.
    """

    def __init__(
        self, extra_dirs: Sequence[Path] = (), *, checked: CheckedOptions | None = None
    ) -> None:
        self.dirs = [*extra_dirs, builtin_recipe_dir()]
        self._cache: dict[Path, Recipe] = {}
        self.checked = checked

    # -- discovery -------------------------------------------------------------------------
    def available(self) -> list[RecipeInfo]:
        seen: dict[str, RecipeInfo] = {}
        for directory in self.dirs:
            for path in sorted(directory.glob("*.y*ml")):
                if path.stem in seen or path.suffix not in (".yaml", ".yml"):
                    continue
                try:
                    title = self.load(str(path)).title
                except RecipeError as exc:
                    title = f"(invalid: {exc.message})"
                seen[path.stem] = RecipeInfo(path.stem, title, path)
        return sorted(seen.values(), key=lambda r: r.id)

    def resolve(
        self, ref: str, base_dir: Path | None = None, location: Location | None = None
    ) -> Path:
        """The YAML file ``ref`` names: a path (absolute or relative) or a recipe id."""
        looks_like_path = ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref
        if looks_like_path:
            candidates = [Path(ref)] if Path(ref).is_absolute() else []
            if not candidates:
                if base_dir is not None:
                    candidates.append(base_dir / ref)
                candidates.append(Path.cwd() / ref)
            for candidate in candidates:
                if candidate.is_file():
                    real = candidate.resolve()
                    if real.suffix not in (".yaml", ".yml"):  # e.g. `recipe: /etc/shadow`
                        raise RecipeError(
                            f"{ref!r} is not a recipe file: recipe files end in .yaml or .yml",
                            location=location,
                            hint="name a recipe file, or a built-in id from `codemod list`",
                        )
                    return real
            raise RecipeError(
                f"recipe file {ref!r} does not exist",
                location=location,
                hint="check the path, or use a built-in id from `codemod list`",
            )
        search = ([base_dir] if base_dir is not None else []) + self.dirs
        for directory in search:
            for suffix in (".yaml", ".yml"):
                candidate = directory / f"{ref}{suffix}"
                if candidate.is_file():
                    return candidate.resolve()
        known = sorted({p.stem for d in self.dirs for p in d.glob("*.y*ml")})
        close = difflib.get_close_matches(ref, known, n=1)
        hint = (
            f"did you mean `{close[0]}`?"
            if close
            else "run `codemod list` to see the built-in recipes"
        )
        raise RecipeError(f"unknown recipe `{ref}`", location=location, hint=hint)

    # -- loading ---------------------------------------------------------------------------
    def load(self, ref: str) -> Recipe:
        return self._load_path(self.resolve(ref), stack=())

    def _load_path(self, path: Path, stack: tuple[Path, ...]) -> Recipe:
        if path in stack:
            chain = " -> ".join(p.stem for p in (*stack, path))
            raise RecipeError(
                f"recipes include each other in a cycle: {chain}",
                location=Location(_show(stack[-1])),
                hint="remove one of the `- recipe:` items in that chain",
            )
        if path in self._cache:
            return self._cache[path]
        file = _show(path)
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecipeError(
                f"recipe is not UTF-8 text ({exc.reason} at byte {exc.start})",
                location=Location(file, raw[: exc.start].count(b"\n") + 1),
                hint="save the file as UTF-8",
            ) from None
        except OSError as exc:
            raise RecipeError(
                f"cannot read recipe: {exc.strerror}", location=Location(file)
            ) from None
        source = load_yaml(text, file)
        recipe = self._compile(path, source, (*stack, path))
        self._cache[path] = recipe
        return recipe

    def _compile(self, path: Path, source: YamlSource, stack: tuple[Path, ...]) -> Recipe:
        data = source.data
        if not isinstance(data, dict):
            raise RecipeError(
                "a recipe is a mapping with `title`, `description` and `steps`",
                location=source.location(()),
                hint="start the file with `title: ...`",
            )
        if path.stem and not RECIPE_ID.match(path.stem):
            raise RecipeError(
                f"recipe file name `{path.name}` is not a kebab-case id",
                location=Location(source.file, 1),
                hint="name it like `my-recipe.yaml`: lowercase words joined by `-`",
            )
        if not set(data) & set(RecipeModel.model_fields):
            # not a recipe at all (another kind of file): say so without echoing its content
            raise RecipeError(
                "not a recipe: it has none of the keys "
                + ", ".join(f"`{k}`" for k in RecipeModel.model_fields),
                location=Location(source.file),
                hint="a recipe starts with `title: ...`; check that this is the file you meant",
            )
        errors: list[CodemodError] = []  # every problem is reported at once
        model: RecipeModel | None = None
        try:
            model = RecipeModel.model_validate(data)
        except ValidationError as exc:
            errors.extend(_all_from_validation(exc, source, (), RecipeModel.model_fields))

        steps: list[CompiledStep] = []
        uses: list[str] = []
        fingerprint = hashlib.sha256(path.read_bytes())
        include = model.include if model else []
        exclude = model.exclude if model else []
        own_filter = (FileFilter(tuple(include), tuple(exclude)),) if (include or exclude) else ()
        items = model.steps if model else data.get("steps")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue  # already reported by the model's validation
            try:
                child = self._compile_item(path, source, stack, index, item, own_filter, steps)
            except RecipeError as exc:
                errors.extend(exc.all())
                continue
            if child is not None:
                uses.append(child.id)
                fingerprint.update(child.fingerprint.encode())
        if errors:
            raise combine_errors(errors)
        assert model is not None
        return Recipe(
            id=path.stem,
            title=model.title,
            description=model.description.strip(),
            source=str(path),
            steps=tuple(steps),
            examples=tuple(model.examples),
            uses=tuple(uses),
            fingerprint=fingerprint.hexdigest(),
        )

    def _compile_item(
        self,
        path: Path,
        source: YamlSource,
        stack: tuple[Path, ...],
        index: int,
        item: dict[str, Any],
        own_filter: tuple[FileFilter, ...],
        steps: list[CompiledStep],
    ) -> Recipe | None:
        """Compile one ``steps`` item into ``steps``; return the recipe it includes, if any."""
        item_path: PathKey = ("steps", index)
        if len(item) != 1:
            keys = ", ".join(f"`{k}`" for k in item) or "nothing"
            raise RecipeError(
                f"each step is a mapping with exactly one key, found {keys}",
                location=source.location(item_path),
                path=format_path(item_path),
                hint="write `- <step_id>: {options}` or `- recipe: <recipe-id>`; check indentation",
            )
        ((key, value),) = item.items()
        if key == "recipe":
            if not isinstance(value, str) or not value.strip():
                raise RecipeError(
                    "expected a recipe id or a path to a recipe file",
                    location=source.location((*item_path, "recipe")),
                    path=format_path((*item_path, "recipe")),
                    hint="write `- recipe: <recipe-id>` (see `codemod list`) or a path",
                )
            child_path = self.resolve(
                value, base_dir=path.parent, location=source.location((*item_path, "recipe"))
            )
            if child_path in stack:
                chain = " -> ".join(p.stem for p in (*stack, child_path))
                raise RecipeError(
                    f"recipes include each other in a cycle: {chain}",
                    location=source.location((*item_path, "recipe")),
                    path=format_path((*item_path, "recipe")),
                    hint="remove this `- recipe:` item or another one in that chain",
                )
            child = self._load_path(child_path, stack)
            steps.extend(
                CompiledStep(s.step, s.origin, own_filter + s.filters, (*s.recipes, path.stem))
                for s in child.steps
            )
            return child
        step = _build_step(key, value, source, item_path, self.checked)
        steps.append(CompiledStep(step, path.stem, own_filter, (path.stem,)))
        return None


def _build_step(
    key: str,
    value: Any,
    source: YamlSource,
    item_path: PathKey,
    checked: CheckedOptions | None = None,
) -> Step[Any]:
    steps = all_steps()
    if key not in steps:
        close = difflib.get_close_matches(key, [*steps, "recipe"], n=1, cutoff=0.5)
        hint = (
            f"did you mean `{close[0]}`?"
            if close
            else f"known step types: {', '.join(sorted(steps))}"
        )
        raise RecipeError(
            f"unknown step type `{key}`",
            location=source.location((*item_path, key), key=True),
            path=format_path((*item_path, key)),
            hint=hint,
        )
    step_type = steps[key]
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise RecipeError(
            f"the options of `{key}` must be a mapping, got {type(value).__name__}",
            location=source.location((*item_path, key)),
            path=format_path((*item_path, key)),
            hint=f"write the options indented under `{key}:`; see `codemod explain {key}`",
        )
    verdict = options_key(step_type, value) if checked is not None else None
    known = verdict is not None and verdict in checked  # type: ignore[operator]
    try:
        options = step_type.Options.model_validate(value, context={CHECKED: known})
    except ValidationError as exc:
        raise combine_errors(
            _all_from_validation(
                exc, source, (*item_path, key), step_type.Options.model_fields, step_id=key
            )
        ) from None
    step = step_type(options)
    if verdict is not None and not known:
        checked.add(verdict)  # type: ignore[union-attr]
    return step


def _all_from_validation(
    exc: ValidationError,
    source: YamlSource,
    prefix: PathKey,
    fields: dict[str, Any],
    step_id: str | None = None,
) -> list[RecipeError]:
    """Every pydantic error as a RecipeError, unknown keys first; a missing key that an
    unknown key is a typo of (``stpes:`` for ``steps:``) is not reported twice."""
    errors = exc.errors()
    extras = [e for e in errors if e["type"] == "extra_forbidden"]
    typos = set()
    for e in extras:
        if len(e["loc"]) == 1:
            typos.update(
                difflib.get_close_matches(str(e["loc"][-1]), list(fields), n=1, cutoff=0.5)
            )
    ordered = extras + [
        e
        for e in errors
        if e["type"] != "extra_forbidden"
        and not (e["type"] == "missing" and len(e["loc"]) == 1 and str(e["loc"][0]) in typos)
    ]
    return [_one_from_validation(e, source, prefix, fields, step_id) for e in ordered]


def _from_validation(
    exc: ValidationError,
    source: YamlSource,
    prefix: PathKey,
    fields: dict[str, Any],
    step_id: str | None = None,
) -> RecipeError:
    """The first pydantic error as a RecipeError with file:line, recipe path and a hint.

    An unknown key is reported before anything else: a typo (``stpes:``) is the cause of
    the "missing `steps`" that comes with it.
    """
    errors = exc.errors()
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    return _one_from_validation(err, source, prefix, fields, step_id)


def _one_from_validation(
    err: Any,
    source: YamlSource,
    prefix: PathKey,
    fields: dict[str, Any],
    step_id: str | None = None,
) -> RecipeError:
    loc: PathKey = (*prefix, *err["loc"])
    kind = err["type"]
    message = err["msg"]
    word = "option" if step_id is not None else "key"
    hint = None
    if kind == "missing":
        name = err["loc"][-1]
        info = fields.get(str(name)) if len(err["loc"]) == 1 else None
        what = f" ({info.description})" if info is not None and info.description else ""
        message = f"missing required {word} `{name}`{what}"
        hint = f"add `{name}: ...` here"
        location = source.location(loc[:-1])
    elif kind == "extra_forbidden":
        name = str(err["loc"][-1])
        known = list(fields) if len(err["loc"]) == 1 else []
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        expected = f"; expected one of: {', '.join(known)}" if known else ""
        message = f"unknown {word} `{name}`{expected}"
        hint = f"did you mean `{close[0]}`?" if close else f"remove `{name}`"
        location = source.location(loc, key=True)
    elif getattr((err.get("ctx") or {}).get("error"), "line", None) is not None:
        # an error inside a string value (a code pattern): point at the offending text
        inner = err["ctx"]["error"]
        loc = (*loc, *getattr(inner, "field", ()))
        message = str(inner)
        location = source.location_in(loc, inner.line, inner.column)
    else:
        got = err.get("input")
        if not isinstance(got, (dict, list)):
            message = f"{message} (got {got!r})"
        location = source.location(loc)
    if hint is None and step_id is not None:
        hint = f"see `codemod explain {step_id}` for the options and examples"
    if hint is None:  # a top-level key of the recipe: say what it should hold
        info = fields.get(str(err["loc"][0])) if err["loc"] else None
        if info is not None and info.description:
            hint = f"`{err['loc'][0]}` holds: {info.description}"
        else:
            hint = "see the recipe format in the README, or `codemod schema`"
    return RecipeError(message, location=location, path=format_path(loc), hint=hint)


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
