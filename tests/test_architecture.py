"""The layering ARCHITECTURE.md describes, checked on the source: imports only flow downward,
one module namer, one relative-import resolver, doctor does not parse files itself, and the
lists that used to be kept by hand derive themselves from the step registry."""

from __future__ import annotations

import ast
from pathlib import Path

from codemods.doctor.findings import step_order
from codemods.steps import all_steps
from tests.conftest import ROOT

PACKAGE = ROOT / "codemods"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _sources(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def test_analysis_imports_nothing_from_steps_or_engine() -> None:
    for path in _sources("analysis"):
        upward = {m for m in _imports(path) if m.startswith(("codemods.steps", "codemods.engine"))}
        assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"


def test_doctor_does_not_parse_files_itself() -> None:
    for path in _sources("doctor"):
        text = path.read_text(encoding="utf-8")
        assert "ast.parse(" not in text and "parse_file(" not in text, path.name
        assert "codemods.analysis.parse" not in _imports(path), path.name


def _definitions(name: str) -> list[str]:
    out = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
                out.append(str(path.relative_to(ROOT)))
    return out


def test_one_module_namer_and_one_relative_import_resolver() -> None:
    # ProjectIndex.module_of, and Projects.module_of delegating to it
    assert set(_definitions("module_of")) == {"codemods/analysis/project.py"}
    assert _definitions("resolve_module") == ["codemods/analysis/modules.py"]
    for gone in ("module_name_for", "module_name_from_path", "ModuleNames", "ProjectModel"):
        assert _definitions(gone) == [], gone


def test_doctor_step_order_derives_from_every_step() -> None:
    steps = all_steps()
    order = step_order()
    assert sorted(order) == sorted(steps)  # a new step needs no central list
    assert [steps[s].order for s in order] == sorted(steps[s].order for s in order)
    assert (
        order.index("rename_module")
        < order.index("rename_kwarg")
        < order.index("add_asyncio_marker")
    )


def test_codemod_test_uses_one_case_layout_and_never_reads_tests() -> None:
    from codemods.case_runner import planned
    from codemods.recipe import RecipeLoader

    cases = list(planned([], RecipeLoader()))
    sources = [p.case.source for p in cases if p.case.source is not None]
    assert sources, "the built-in recipes' case folders were not found"
    assert not [s for s in sources if (ROOT / "tests") in s.parents]
    # every built-in recipe's cases come from recipes/<id>.cases/, as a user recipe's would
    folders = {s.parent for s in sources}
    assert folders == {p for p in (ROOT / "recipes").glob("*.cases") if p.is_dir()}
    for recipe_case in (p for p in cases if p.recipe is not None and p.case.source):
        assert recipe_case.case.source.parent.name == f"{recipe_case.recipe.id}.cases"


def test_each_step_description_is_written_once() -> None:
    for step_id, step_type in all_steps().items():
        module = ast.parse((PACKAGE / "steps" / f"{step_id}.py").read_text(encoding="utf-8"))
        module_doc = ast.get_docstring(module) or ""
        assert step_type.title() not in module_doc, f"{step_id}: title repeated in the module"
        assert step_type.description(), f"{step_id}: the class docstring says nothing"


def test_steps_share_one_files_metadata_only_inside_its_scope() -> None:
    import libcst as cst
    from libcst.metadata import PositionProvider

    from codemods.analysis.visit import file_metadata, lazy_metadata, transform_with_metadata, wrap

    module = cst.parse_module("x = 1\n")
    with file_metadata():
        assert wrap(module) is wrap(module)  # steps in a row share the wrapper
    assert wrap(module) is not wrap(module)  # no file in progress: nothing is kept

    class Names(cst.CSTTransformer):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[int] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.lines.append(lazy_metadata(self, PositionProvider)[node].start.line)

    names = Names()
    assert transform_with_metadata(module, names) is module
    assert names.lines == [1]
