"""``rename_symbol`` decided from the ``ast`` (:mod:`codemods.analysis.symbol_edits`) gives
byte for byte what its LibCST path gives, diagnostics included, on the shapes real code has.

Every fixture case and example of the step is run both ways by ``tests/test_text_edits.py``;
this module adds the shapes of a whole-stdlib ``unittest.TestCase`` rename (``import
unittest`` beside ``import unittest.mock``, a sorted block, strings, comments, docstrings),
pins which of them the ``ast`` decides itself, and which it must leave to LibCST's full tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codemods.steps import Step, all_steps
from tests.text_edit_helpers import both_ways, decided_fixture_cases

SAME_MODULE = {"old": "unittest.TestCase", "new": "unittest.BaseTestCase"}
MOVED = {"old": "app.core.Registry", "new": "app.agents.Registry"}
MOVED_RENAMED = {"old": "app.core.Registry", "new": "app.agents.AgentRegistry"}
JOIN = {"old": "os.path.join", "new": "os.path.join_paths"}
PATCH = {"old": "unittest.mock.patch", "new": "unittest.mock.patch_it"}

SORTED_BLOCK = '''\
"""Tests for the thing (a unittest.TestCase subclass)."""

import os
import unittest
import unittest.mock
from unittest import mock

import attr


class T(unittest.TestCase):  # a unittest TestCase
    def test(self):
        with unittest.mock.patch("os.sep"), mock.patch("unittest.TestCase.run"):
            self.assertTrue(os, attr)
'''

DECIDED = {
    "a read before the import in a class body (another scope: LibCST's reference)": (
        "class K:\n    x = TestCase\n\n\nfrom unittest import TestCase\n\n\n"
        "class T(TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "__all__ before the import": (
        "__all__ = ['TestCase', 'main']\nfrom unittest import TestCase, main\n\n\n"
        "class T(TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "f-strings: each text part reported, never rewritten, the binding renamed": (
        'import textwrap\nfrom unittest import TestCase\n\ncode = textwrap.dedent(f"""\n'
        '    import unittest\n    class T(unittest.TestCase): {body}\n""")\n'
        "q = f'TestCase.test_x.<locals>.{name}'\n"
        "y = (f'from unittest {x} TestCase' 'unittest.TestCase.run' f'{x:unittest.TestCase}')\n\n\n"
        "class T(TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "concatenated strings naming the path, each part on its own": (
        "import unittest\n\nx = ('unittest.TestCase.run' 'x')\n"
        "y = ('see unittest.TestCase here'  # unittest.TestCase\n     'unittest.TestCase')\n"
        "class T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "import unittest and its dotted uses": (
        "import unittest\n\n\nclass T(unittest.TestCase):\n    pass\n\n\nunittest.main()\n",
        SAME_MODULE,
    ),
    "import unittest beside import unittest.mock, a sorted block": (SORTED_BLOCK, SAME_MODULE),
    "import unittest.mock after an unrelated import": (
        "import unittest\nimport os\nimport unittest.mock\n\n"
        "class T(unittest.TestCase):\n    x = unittest.mock.sentinel\n",
        SAME_MODULE,
    ),
    "import unittest as ut": (
        "import unittest as ut\n\n\nclass T(ut.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "from unittest import TestCase, every read renamed": (
        "from unittest import TestCase, main\n\n\nclass T(TestCase):\n"
        "    def f(self) -> 'TestCase':\n        return TestCase.run\n\n\n"
        '__all__ = ["T", "TestCase"]\nmain()\n',
        SAME_MODULE,
    ),
    "from unittest import TestCase as TC": (
        "from unittest import (\n    TestCase as TC,  # kept\n    main,\n)\n\nclass T(TC):\n    pass\n",
        SAME_MODULE,
    ),
    "a name the import does not bind, in a string": (
        "from unittest import TestCase\n\nNAME = 'TestCase'\nclass T(TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "strings naming the path, comments and docstrings": (
        "import unittest\nfrom unittest import mock\n\n"
        "# unittest.TestCase is renamed here\n"
        "@mock.patch('unittest.TestCase.run')\n"
        "def f():\n    '''Uses unittest's TestCase.'''\n    return unittest.TestCase\n",
        SAME_MODULE,
    ),
    "nothing to rename, mentions only": (
        "'''About unittest and TestCase.'''\nimport os  # unittest.TestCase\n",
        SAME_MODULE,
    ),
    "import unittest.mock alone: import unittest added": (
        "import os\nimport unittest.mock\n\n\nclass T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "import unittest.mock alone, unsorted, with a comment": (
        "import unittest.mock  # for mock\nimport os\nclass T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "the new name is a class of the module: imported under the old name": (
        "from unittest import TestCase, main\n\n\nclass BaseTestCase(TestCase):\n"
        "    pass\n\n\nmain()\n",
        SAME_MODULE,
    ),
    "a partial move out of a one-line import, a sorted block": (
        "import os\nfrom app.core import Registry, helper\n\nRegistry(helper, os)\n",
        MOVED,
    ),
    "a partial move of the last name, unsorted, renamed, with a comment": (
        "from app.core import helper , Registry  # c\nimport os\n\n"
        "x: 'Registry' = Registry(helper, os)\n",
        MOVED_RENAMED,
    ),
    "a partial move of a middle name, kept under its old name": (
        "from app.core import a, Registry, b\n\n\nclass AgentRegistry(Registry):\n    pass\n",
        MOVED_RENAMED,
    ),
    "the old module reached through its parent": (
        "import app\n\napp.core.Registry()\n",
        MOVED,
    ),
    "import os, read as os.path.join": (
        "import os\nimport sys\n\n\ndef f(p):\n    return os.path.join(p, sys.prefix)\n",
        JOIN,
    ),
    "import os.path, read as os.path.join": (
        "import os.path\n\nx = os.path.join('a', os.path.sep)  # os.path.join it\n",
        JOIN,
    ),
    "from unittest import mock, read as mock.patch": (
        "import os\nfrom unittest import mock\n\n\n@mock.patch('os.sep')\ndef f(m):\n"
        "    return mock.patch.object(os, 'sep')\n",
        PATCH,
    ),
    "a from-import whose only name moves": (
        "from app.core import Registry\n\nx: Registry = Registry()\n",
        MOVED,
    ),
    "another from-import of the module in the leading block: merged as LibCST merges": (
        "from unittest import TestCase\nfrom unittest import main\nclass T(TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "another from-import of the module, an unsorted leading block": (
        "from unittest import mock\nfrom test import support\nfrom unittest import TestCase\n"
        "from io import StringIO\n\nimport os\nimport unittest\n\n\n"
        "class T(TestCase):\n    x = mock, support, StringIO, os, unittest.main\n",
        SAME_MODULE,
    ),
    "a moved name beside a from-import of the new module": (
        "from app.agents import helper\nfrom app.core import Registry\n\nRegistry(helper)\n",
        MOVED,
    ),
    "another from-import of the module in a function's leading block": (
        "def f():\n    from unittest import TestCase\n    from unittest import main\n"
        "    return TestCase, main\n",
        SAME_MODULE,
    ),
    "import old at module level, import old.sub in a method that reads none of it": (
        "import sys\nimport unittest\n\n\nclass T(unittest.TestCase):\n"
        "    def test(self):\n        import unittest.mock\n"
        "        del sys.modules['unittest.mock']\n\n\nunittest.main()\n",
        SAME_MODULE,
    ),
    "import old in a function that reads none of it, every module-level read moved": (
        "import unittest\n\n\ndef f():\n    import unittest\n    return 1\n\n\n"
        "class T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "an f-string reading it": (
        "import unittest\nx = f'{unittest.TestCase}'\n",
        SAME_MODULE,
    ),
    "an f-string reading the module otherwise": (
        "import unittest\n\nx = f'{unittest!r:>{unittest.w}}'\n\n\nclass T(unittest.TestCase):\n"
        "    pass\n",
        SAME_MODULE,
    ),
    "the same import at module level and in an if block": (
        "import unittest\n\n\nclass T(unittest.TestCase):\n    def test(self):\n"
        "        return unittest.TestCase, unittest.mock\n\n\nclass U(unittest.TestCase):\n"
        "    pass\n\n\nif __name__ == '__main__':\n    import unittest\n    unittest.main()\n",
        SAME_MODULE,
    ),
    "a nested sorted block the moved import re-sorts": (
        "def f():\n    import os\n\n    from app.b import helper\n"
        "    from app.core import Registry\n    return Registry(os, helper)\n",
        MOVED,
    ),
    "a from-import whose only name moves and is renamed": (
        "import os\nfrom app.core import Registry\n\n\ndef f(r: 'Registry') -> None:\n"
        "    return Registry(os.sep)\n",
        MOVED_RENAMED,
    ),
}

UNDECIDED = {
    "a local named like the import": (
        "from unittest import TestCase\n\n\ndef f():\n    TestCase = 1\n    return TestCase\n",
        SAME_MODULE,
    ),
    "alternative imports": (
        "try:\n    import unittest\nexcept ImportError:\n    unittest = None\n"
        "class T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "the name in an f-string's text beside a read in its braces": (
        "import unittest\nx = f'unittest {unittest.TestCase}'\n",
        SAME_MODULE,
    ),
    "a read before the import in its scope (not one of LibCST's references)": (
        "x = TestCase\nfrom unittest import TestCase\n\n\nclass T(TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "a dotted read before import unittest": (
        "x = unittest.TestCase\nimport unittest\n\n\nclass T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "a quoted annotation before the import": (
        "def f(x: 'TestCase'):\n    pass\n\n\nfrom unittest import TestCase\n\nTestCase()\n",
        SAME_MODULE,
    ),
    "a string in an f-string's braces a type checker reads": (
        "from typing import cast\nfrom unittest import TestCase\n\nx = f'{cast(\"TestCase\", y)}'\n",
        SAME_MODULE,
    ),
    "a plain part of a concatenation with an f-string in an annotation": (
        "from unittest import TestCase\n\n\ndef f(x: ('TestCase' f'{y}')):\n    return TestCase\n",
        SAME_MODULE,
    ),
    "import unittest.mock in a function": (
        "def f():\n    import unittest.mock\n\n    class T(unittest.TestCase):\n        pass\n",
        SAME_MODULE,
    ),
    "import old in a function read there, beside the module's": (
        "import unittest\n\n\ndef f():\n    import unittest\n    return unittest.TestCase\n\n\n"
        "class T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "import old in a function, read there before it": (
        "import unittest\n\n\ndef f():\n    x = unittest.main\n    import unittest.mock\n"
        "    return x\n\n\nclass T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "the same import twice, every read after them moved": (
        "import unittest\n\nif x:\n    import unittest\n\n\nclass T(unittest.TestCase):\n"
        "    pass\n",
        SAME_MODULE,
    ),
    "the same import twice in one block": (
        "import unittest\nimport unittest\n\n\nclass T(unittest.TestCase):\n    pass\n\n\n"
        "unittest.main()\n",
        SAME_MODULE,
    ),
    "the same import twice, the name moved to another module": (
        "import app.core\n\nif x:\n    import app.core\n\napp.core.Registry()\napp.core.x()\n",
        MOVED,
    ),
    "patch.object on the module": (
        "import unittest\nfrom unittest import mock\n\nmock.patch.object(unittest, 'TestCase')\n"
        "class T(unittest.TestCase):\n    pass\n",
        SAME_MODULE,
    ),
    "the new name is in the file": (
        "from unittest import TestCase\n\n\ndef f(BaseTestCase=TestCase):\n    return BaseTestCase\n",
        SAME_MODULE,
    ),
    "another from-import of the module, both after code in a block (a run LibCST merges in)": (
        "def f():\n    x = 1\n    from unittest import TestCase\n    from unittest import main\n"
        "    return TestCase, main, x\n",
        SAME_MODULE,
    ),
    "a string a type checker reads": (
        "from typing import cast\nfrom unittest import TestCase\n\nx = cast('TestCase', None)\n",
        SAME_MODULE,
    ),
    "a type comment": (
        "from unittest import TestCase\nx = None  # type: TestCase\n",
        SAME_MODULE,
    ),
    "a star import of the module": ("from unittest import *\nx = TestCase\n", SAME_MODULE),
    "a partial move out of a parenthesised import": (
        "from app.core import (\n    Registry,  # moved\n    helper,\n)\n\nRegistry(helper)\n",
        MOVED,
    ),
    "a partial move inside a function": (
        "def f():\n    from app.core import Registry, helper\n\n    return Registry(helper)\n",
        MOVED,
    ),
    "import old with other uses, module changed": (
        "import app.core\n\napp.core.Registry(app.core.helper)\n",
        MOVED,
    ),
    "the old module reached through its parent, moved out of the package": (
        "import app\n\napp.core.Registry()\n",
        {"old": "app.core.Registry", "new": "lib.agents.Registry"},
    ),
    "import pkg in a function, read as pkg.mod.A": (
        "def f():\n    import os\n    return os.path.join('a')\n",
        JOIN,
    ),
    "from pkg import mod with other uses of mod": (
        "from unittest import mock\n\nmock.patch(mock.sentinel)\n",
        PATCH,
    ),
    "from pkg import mod read in a quoted annotation": (
        "from unittest import mock\n\n\ndef f(p: 'mock.Mock'):\n    return mock.patch(p)\n",
        PATCH,
    ),
    "import a.b beside import a": (
        "import os\nimport os.path\n\nos.path.join(os.sep)\n",
        JOIN,
    ),
}


def _both_ways(
    source: str, options: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[object, object, bool]:
    fast, slow, decided = both_ways("rename_symbol", options, source, monkeypatch)
    return fast, slow, decided[:1] == [True]


@pytest.mark.parametrize("shape", sorted(DECIDED))
def test_the_ast_decides_the_common_shapes_as_libcst_does(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, options = DECIDED[shape]
    fast, slow, decided = _both_ways(source, options, monkeypatch)
    assert fast == slow
    assert decided, "fell back to LibCST"


@pytest.mark.parametrize("shape", sorted(UNDECIDED))
def test_unusual_shapes_are_left_to_libcsts_full_tree(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, options = UNDECIDED[shape]
    fast, slow, decided = _both_ways(source, options, monkeypatch)
    assert fast == slow
    assert not decided


def test_the_common_stdlib_shape_is_renamed_with_its_mentions_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, _, decided = _both_ways(SORTED_BLOCK, SAME_MODULE, monkeypatch)
    assert decided
    _, new, diagnostics, _ = fast  # type: ignore[misc]
    assert new.decode() == SORTED_BLOCK.replace(
        "class T(unittest.TestCase)", "class T(unittest.BaseTestCase)"
    ).replace('"unittest.TestCase.run"', '"unittest.BaseTestCase.run"')
    assert [(d.kind, d.line) for d in diagnostics] == [("mention", 1), ("mention", 11)]


def test_a_project_that_lacks_the_new_name_is_warned_about_at_each_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the stdlib copy has a `unittest` package without `BaseTestCase`: one warning per
    # import that now refers to it, at its line, exactly as the LibCST path gives them
    from codemods.engine import make_plan, run
    from codemods.recipe import RecipeLoader

    (tmp_path / "unittest").mkdir()
    (tmp_path / "unittest" / "__init__.py").write_text("class TestCase:\n    pass\n")
    (tmp_path / "test_x.py").write_text(
        "import unittest\nimport unittest.mock\nfrom unittest import TestCase as TC\n\n"
        "class T(unittest.TestCase, TC):\n    x = unittest.mock.sentinel\n"
    )
    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text(
        "title: t\ndescription: t.\nsteps:\n  - rename_symbol:\n"
        "      old: unittest.TestCase\n      new: unittest.BaseTestCase\n"
    )

    def results() -> list[tuple[object, ...]]:
        recipe = RecipeLoader().load(str(recipe_file))
        plan = make_plan(recipe, [tmp_path])
        return [
            (Path(r.path).name, r.status, r.new, r.diagnostics)
            for r in sorted(run(plan, jobs=1), key=lambda r: str(r.path))
        ]

    step_type = all_steps()["rename_symbol"]
    fast = results()
    with monkeypatch.context() as patch:
        patch.setattr(step_type, "edit", Step.edit)
        slow = results()
    assert fast == slow
    (changed,) = [r for r in fast if r[0] == "test_x.py"]
    assert [(d.line, d.message) for d in changed[3]] == [  # type: ignore[attr-defined]
        (3, "rewrote the import to `unittest`, which does not define `BaseTestCase`"),
        (1, "rewrote the import to `unittest`, which does not define `BaseTestCase`"),
        (2, "rewrote the import to `unittest`, which does not define `BaseTestCase`"),
    ]


#: The fixture cases of ``rename_symbol`` the ``ast`` decides itself; every other case goes to
#: LibCST's full tree (class attributes, the extended forms, builtins targets, the defining
#: module, reused names, partial moves, relative imports to re-spell, parent-package chains,
#: names bound twice, the new name taken, merges into another from-import, type comments).
#: ``tests/test_text_edits.py`` runs every case both ways and requires identical results.
DECIDED_CASES = {
    "from_import",
    "from_import_alias_kept",
    "import_module_as",
    "merged_as_name_kept_separate",
    "merged_import_wrapped_at_line_length",
    "merged_in_a_function_block",
    "merged_into_existing_from_import",
    "merged_into_parenthesised_one_per_line",
    "move_and_rename_every_use",
    "move_and_rename_existing_alias_kept",
    "module_beside_its_submodule_import",
    "move_and_rename_keep_old_name_as_alias",
    "move_and_rename_new_name_taken",
    "name_reached_through_parent_same_package",
    "other_module_defining_the_same_name_untouched",
    "other_modules_and_names_unchanged",
    "parenthesised_multiline_layout_kept",
    "partial_move_one_line",
    "partial_move_and_rename_with_all",
    "same_module_rename_adds_no_duplicate_import",
    "same_module_rename_every_read_and_all",
    "same_module_rename_relative_and_partial",
    "strings_naming_the_path",
    "target_lacks_the_name_warns",
    "target_module_missing_warns",
}


def test_which_fixture_cases_the_ast_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decided_fixture_cases("rename_symbol", monkeypatch) == DECIDED_CASES
