"""``[tool.codemod]`` in ``pyproject.toml``: the project's usual run, so ``codemod apply`` needs
no arguments. Command-line arguments override each key.

.. code-block:: toml

    [tool.codemod]
    recipes = ["session-id-to-request-id", "recipes/local-fix.yaml"]
    paths = ["src", "tests"]          # what to scan (default: the directory of pyproject.toml)
    include = ["tests/**"]            # gitignore-style globs, relative to pyproject.toml's folder
    exclude = ["tests/fixtures/**"]
    recipe-dirs = ["recipes"]         # extra folders of recipe YAML files (ids resolve there first)

The nearest ``pyproject.toml`` with a ``[tool.codemod]`` table, from the current directory
upwards, is used. Paths in it are relative to its folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codemods.engine.write import project_root
from codemods.errors import CodemodError, Location
from codemods.globs import check_glob
from codemods.recipe.models import FileFilter


class ToolCodemod(BaseModel):
    """The ``[tool.codemod]`` table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    recipes: list[str] = Field(
        default_factory=list,
        description="Recipe ids or recipe files run by `codemod apply`/`preview` with no recipe.",
    )
    paths: list[str] = Field(
        default_factory=list, description="Files or folders scanned when no PATHS are given."
    )
    include: list[str] = Field(
        default_factory=list, description="Only files matching one of these globs are changed."
    )
    exclude: list[str] = Field(
        default_factory=list, description="Files matching any of these globs are never changed."
    )
    recipe_dirs: list[str] = Field(
        default_factory=list,
        alias="recipe-dirs",
        description="Extra folders searched for recipe ids before the built-in recipes.",
    )


@dataclass(frozen=True)
class Config:
    """The effective configuration (empty when there is no ``[tool.codemod]``)."""

    source: Path | None = None  # the pyproject.toml it came from
    recipes: tuple[str, ...] = ()
    paths: tuple[Path, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    recipe_dirs: tuple[Path, ...] = field(default=())

    @property
    def base(self) -> Path:
        return self.source.parent if self.source is not None else Path.cwd().resolve()

    def file_filter(self) -> FileFilter | None:
        if not (self.include or self.exclude):
            return None
        return FileFilter(self.include, self.exclude)

    def allows(self, path: Path) -> bool:
        """Whether ``include``/``exclude`` (relative to the config's folder) let ``path`` through."""
        flt = self.file_filter()
        if flt is None:
            return True
        try:
            rel = path.resolve().relative_to(self.base).as_posix()
        except ValueError:
            return not self.include  # outside the project: only excludes could not apply
        return flt.allows(rel)

    def recipe_ref(self, ref: str) -> str:
        """A recipe id stays an id; a recipe file path becomes absolute (relative to base)."""
        looks_like_path = ref.endswith((".yaml", ".yml")) or "/" in ref or "\\" in ref
        if looks_like_path and not Path(ref).is_absolute():
            return str(self.base / ref)
        return ref


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.codemod]`` table at or above ``start``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and b"tool.codemod" in _read(candidate):
            data = _parse(candidate)
            if isinstance(data.get("tool"), dict) and "codemod" in data["tool"]:
                return candidate
    return None


def load_config(start: Path | None = None) -> Config:
    """The configuration that applies in ``start`` (default: the current directory)."""
    source = find_pyproject(start or Path.cwd())
    if source is None:
        return Config()
    table = _parse(source)["tool"]["codemod"]
    if not isinstance(table, dict):
        raise CodemodError(
            "[tool.codemod] must be a table", location=Location(str(source)), code="config"
        )
    try:
        model = ToolCodemod.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            known = ", ".join(f.alias or name for name, f in ToolCodemod.model_fields.items())
            message = f"unknown key `{key}` in [tool.codemod]; expected one of: {known}"
        else:
            message = f"[tool.codemod] {key}: {err['msg']}"
        raise CodemodError(message, location=Location(str(source)), code="config") from None
    for pattern in (*model.include, *model.exclude):
        try:
            check_glob(pattern)
        except ValueError as exc:
            raise CodemodError(
                f"[tool.codemod] {exc}",
                location=Location(str(source)),
                code="config",
            ) from None
    base = source.parent
    project = project_root(base)
    for given in model.paths:
        if not Path(os.path.realpath(base / given)).is_relative_to(project):
            raise CodemodError(
                f"[tool.codemod] paths: {given!r} is outside the project ({project})",
                location=Location(str(source)),
                code="config",
                hint="a repository's configuration may not send codemod elsewhere; to change "
                "files there on purpose, name them on the command line",
            )
    recipe_dirs = tuple((base / d).resolve() for d in model.recipe_dirs)
    for directory in recipe_dirs:
        if not directory.is_dir():
            raise CodemodError(
                f"[tool.codemod] recipe-dirs: {directory} is not a directory",
                location=Location(str(source)),
                code="config",
                hint="create it, or remove it from recipe-dirs",
            )
    return Config(
        source=source,
        recipes=tuple(model.recipes),
        paths=tuple(base / p for p in model.paths),
        include=tuple(model.include),
        exclude=tuple(model.exclude),
        recipe_dirs=recipe_dirs,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _parse(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        return tomllib.loads(_read(path).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CodemodError(
            f"cannot read {path.name}: {exc}", location=Location(str(path)), code="config"
        ) from None
