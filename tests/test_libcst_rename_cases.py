"""LibCST's own ``RenameCommand`` test cases through our rename steps.

Every case's output must compile and gain no pyflakes problem; a case whose output differs
from LibCST's must be listed in :data:`DIFFERS` with the reason ours is right (the README
lists the same). A case that starts or stops matching fails here, so the list stays true.
"""

from __future__ import annotations

import pytest

from codemods.libcst_cases import load_cases, run_case
from codemods.oracle import compiles, pyflakes_counts

KEEPS_ALIAS = "the alias the user chose stays (`from baz import qux as bla`); LibCST drops it"
LAYOUT = "ours adds the moved name beside the old import (isort's place), as its own statement"
COLON = (
    "`new` names an attribute of a module-level name (`g.h:i.j`) or a trailing/leading `:`: "
    "rename_symbol moves module-level names and renames class attributes only; the options "
    "are rejected with a clear error"
)
DIFFERS = {
    "test_rename_name_asname": KEEPS_ALIAS,
    "test_rename_repeated_name_with_asname": KEEPS_ALIAS,
    "test_rename_attr_asname": "`import foo as bar; bar.qux` -> ours imports the moved name "
    "(`from baz import quux`) instead of a new module binding; both run",
    "test_rename_attr_asname_2": KEEPS_ALIAS + " (`import baz.quux as bar`)",
    "test_rename_local_variable": "`x` is not a dotted path: our steps rename imported things, "
    "never a module's own variable",
    "test_comma_import_from_parens": LAYOUT + "; the closing parenthesis keeps its column",
    "test_no_removal_of_import_in_use": LAYOUT + " (`import a` / `import z`, not `import a, z`, "
    "which pycodestyle's E401 flags)",
    "test_no_removal_of_dotted_import_in_use": LAYOUT + " (`import a.b` / `import z.b`)",
    "test_input_with_colon_sep": COLON,
    "test_input_with_colon_sep_at_the_end": COLON,
    "test_input_with_colon_sep_at_the_front": COLON,
    "test_import_parent_module_3": COLON,
    "test_import_parent_module_asname": "`import a.b as alias; alias.c(alias.c.d)` -> ours "
    "`from z import c; c(c.d)` (the moved name itself), LibCST `import z; z.c(z.c.d)`",
    "test_push_down_toplevel_names_with_asname": KEEPS_ALIAS + " (`import quux.foo as bar`)",
    "test_other_unused_imports_untouched": "the sorted block stays sorted (`import b` / "
    "`import c`, as isort and ruff's `I` want); LibCST leaves `import c` where `import a` was",
}

CASES = load_cases()


@pytest.mark.skipif(not CASES, reason="the installed LibCST ships no test_rename.py")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_libcst_rename_case(case) -> None:  # type: ignore[no-untyped-def]
    result = run_case(case)
    if case.name in DIFFERS:
        assert not result.same, f"{case.name} now matches LibCST: drop it from DIFFERS/README"
    else:
        assert result.same, f"differs from LibCST:\n{result.output}\nexpected:\n{case.after}"
    if result.output.startswith("<"):
        return  # options rejected (see DIFFERS)
    data = result.output.encode()
    assert compiles(data)
    before, after = pyflakes_counts(case.before.encode()), pyflakes_counts(data)
    assert before is not None and after is not None
    kinds = {"UndefinedName", "UndefinedLocal", "RedefinedWhileUnused"}
    assert not {k: n for k, n in (after - before).items() if k[0] in kinds}, result.output


def test_cases_were_found() -> None:
    if CASES:
        assert len(CASES) >= 40
