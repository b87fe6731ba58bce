"""Engine promises: pre-check before parsing, one parse per file for all steps, failures isolated."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from codemods.engine import Status, Summary, make_plan, run
from codemods.engine import transform as transform_module
from codemods.recipe import RecipeLoader

TWO_STEPS = """\
title: Two renames
description: Two keyword renames in one recipe.
steps:
  - rename_kwarg:
      callables: ["*.Client"]
      old: timeout
      new: timeout_s
  - rename_kwarg:
      callables: ["*.Client"]
      old: retries
      new: max_retries
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "uses.py").write_text(
        "from net import Client\n\nc = Client(timeout=1, retries=2)\n"
    )
    (tmp_path / "mentions_name_only.py").write_text("from net import Client\n\nc = Client()\n")
    (tmp_path / "unrelated.py").write_text("x = 1\n")
    return tmp_path


def test_only_files_with_the_needles_are_parsed_once_for_all_steps(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipe_file = tree / "two-steps.yaml"
    recipe_file.write_text(TWO_STEPS)
    parsed: list[str] = []
    real_parse = cst.parse_module

    def counting_parse(source: bytes | str, *args: object, **kwargs: object) -> cst.Module:
        text = source.decode() if isinstance(source, bytes) else source
        parsed.append(text.splitlines()[-1])
        return real_parse(source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(transform_module.cst, "parse_module", counting_parse)
    recipe = RecipeLoader().load(str(recipe_file))
    results = {Path(r.path).name: r for r in run(make_plan(recipe, [tree]))}
    assert (
        results["uses.py"].new
        == b"from net import Client\n\nc = Client(timeout_s=1, max_retries=2)\n"
    )
    assert results["uses.py"].fired == ("rename_kwarg", "rename_kwarg")
    # rename_kwarg decides from the ast (Step.edit): LibCST parses nothing at all
    assert parsed == []
    assert not results["unrelated.py"].parsed and not results["mentions_name_only.py"].parsed
    # with LibCST deciding: one parse of the input for both steps (CPython's compiler
    # verifies the output); nothing else parsed
    from codemods.steps import Step
    from codemods.steps.rename_kwarg import RenameKwarg

    monkeypatch.setattr(RenameKwarg, "edit", Step.edit)
    results = {Path(r.path).name: r for r in run(make_plan(recipe, [tree]))}
    assert results["uses.py"].fired == ("rename_kwarg", "rename_kwarg")
    assert parsed == ["c = Client(timeout=1, retries=2)"]
    assert not results["unrelated.py"].parsed and not results["mentions_name_only.py"].parsed


def test_one_broken_step_fails_one_file_and_the_run_goes_on(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "also_uses.py").write_text("from net import Client\nClient(timeout=3)\n")
    recipe_file = tree / "two-steps.yaml"
    recipe_file.write_text(TWO_STEPS)
    recipe = RecipeLoader().load(str(recipe_file))
    step = recipe.steps[1].step
    real = type(step).transform

    def explode(self, module, ctx):  # type: ignore[no-untyped-def]
        if "retries" in module.code:
            raise RuntimeError("boom")
        return real(self, module, ctx)

    real_edit = type(step).edit

    def explode_edit(self, source, ctx):  # type: ignore[no-untyped-def]
        if b"retries" in source.data:  # the same bug in the step's ast path
            raise RuntimeError("boom")
        return real_edit(self, source, ctx)

    monkeypatch.setattr(type(step), "transform", explode)
    monkeypatch.setattr(type(step), "edit", explode_edit)
    summary = Summary()
    results = {}
    for result in run(make_plan(recipe, [tree])):
        summary.add(result)
        results[Path(result.path).name] = result
    assert results["uses.py"].status is Status.FAILED
    assert "boom" in (results["uses.py"].detail or "")
    assert results["also_uses.py"].status is Status.CHANGED
    assert summary.line(applied=False).startswith(
        "1 file would be changed, 2 unchanged, 1 failed: step error"
    )


def test_binary_and_undecodable_files_are_skipped_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "blob.py").write_bytes(b"\x00\x01session_id UserExecutionContext\xff")
    (tmp_path / "latin.py").write_bytes(b"# no cookie\nUserExecutionContext(session_id='\xe9')\n")
    recipe = RecipeLoader().load("session-id-to-request-id")
    results = {Path(r.path).name: r for r in run(make_plan(recipe, [tmp_path]))}
    assert (
        results["blob.py"].status is Status.SKIPPED and results["blob.py"].reason == "binary file"
    )
    assert results["latin.py"].status is Status.SKIPPED
    assert results["latin.py"].reason in {"undecodable", "syntax error"}
