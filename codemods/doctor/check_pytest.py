"""pytest problems that stop tests from running: unmarked async tests, async setup hooks,
sync tests that await, and markers the effective configuration does not register.

The effective configuration (which file wins, ``asyncio_mode``, registered markers including
``conftest.py`` ``addinivalue_line`` calls) comes from :mod:`codemods.analysis.pytest_config`,
per directory, exactly as the pytest steps see it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from codemods.analysis.project import ProjectIndex
from codemods.analysis.pytest_config import (
    PytestConfig,
    pytest_config_for,
    pytest_options_for,
)
from codemods.analysis.pytest_facts import (
    ASYNC_MARKS,
    BUILTIN_MARKERS,
    PLUGIN_MARKERS,
    is_test_file,
)
from codemods.doctor.findings import Finding, Proposal, Report


def check_pytest(project: ProjectIndex, paths: Iterable[Path], report: Report) -> None:
    unregistered: dict[str, list[str]] = {}
    used: set[str] = set()
    configs: dict[str, PytestConfig] = {}
    async_evidence: list[str] = []
    hook_evidence: list[str] = []
    for path in paths:
        facts = project.facts_at(path)
        if facts.syntax_error is not None or not (facts.tests or facts.hooks or facts.marks):
            continue
        config = pytest_config_for(project, path)
        python_files = pytest_options_for(project, path).get("python_files")
        if is_test_file(path.name, python_files):
            for test in facts.tests:
                where = f"{facts.relpath}:{test.line}"
                if test.awaits:
                    report.findings.append(
                        Finding(
                            "await-in-sync-test",
                            facts.relpath,
                            test.line,
                            None,
                            f"`def {test.qualname}` uses await: SyntaxError "
                            "'await' outside async function",
                        )
                    )
                    async_evidence.append(where)
                elif config.asyncio_mode != "auto" and not (test.marks & ASYNC_MARKS):
                    report.findings.append(
                        Finding(
                            "async-test-not-run",
                            facts.relpath,
                            test.line,
                            None,
                            f"`async def {test.qualname}` has no asyncio mark and "
                            f"asyncio_mode is {config.asyncio_mode} ({_config_name(config)})",
                        )
                    )
                    async_evidence.append(where)
        for hook in facts.hooks:
            where = f"{facts.relpath}:{hook.line}"
            report.findings.append(
                Finding(
                    "async-setup-method",
                    facts.relpath,
                    hook.line,
                    None,
                    f"`async def {hook.qualname}` is never awaited by pytest"
                    + ("" if hook.only_super else " (it awaits more than the parent hook)"),
                )
            )
            if hook.only_super:
                hook_evidence.append(where)
            else:
                report.add_proposal(
                    Proposal(
                        None,
                        {},
                        f"`{hook.qualname}` awaits other coroutines: move that work into an "
                        "async fixture by hand, or let `sync_setup_methods` do it with "
                        "`other_awaits: fixture` (unsafe: needs --unsafe)",
                        [where],
                    )
                )
        known = config.markers | BUILTIN_MARKERS | PLUGIN_MARKERS
        used.update(m.name for m in facts.marks)
        for mark in facts.marks:
            if mark.name in known:
                continue
            configs[str(config.path)] = config
            report.findings.append(
                Finding(
                    "unregistered-marker",
                    facts.relpath,
                    mark.line,
                    mark.column,
                    f"'{mark.name}' not found in `markers` of {_config_name(config)}",
                )
            )
            unregistered.setdefault(mark.name, []).append(f"{facts.relpath}:{mark.line}")
    if async_evidence:
        report.add_proposal(
            Proposal(
                "add_asyncio_marker",
                {},
                "async tests without an asyncio mark are not run in strict mode (sync tests "
                "that await become async tests)",
                async_evidence,
            )
        )
    if hook_evidence:
        report.add_proposal(
            Proposal(
                "sync_setup_methods",
                {},
                "async setup/teardown hooks that only await the parent hook",
                hook_evidence,
            )
        )
    _propose_markers(unregistered, configs, used, report)


def _config_name(config: PytestConfig) -> str:
    return config.path.name if config.path is not None else "no pytest config file"


def _propose_markers(
    unregistered: dict[str, list[str]],
    configs: dict[str, PytestConfig],
    used: set[str],
    report: Report,
) -> None:
    if not unregistered:
        return
    registered = sorted({m for c in configs.values() for m in c.markers})
    unused = sorted(set(registered) - used)
    if unused:
        report.add_proposal(
            Proposal(
                None,
                {},
                f"registered markers no scanned file uses: {', '.join(unused)}; if an "
                f"unregistered one ({', '.join(sorted(unregistered))}) was renamed to one of "
                "them, use `rename_marker` instead of registering it",
                [],
            )
        )
    typos: list[str] = []
    for name in sorted(unregistered):
        close = difflib.get_close_matches(name, registered, n=1, cutoff=0.75)
        if close:
            typos.append(name)
            report.add_proposal(
                Proposal(
                    None,
                    {},
                    f"marker `{name}` looks like the registered `{close[0]}`: if it was renamed, "
                    f"use `rename_marker` (old: {name}, new: {close[0]}) instead of registering it",
                    unregistered[name],
                )
            )
    names = [n for n in sorted(unregistered) if n not in typos]
    if not names:
        return
    evidence = [where for name in names for where in unregistered[name]]
    report.add_proposal(
        Proposal(
            "register_markers",
            {"ignore": typos} if typos else {},
            f"markers used but not registered: {', '.join(names)}"
            + (f" (not registering the look-alikes {', '.join(typos)})" if typos else ""),
            evidence,
        )
    )
