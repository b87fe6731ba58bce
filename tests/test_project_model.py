"""One model of the project: doctor and the steps give the same answer about every name.

``tests/fixtures/project_model/`` has a ``src/`` layout with a pytest ``pythonpath`` base dir
(``vendor/``), a namespace package (``plugins/payments/``), a re-export through ``__all__``, a
star import honouring ``__all__``, and a module ``__getattr__``. For each row of ``TABLE``
doctor is asked about ``from MODULE import NAME`` and ``rename_symbol`` moves a name to
``MODULE.NAME``; both must say the same: exists, missing name, missing module, or cannot know.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from codemods.analysis.project import ProjectIndex, find_root
from codemods.doctor import diagnose
from codemods.doctor.recipe import write_recipe
from codemods.engine.run import make_plan, run
from codemods.recipe import RecipeLoader
from codemods.testing import case_context
from tests.conftest import FIXTURES

#: (module, name, verdict): "ok" exists; "name" missing name; "module" missing module;
#: "open" cannot be known (neither reports anything).
TABLE = [
    ("shop", "Order", "ok"),  # re-exported from .models in __init__
    ("shop", "Ghost", "name"),  # listed in __all__, bound nowhere
    ("shop", "models", "ok"),  # a submodule
    ("shop.models", "VERSION", "ok"),
    ("shop.models", "Invoice", "name"),
    ("shop.api", "Order", "ok"),  # through `from shop.models import *`
    ("shop.api", "VERSION", "name"),  # not in models.__all__: the star import skips it
    ("shop.api", "connect", "ok"),
    ("shop.lazy", "anything", "open"),  # module __getattr__
    ("shop.gone", "Order", "module"),
    ("plugins.payments.stripe_gateway", "Gateway", "ok"),  # namespace packages
    ("plugins.payments.stripe_gateway", "Checkout", "name"),
    ("plugins.payments.paypal", "Gateway", "module"),
    ("legacy_tools", "old_helper", "ok"),  # vendor/ is on pytest's pythonpath
    ("legacy_tools", "new_helper", "name"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project_model"
    shutil.copytree(FIXTURES / "project_model", root)
    return root


def _doctor_verdicts(root: Path) -> dict[tuple[str, str], str]:
    lines = [f"from {module} import {name}\n" for module, name, _ in TABLE]
    (root / "tests" / "test_imports.py").write_text("".join(lines))
    report = diagnose([root])
    verdicts = {(module, name): "ok" for module, name, _ in TABLE}
    for finding in report.findings:
        assert finding.file == "tests/test_imports.py", finding
        module, name, _ = TABLE[(finding.line or 0) - 1]
        kind = {"missing-name": "name", "missing-module": "module"}[finding.kind]
        verdicts[(module, name)] = kind
    return verdicts


def _rename_symbol_verdicts(root: Path) -> dict[tuple[str, str], str]:
    steps = []
    for index, (module, name, _) in enumerate(TABLE):
        (root / "tests" / f"move_{index}.py").write_text(
            f"from old_home_{index} import {name}\n\nprint({name})\n"
        )
        steps.append(
            f"  - rename_symbol:\n      old: 'old_home_{index}:{name}'\n"
            f"      new: '{module}:{name}'\n"
        )
    recipe = root / "move-everything.yaml"
    recipe.write_text(
        "title: Move every name\ndescription: Moves each name of the table.\nsteps:\n"
        + "".join(steps)
    )
    plan = make_plan(RecipeLoader().load(str(recipe)), [root / "tests"])
    verdicts: dict[tuple[str, str], str] = {}
    for result in run(plan, jobs=1):
        found = re.fullmatch(r"move_(\d+)\.py", Path(result.relpath).name)
        if found is None:
            continue
        module, name, _ = TABLE[int(found[1])]
        assert result.new is not None, result.relpath  # the rewrite happens either way
        messages = [d.message for d in result.diagnostics if d.kind == "warning"]
        verdict = "ok"
        if any("does not exist" in m for m in messages):
            verdict = "module"
        elif any(f"does not define `{name}`" in m for m in messages):
            verdict = "name"
        verdicts[(module, name)] = verdict
    return verdicts


def test_doctor_and_rename_symbol_agree_on_every_name(project: Path) -> None:
    expected = {(m, n): v.replace("open", "ok") for m, n, v in TABLE}
    assert _doctor_verdicts(project) == expected
    assert _rename_symbol_verdicts(project) == expected


@pytest.mark.parametrize(("module", "name", "verdict"), TABLE)
def test_lookup_answers_the_table(project: Path, module: str, name: str, verdict: str) -> None:
    index = ProjectIndex(project)
    kind = index.lookup(module, name).kind
    if verdict == "module":
        assert not index.exists(module)
    elif verdict == "name":
        assert kind == "missing" and index.defines(module, name) is False
    elif verdict == "open":
        assert kind == "open" and index.defines(module, name) is None
    else:
        assert kind in ("def", "module", "bound") and index.defines(module, name) is True


def test_module_of_uses_the_import_roots(project: Path) -> None:
    (project / "tests" / "helpers").mkdir()
    (project / "tests" / "helpers" / "util.py").write_text("")
    (project / "tests" / "unit").mkdir()
    (project / "tests" / "unit" / "__init__.py").write_text("")
    (project / "tests" / "unit" / "test_a.py").write_text("")
    (project / "my-scripts").mkdir()
    (project / "my-scripts" / "run.py").write_text("")
    index = ProjectIndex(project)
    names = {
        "src/shop/__init__.py": "shop",  # src/ layout
        "src/shop/models.py": "shop.models",
        "vendor/legacy_tools.py": "legacy_tools",  # pytest pythonpath
        "plugins/payments/stripe_gateway.py": "plugins.payments.stripe_gateway",  # namespace
        "tests/test_smoke.py": "test_smoke",  # pytest's rootdir-insertion basedir: tests/
        "tests/helpers/util.py": "helpers.util",  # imported from that basedir too
        "tests/unit/test_a.py": "unit.test_a",  # a package below the basedir
        "my-scripts/run.py": "run",  # not importable: the file's stem
    }
    assert {rel: index.module_of(project / rel) for rel in names} == names
    # the same answers from an index given the file list (as doctor builds it)
    listed = ProjectIndex(project, files=sorted(project.rglob("*.py")))
    assert {rel: listed.module_of(project / rel) for rel in names} == names
    assert index.import_roots()[:3] == [project, project / "src", project / "vendor"]


def test_find_root_prefers_the_nearest_project_metadata(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub" / "pkg").mkdir(parents=True)
    (tmp_path / "sub" / "setup.cfg").write_text("")
    assert find_root([tmp_path / "sub" / "pkg"]) == tmp_path / "sub"
    assert find_root([tmp_path / "other"]) == tmp_path  # the git work tree
    bare = tmp_path / "sub" / "pkg"
    (tmp_path / "sub" / "setup.cfg").unlink()
    (tmp_path / ".git").rmdir()
    assert find_root([bare]) == bare  # nothing above: the scanned folder


def test_single_file_cases_are_named_by_the_same_index() -> None:
    assert case_context("pkg/tests/test_x.py").module_name == "pkg.tests.test_x"
    assert case_context("pkg/__init__.py").module_name == "pkg"
    assert case_context("example.py").module_name == "example"


def test_doctor_names_tests_as_the_pytest_config_does(tmp_path: Path) -> None:
    """Doctor and add_asyncio_marker share the test-name predicates (python_functions,
    python_classes, python_files), so they flag the same async tests."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        'python_files = ["check_*.py"]\npython_classes = ["Suite"]\npython_functions = ["check_"]\n'
    )
    (tmp_path / "check_api.py").write_text(
        "async def check_ping():\n    pass\n\n\nasync def test_not_collected():\n    pass\n\n\n"
        "class SuiteApi:\n    async def check_get(self):\n        pass\n\n\n"
        "class TestIgnored:\n    async def check_put(self):\n        pass\n"
    )
    (tmp_path / "test_plain.py").write_text("async def test_not_a_test_file():\n    pass\n")
    report = diagnose([tmp_path])
    flagged = sorted((f.file, f.line) for f in report.findings if f.kind == "async-test-not-run")
    assert flagged == [("check_api.py", 1), ("check_api.py", 10)]
    recipe = tmp_path / "marks.yaml"
    recipe.write_text(
        "title: Mark\ndescription: Marks async tests.\nsteps:\n  - add_asyncio_marker: {}\n"
    )
    plan = make_plan(RecipeLoader().load(str(recipe)), [tmp_path])
    changed = {r.relpath: r.new for r in run(plan, jobs=1) if r.new is not None}
    assert list(changed) == ["check_api.py"]
    marked = changed["check_api.py"].decode().split("\n")
    assert [marked[i + 1].strip() for i, line in enumerate(marked) if "mark.asyncio" in line] == [
        "async def check_ping():",
        "async def check_get(self):",
    ]


def test_a_worker_gets_the_index_without_its_caches(project: Path) -> None:
    import pickle

    index = ProjectIndex(project)
    assert index.lookup("shop", "Order").kind == "def"
    copy = pickle.loads(pickle.dumps(index))
    assert copy.root == index.root and not copy._memo and not copy._facts
    assert copy.lookup("shop", "Order") == index.lookup("shop", "Order")
    listed = ProjectIndex(project, files=sorted(project.rglob("*.py")))
    assert pickle.loads(pickle.dumps(listed)).module_of(project / "src/shop/api.py") == "shop.api"


#: ``tests/fixtures/doctor/agreement/tests/<file>``: (doctor's verdict, the steps' verdict).
#: Doctor: "proposal" (a step is proposed from this file), "mention" (an alternative import
#: listed, not counted, no step), "none". Steps (running doctor's own recipe): "rewrite",
#: "left alone" (the step's "alternative import left alone" mention), "unchanged".
AGREEMENT = {
    "test_plain.py": ("proposal", "rewrite"),
    "test_version_fallback.py": ("mention", "left alone"),  # else: of `if sys.version_info`
    "test_version_primary.py": ("mention", "left alone"),  # the sibling imports the new path
    "test_try_fallback.py": ("mention", "left alone"),  # except ImportError: fallback
    "test_type_checking_primary.py": ("proposal", "rewrite"),  # no sibling import: primary
    "test_local_keyword.py": ("proposal", "rewrite"),  # callee imported inside the function
    "test_local_shadow.py": ("none", "unchanged"),  # a local rebinds the imported callee
}


def test_doctor_and_the_steps_agree_on_alternative_imports_and_local_callees(
    tmp_path: Path,
) -> None:
    root = tmp_path / "agreement"
    shutil.copytree(FIXTURES / "doctor" / "agreement", root)
    report = diagnose([root])
    doctor: dict[str, str] = {name: "none" for name in AGREEMENT}
    why: dict[tuple[str, int], str] = {}
    for mention in report.mentions:
        doctor[Path(mention.file).name] = "mention"
        why[(Path(mention.file).name, mention.line or 0)] = mention.fix or ""
    for proposal in report.proposals:
        assert proposal.step is not None, proposal.reason
        for place in proposal.evidence:
            doctor[Path(place.split(":")[0]).name] = "proposal"
    assert not [m for m in report.mentions if m in report.findings]
    recipe = root / "doctor.yaml"
    assert write_recipe(report, recipe)
    plan = make_plan(RecipeLoader().load(str(recipe)), [root / "tests"])
    steps: dict[str, str] = {}
    said: dict[tuple[str, int], str] = {}
    for result in run(plan, jobs=1):
        name = Path(result.relpath).name
        if name not in AGREEMENT:
            continue
        left = [d for d in result.diagnostics if "alternative import left alone" in d.message]
        for d in left:
            said[(name, d.line or 0)] = d.message
        steps[name] = "rewrite" if result.new is not None else "left alone" if left else "unchanged"
        if result.new is not None:
            compile(result.new, name, "exec")
    assert {n: (doctor[n], steps.get(n, "unchanged")) for n in AGREEMENT} == AGREEMENT
    assert said == why  # the same places, the same words
