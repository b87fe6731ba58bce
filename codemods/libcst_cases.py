"""LibCST's own ``RenameCommand`` test cases, run through our rename steps.

The cases are read from the installed LibCST (``libcst/codemod/commands/tests/
test_rename.py``) with ``ast``: each test method's ``before`` / ``after`` strings and its
``old_name`` / ``new_name``. Ours has two steps where LibCST has one command: a case runs
through ``rename_symbol`` when ``old_name`` is a module-level name and through
``rename_module`` otherwise (and through the other one when the first does not reproduce
LibCST's output). Used by ``tests/test_libcst_rename_cases.py``; the README lists the cases
whose output differs, and why.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

from codemods.testing import run_source, step_from_options


@dataclass(frozen=True)
class RenameCase:
    name: str
    before: str
    after: str
    old: str
    new: str


@dataclass(frozen=True)
class CaseRun:
    case: RenameCase
    step: str
    output: str
    same: bool


def test_file() -> Path | None:
    import libcst

    path = Path(libcst.__file__).parent / "codemod" / "commands" / "tests" / "test_rename.py"
    return path if path.is_file() else None


def load_cases() -> list[RenameCase]:
    path = test_file()
    if path is None:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    cases = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        strings: dict[str, str] = {}
        call: ast.Call | None = None
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Assign)
                and isinstance(sub.targets[0], ast.Name)
                and isinstance(sub.value, ast.Constant)
                and isinstance(sub.value.value, str)
            ):
                strings[sub.targets[0].id] = sub.value.value
            if isinstance(sub, ast.Call) and getattr(sub.func, "attr", "") == "assertCodemod":
                call = sub
        if call is None or "before" not in strings or "after" not in strings:
            continue
        kw = {
            k.arg: k.value.value
            for k in call.keywords
            if k.arg and isinstance(k.value, ast.Constant)
        }
        if not isinstance(kw.get("old_name"), str) or not isinstance(kw.get("new_name"), str):
            continue
        cases.append(
            RenameCase(
                node.name,
                _clean(strings["before"]),
                _clean(strings["after"]),
                str(kw["old_name"]),
                str(kw["new_name"]),
            )
        )
    return cases


def _clean(text: str) -> str:
    """As LibCST's ``CodemodTest.make_fixture_data``: dedented, stripped, one final newline."""
    return textwrap.dedent(text).strip() + "\n"


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines() if line.strip())


def _attempts(case: RenameCase) -> list[tuple[str, dict[str, object]]]:
    options: dict[str, object] = {"old": case.old, "new": case.new}
    last = case.old.rsplit(".", 1)[-1]
    symbol_first = "." in case.old and (last[:1].isupper() or last.islower())
    order = ["rename_symbol", "rename_module"] if symbol_first else ["rename_module"]
    if "rename_module" not in order:
        order.append("rename_module")
    return [(step, options) for step in order]


def run_case(case: RenameCase, path: str = "example.py") -> CaseRun:
    """The first of our steps reproducing LibCST's output (blank lines aside), else the
    first step's output."""
    first: CaseRun | None = None
    for step, options in _attempts(case):
        try:
            steps = step_from_options(step, dict(options))
        except ValueError as exc:
            first = first or CaseRun(case, step, f"<options rejected: {exc}>", False)
            continue
        out, _, problem = run_source(case.before.encode(), steps, path)
        text = out.decode() if problem is None else f"<{problem}>"
        result = CaseRun(case, step, text, _norm(text) == _norm(case.after))
        if result.same:
            return result
        if first is None or (first.output == case.before and text != case.before):
            first = result  # prefer a step that changed something
    assert first is not None
    return first
