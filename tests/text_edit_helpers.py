"""Shared by the tests of the steps that decide from the ``ast`` (``Step.edit``)."""

from __future__ import annotations

import pytest

from codemods.engine.transform import transform_source
from codemods.steps import Step, all_steps
from codemods.testing import (
    case_context,
    check_case,
    iter_case_dirs,
    load_case_dir,
    step_from_options,
)
from tests.conftest import FIXTURES


def decided_fixture_cases(step_id: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Run every fixture case of ``step_id`` with its ``edit`` and with it switched off (so
    LibCST's full tree decides); assert both give the same result; return the cases the
    ``ast`` decided itself."""
    step_type = all_steps()[step_id]
    decided: list[bool] = []
    spy = _spy(step_type, decided)

    seen = set()
    for case_dir in iter_case_dirs(FIXTURES / "steps" / step_id):
        case = load_case_dir(case_dir)
        steps = step_from_options(step_id, case.options)
        decided.clear()
        with monkeypatch.context() as patch:
            patch.setattr(step_type, "edit", spy)
            fast = check_case(case, steps)
        with monkeypatch.context() as patch:
            patch.setattr(step_type, "edit", Step.edit)
            slow = check_case(case, steps)
        # a tree case runs the engine over the folder: every file, both ways, the same
        assert (fast.ok, fast.actual_tree, fast.diagnostics) == (
            slow.ok,
            slow.actual_tree,
            slow.diagnostics,
        ), case_dir.name
        if decided and decided[0]:  # the case itself (check_case runs it again on its output)
            seen.add(case_dir.name)
    return seen


def both_ways(
    step_id: str,
    options: dict[str, str],
    source: str,
    monkeypatch: pytest.MonkeyPatch,
    path: str = "t.py",
) -> tuple[object, object, list[bool]]:
    """``source`` (as ``path``, every folder on it a package) through the step with its
    ``edit`` and with it switched off: (result, LibCST's result, whether each call of
    ``edit`` decided)."""
    steps = step_from_options(step_id, options)
    step_type = all_steps()[step_id]
    decided: list[bool] = []
    spy = _spy(step_type, decided)

    def seen() -> object:
        out = transform_source(source.encode(), steps, case_context(path), path)
        return out.status, out.new, out.diagnostics, out.reason

    with monkeypatch.context() as patch:
        patch.setattr(step_type, "edit", spy)
        fast = seen()
    with monkeypatch.context() as patch:
        patch.setattr(step_type, "edit", Step.edit)
        slow = seen()
    return fast, slow, decided


def _spy(step_type: type[Step], decided: list[bool]) -> object:
    """``step_type.edit``, noting in ``decided`` whether each call decided the file."""
    real_edit = step_type.edit

    def spy(self: Step, source: object, ctx: object) -> object:
        result = real_edit(self, source, ctx)  # type: ignore[arg-type]
        decided.append(result is not None)
        return result

    return spy
