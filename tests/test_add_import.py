"""``add_needed_import`` puts ``import x`` exactly where LibCST's ``AddImportsVisitor`` does.

The steps that add ``import pytest`` / ``import pytest_asyncio`` used the visitor, which walks
and copies the whole tree; the helper decides from the top-level statements alone. LibCST's
visitor is the reference on every shape of module top below.
"""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from codemods.analysis.imports import add_needed_import

SOURCES = {
    "empty": "",
    "only a comment": "# just a comment\n",
    "docstring only": '"""Doc."""\n',
    "docstring, future, imports, code": (
        '"""Doc."""\nfrom __future__ import annotations\n\nimport os\nfrom a import (\n'
        "    b,  # keep\n)\n\n\ndef f():\n    pass\n"
    ),
    "strict flag": "__strict__ = True\nimport os\nx = 1\n",
    "comment above the first statement after the imports": "import os\n# about x\nx = 1\n",
    "blank line then comment": "import os\n\n# about x\nx = 1\n",
    "already imported at the top": "import os\nimport pytest\n\nx = 1\n",
    "imported as an alias": "import pytest as pt\n\nx = 1\n",
    "imported with others": "import os, pytest\n\nx = 1\n",
    "imported only later": "x = 1\nimport pytest\n",
    "two imports on one line": "import os; import sys\nx = 1\n",
    "import inside if": "if True:\n    import os\nx = 1\n",
    "concatenated docstring": '"""a""" """b"""\nimport os\n',
    "f-string first": 'f"{1}"\nimport os\n',
    "docstring and assignment on one line": '"""Doc."""; x = 1\nimport os\n',
    "shebang and encoding": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nimport os\n",
    "code only": "def test_x():\n    pass\n",
    "crlf": "import os\r\n\r\ndef f():\r\n    pass\r\n",
    "submodule import": "import pytest.mark\nx = 1\n",
}


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
@pytest.mark.parametrize("name", ["pytest", "pytest_asyncio"])
def test_same_place_as_libcst_add_imports_visitor(source: str, name: str) -> None:
    module = cst.parse_module(source)
    context = CodemodContext()
    AddImportsVisitor.add_needed_import(context, name)
    expected = AddImportsVisitor(context).transform_module(module).code
    assert add_needed_import(module, name).code == expected
