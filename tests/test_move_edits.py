"""``rename_module`` decided from the ``ast`` (:mod:`codemods.analysis.move_edits`) gives
byte for byte what its LibCST path gives, diagnostics included, on the shapes real code has.

Every fixture case and example of the step is run both ways by ``tests/test_text_edits.py``;
this module adds the shapes the stdlib is full of (a sorted import block that re-sorts when
``unittest`` becomes a third-party name, dotted uses, strings, comments, docstrings), pins
which of them the ``ast`` decides itself, and which it must leave to LibCST's full tree.
"""

from __future__ import annotations

import pytest

from tests.text_edit_helpers import both_ways, decided_fixture_cases

SORTED_BLOCK = '''\
# a header comment
"""Tests for the thing."""

import os
import sys
import unittest
from os import path

import attr


class T(unittest.TestCase):
    def test(self):
        self.assertTrue(unittest.mock, path)
'''

CONCATENATED = """\
import importlib
import unittest

x = ('unittest.main' 'x')
y = ('see unittest here'  # and unittest
     r'unittest.mock.patch')
v = (b'unittest.x' b'unittest')
z = importlib.import_module('unittest' '')
w = ('unittest' \'\'\'
unittest.case\'\'\')
unittest.main()
"""

#: f-strings mentioning the path, as test modules write them (test_build_ext, test_regrtest):
#: LibCST reports each text part at its own position, rewrites the plain parts of a
#: concatenation, and never rewrites an f-string's text.
FSTRINGS = '''\
import textwrap
import unittest

code = textwrap.dedent(f"""
    tmp_dir = {tmp_dir!r}

    import unittest

    class Tests(unittest.TestCase):
        pass
    {{unittest}} {x:>{width}} unittest.main
    unittest.main()
""")
É = f'é {x=} unittest é'
y = (f'unittest.mock {x}'  # and unittest
     'unittest.case' rf'\\\\unittest{x}')
z = f'{x:unittest}' f"{x}" F'{{}}unittest'
w = f'\\x75nittest {x}'  # no mention: LibCST reads the text as written


class T(unittest.TestCase):
    pass
'''

DECIDED = {
    "f-strings: each text part reported at its position": FSTRINGS,
    "an f-string part in a concatenation": "import unittest\nx = (f'unittest' 'x')\n",
    "sorted block re-sorted into the third-party section": SORTED_BLOCK,
    "unsorted block left in its order": (
        "import unittest\nimport os\n\nunittest.main(module=os.name)\n"
    ),
    "unsorted block after a docstring, with a from-import": (
        '"""Doc."""\nimport unittest\nfrom os import path\nimport os.path\n\n'
        "unittest.main(path, os.path)\n"
    ),
    "unsorted block with two imports on a line (LibCST's one line)": (
        "import unittest; import os\nimport sys\n\nunittest.main(os, sys)\n"
    ),
    "sorted block whose moved import keeps its place": (
        "import os\nimport sys\nimport unittest\n\nunittest.main(os, sys)\n"
    ),
    "a blank line with spaces inside a sorted block": (
        "import os\n   \nimport unittest\n\nunittest.main()\n"
    ),
    "dotted import and its uses": (
        "import os\nimport unittest.mock\n\n\ndef f():\n    return unittest.mock.patch(os.sep)\n"
    ),
    "the module and its submodule": (
        "import os\nimport unittest\nimport unittest.mock\n\n"
        "x = unittest.mock.patch(unittest.TestCase, os)\n"
    ),
    "the submodule first": (
        "import unittest.mock\nimport unittest\n\nx = unittest.mock.patch(unittest.TestCase)\n"
    ),
    "a type comment naming other things": (
        "import unittest\nx = []  # type: list[int]\nunittest.main()\n"
    ),
    "alias": "import unittest as ut\nfrom os import path\n\nut.main()\n",
    "several names in one import": "import os, unittest, sys\n\nunittest.main(os, sys)\n",
    "from-imports, nested and multi-line": (
        "from unittest import (\n    TestCase,  # kept\n    main,\n)\n\n\ndef f():\n"
        "    from unittest.mock import patch\n    return patch, TestCase, main\n"
    ),
    "strings, comments, docstrings": (
        '"""Module docstring naming unittest."""\nimport importlib\nimport unittest\n\n'
        "# unittest is mentioned here\n"
        'A = importlib.import_module("unittest")\nB = "unittest"\nC = "unittest.mock.patch"\n'
        "D = b'unittest.x'\nE = 'it is unittest # not a comment'  # but unittest here\n\n\n"
        'def f():\n    """Uses unittest."""\n    return unittest\n\n\n'
        'def g(): "unittest in a one-line body"\n\n\nclass K:\n    "unittest docstring"\n'
    ),
    "non-ASCII text before the mentions": (
        "# -*- coding: utf-8 -*-\nimport unittest\nÉ = 'é unittest.case'  # é unittest\n"
        "x = 'ü'; unittest.main()\n"
    ),
    "string naming the module, no import": 'from unittest import mock\nmock.patch("unittest.main")\n',
    "nothing to move, mentions only": '"""About unittest."""\nimport os  # not unittest.x\n',
    "concatenated strings, each part on its own": CONCATENATED,
    "import old.sub also read as old.x: import old kept, import new.sub added": (
        "import os\nimport unittest.mock  # for patch\nfrom test import support\n\n\n"
        "@unittest.skipUnless(os.name, 'posix')\nclass T(unittest.TestCase):\n"
        "    def test(self):\n        with unittest.mock.patch('os.sep'), \\\n"
        "             unittest.mock.patch('os.defpath', ''):\n            support.x()\n\n\n"
        "if __name__ == '__main__':\n    unittest.main()\n"
    ),
    "import old.sub read only as old.x, in a sorted block": (
        "import unittest.test\n\n\ndef load_tests(*_):\n    # used by unittest\n"
        "    return unittest.test.suite(unittest.defaultTestLoader)\n"
    ),
    "a read of old.sub's package in a function, the import at the end": (
        "def f():\n    return unittest.mock.patch(unittest.main)\n\n\nimport unittest.mock\n"
    ),
    "import old.sub read as old.x only": "import unittest.mock\nunittest.main()\n",
    "strings spelling the path through escapes or a continuation": (
        "import importlib\nimport unittest\n\nA = importlib.import_module('\\x75nittest')\n"
        "B = '\\x75nittest.mock'\nC = 'unit\\\ntest.case'\nunittest.main()\n"
    ),
    "multi-line expressions, the path on an inner line only": (
        "import importlib\nimport unittest as ut\n\nx = dict(\n    a=1,\n    b=[\n"
        "        importlib.import_module(\n            'unittest',\n        ),\n"
        '        \'unittest.mock.patch\',\n    ],\n)\ny = """first line\n'
        '    unittest here\n"""\nut.main()\n'
    ),
    "from __future__ first": (
        "from __future__ import annotations\n\nimport sys\nimport unittest\n\nunittest.main()\n"
    ),
    "import old in a function only, read there and in a function inside it": (
        "def collect(info_add):\n    import unittest\n    try:\n        from test import x\n"
        "    except (ImportError, unittest.SkipTest):\n        return\n\n"
        "    def inner():\n        return unittest.main\n\n    return inner\n"
    ),
    "import old at module level, import old.sub in a method": (
        "import sys\nimport unittest\n\n\nclass T(unittest.TestCase):\n"
        "    def test(self):\n        import unittest.mock\n"
        "        with unittest.mock.patch.dict('sys.modules'):\n"
        "            del sys.modules['unittest.mock']\n\n    def other(self):\n"
        "        return unittest.main\n\n\nif __name__ == '__main__':\n    unittest.main()\n"
    ),
    "the same import in a function and in a block of it": (
        "def f(x):\n    import unittest\n    if x:\n        import unittest\n"
        "    return unittest.main\n"
    ),
    "a nested sorted block with a moved import": (
        "def f():\n    import os\n    import unittest\n    return os, unittest\n"
    ),
    "a nested sorted block with a moved from-import, then a class": (
        "import sys\n\nif hasattr(sys, 'x'):\n    import multiprocessing\n"
        "    from unittest.mock import patch\n\n    class T:\n        def f(self):\n"
        "            return patch, multiprocessing\n"
    ),
    "a nested sorted block after a docstring and a blank line, two levels deep": (
        "class K:\n    def f(self):\n        \"\"\"Doc.\"\"\"\n\n        import os\n"
        "        import sys\n        import unittest.mock\n        import zlib\n"
        "        return os, sys, unittest.mock, zlib\n"
    ),
    "a nested sorted block in sections, with spaces on a blank line after it": (
        "def f():\n    import os\n    from unittest import mock\n\n    import attr\n"
        "    \n    return os, mock, attr\n"
    ),
    "a nested block not in isort's order: left as it is": (
        "def f():\n    import unittest\n    import os\n    return os, unittest\n"
    ),
    "a nested block indented with a tab": (
        "def f():\n\timport os\n\tfrom unittest import mock\n\treturn os, mock\n"
    ),
    "an f-string reading it": "import unittest\nx = f'{unittest.main}'\n",
    "reads in f-strings' braces: a format spec, a conversion, a multi-line f-string": (
        "import unittest\n\nx = f'{unittest}'\ny = f'{a:>{unittest.w}} {unittest.main!r}'\n"
        "z = (f'{a}'\n     f\"\"\"{b}\n  {unittest.case.TestCase} {'x'} {unittest}\"\"\")\n"
    ),
    "the same import at module level and in an if block": (
        "import unittest\n\n\nclass T(unittest.TestCase):\n    def test(self):\n"
        "        return unittest.mock\n\n\nif __name__ == '__main__':\n"
        "    import unittest\n    unittest.main()\n"
    ),
}

UNDECIDED = {
    "a local named like the module": (
        "import unittest\n\n\ndef f():\n    unittest = 1\n    return unittest\n"
    ),
    "alternative imports": (
        "try:\n    import unittest\nexcept ImportError:\n    unittest = None\n"
    ),
    "the name in an f-string's text beside a read in its braces": (
        "import unittest\nx = f'unittest: {unittest}'\n"
    ),
    "a read in an f-string nested in another's braces": (
        "import unittest\nx = f'{f\"{unittest.main}\"}'\n"
    ),
    "a string naming it inside an f-string's braces": (
        "import unittest\nx = f'{d[\"unittest.mock\"]}'\n"
    ),
    "a string spelling it with escapes inside an f-string's braces": (
        "import unittest\nx = f'{d[\"\\x75nittest.mock\"]}'\nunittest.main()\n"
    ),
    "the new name is used already": "import unittest\nunittest2 = unittest\n",
    "a read before the import at module level (LibCST leaves it)": (
        "x = unittest.main\nimport unittest\nunittest.main()\n"
    ),
    "a read of old.sub before its import at module level": (
        "x = unittest.mock.patch\nimport unittest.mock\nunittest.mock.patch()\n"
    ),
    "two reads on a line after non-ASCII text (LibCST's columns are characters)": (
        "import unittest\nx = 'é'; unittest.main(unittest.defaultTestLoader)\n"
    ),
    "import old.sub also read as old.x, not alone on its line": (
        "import unittest.mock; import os\nunittest.main(unittest.mock.patch, os)\n"
    ),
    "import old.sub also read as old.x, in an if block": (
        "if True:\n    import unittest.mock\nunittest.main(unittest.mock.patch)\n"
    ),
    "the module imported twice": "import unittest\nimport unittest\nunittest.main()\n",
    "a spaced chain": "import unittest\nimport unittest.mock\nunittest . mock.patch()\n",
    "a type comment": "import unittest\nx = None  # type: unittest.TestCase\n",
    "a concatenated docstring": '"unittest" "doc"\nimport unittest\nunittest.main()\n',
    "a read in a function before its own import of it": (
        "import unittest\n\n\ndef f():\n    unittest.main()\n    import unittest\n"
    ),
    "import old in a class body": "class K:\n    import unittest\n    x = unittest.main\n",
    "the same import twice, a class body reading it before the second": (
        "import unittest\n\n\nclass T:\n    case = unittest.TestCase\n\n\n"
        "if __name__ == '__main__':\n    import unittest\n    unittest.main()\n"
    ),
    "the same import twice in a function's block": (
        "def f(x):\n    import unittest\n    import unittest\n    return unittest.main\n"
    ),
    "a nested block's imports after a comment": (
        "def f():\n    # the imports\n    import os\n    import unittest\n    return os, unittest\n"
    ),
    "a nested block's imports in an else block": (
        "if x:\n    pass\nelse:\n    import os\n    import unittest\n    y = os, unittest\n"
    ),
    "a nested block's imports on its header's line": (
        "if x: import os; import unittest\ny = os, unittest\n"
    ),
}


def _both_ways(
    source: str, monkeypatch: pytest.MonkeyPatch, path: str = "t.py"
) -> tuple[object, object, bool]:
    options = {"old": "unittest", "new": "unittest2"}
    fast, slow, decided = both_ways("rename_module", options, source, monkeypatch, path)
    return fast, slow, decided == [True]


#: Files of the moved package itself (as ``unittest/loader.py`` is): its relative imports move
#: with it and stay as they are; its absolute imports of itself are rewritten.
INSIDE = {
    "relative imports of siblings and of the package": (
        "unittest/loader.py",
        '''"""Loading unittest test cases."""

import os
import unittest.util
from fnmatch import fnmatch

from . import case, suite, util
from .suite import _isnotsuite  # the suite, as unittest names it


class TestLoader:
    suiteClass = suite.TestSuite
    x = unittest.util.safe_repr(case, util, fnmatch, os, _isnotsuite)
''',
    ),
    "the package's own __init__": (
        "unittest/__init__.py",
        '"""Python unit testing framework (unittest)."""\n\n__all__ = ["TestCase"]\n'
        "from .case import TestCase\nfrom .main import main\n",
    ),
    "a subpackage reaching up": (
        "unittest/test/testmock/testx.py",
        "from ... import case\nfrom ...mock import patch\n\npatch(case, 'unittest.case.x')\n",
    ),
}


@pytest.mark.parametrize("shape", sorted(INSIDE))
def test_relative_imports_inside_the_moved_package_are_decided_as_libcst_does(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, source = INSIDE[shape]
    fast, slow, decided = _both_ways(source, monkeypatch, path)
    assert fast == slow
    assert decided, "fell back to LibCST"


def test_an_alternative_relative_import_inside_the_moved_package_is_left_to_libcst(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = "try:\n    from . import case\nexcept ImportError:\n    case = 'unittest'\n"
    fast, slow, decided = _both_ways(source, monkeypatch, "unittest/x.py")
    assert fast == slow
    assert not decided


@pytest.mark.parametrize("shape", sorted(DECIDED))
def test_the_ast_decides_the_common_shapes_as_libcst_does(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow, decided = _both_ways(DECIDED[shape], monkeypatch)
    assert fast == slow
    assert decided, "fell back to LibCST"


@pytest.mark.parametrize("shape", sorted(UNDECIDED))
def test_unusual_shapes_are_left_to_libcsts_full_tree(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow, decided = _both_ways(UNDECIDED[shape], monkeypatch)
    assert fast == slow
    assert not decided


def test_the_sorted_block_is_resorted_exactly_as_the_libcst_path_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, _, decided = _both_ways(SORTED_BLOCK, monkeypatch)
    assert decided
    new = fast[1]  # type: ignore[index]
    assert new.decode().startswith(  # type: ignore[union-attr]
        '# a header comment\n"""Tests for the thing."""\n\nimport os\nimport sys\n'
        "from os import path\n\nimport attr\nimport unittest2\n\n\n"
        "class T(unittest2.TestCase):"
    )


#: The fixture cases of ``rename_module`` the ``ast`` decides itself; every other case goes to
#: LibCST's full tree (relative imports into the moved package, ``from pkg import old``,
#: parent-package chains, alternative imports, locals rebinding the name, the new path already
#: imported, the new path extending the old one, a nested sorted import block that changes).
#: ``tests/test_text_edits.py`` runs every case both ways and requires identical results.
DECIDED_CASES = {
    "nested_block_resorted_blank_line_without_spaces",
    "comments_and_docstrings_reported_not_rewritten",
    "from_import_layout_and_aliases_kept",
    "import_module_and_dotted_uses",
    "module_and_its_submodule_both_imported",
    "one_word_module_strings_only_where_loaded",
    "relative_imports_inside_the_moved_package_stay",
    "similar_names_unchanged",
    "star_import_moves_with_the_module",
    "strings_naming_the_module",
    "submodules_move_too",
    "target_verification_warns",
    "top_level_module",
}


def test_f_string_text_parts_are_reported_one_by_one_and_never_rewritten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, _, decided = _both_ways(FSTRINGS, monkeypatch)
    assert decided
    _, new, diagnostics, _ = fast  # type: ignore[misc]
    assert new.decode() == (
        FSTRINGS.replace(
            "import textwrap\nimport unittest\n", "import textwrap\n\nimport unittest2\n"
        )
        .replace("'unittest.case'", "'unittest2.case'")
        .replace("class T(unittest.", "class T(unittest2.")
    )
    mentions = [(d.line, d.column, d.message.split()[0]) for d in diagnostics]
    # each text part where it starts: after `{tmp_dir!r}`, after `{x:>{width}}`, after `{x=}`
    # ...; the format spec's text; the comment between the parts of the concatenation
    assert mentions == [
        (5, 26, "string"),
        (11, 30, "string"),
        (14, 13, "string"),
        (15, 8, "string"),
        (15, 28, "comment"),
        (16, 25, "string"),
        (17, 10, "string"),
        (17, 30, "string"),
    ]


def test_which_fixture_cases_the_ast_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decided_fixture_cases("rename_module", monkeypatch) == DECIDED_CASES
