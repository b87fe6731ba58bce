"""Real-corpus property tests: every recipe over the running interpreter's standard library.

The standard library is a tree none of us wrote: ~1,800 ``.py`` files, including test data
that is deliberately broken (bad syntax, bad encodings, odd bytes). For every built-in recipe
(whatever ``RecipeLoader().available()`` lists, so new recipes are covered automatically), and
for step configurations that really match stdlib code (the built-in recipes target another
codebase and rarely fire here), a real ``apply`` runs over a copy of the corpus and:

* no file fails (a failure is a crash, a step error, or output that does not parse);
* every written file parses with LibCST, and compiles if the original compiled;
* a second run changes nothing;
* every file the run did not change is byte-identical to the original.

The normal suite runs a fixed sample (every 60th file, all the broken ones, and a few files
the real-change configurations match); the whole
library runs under ``-m slow`` (in CI, see ``.ci/run``) with every recipe chained into one
run, so each file is parsed once; the real-change configurations, chained, run there over
every 4th file of the library (the whole library would cost ~10 CPU-minutes). Counts are printed in the terminal summary.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import sysconfig
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from codemods.engine import Status, make_plan, run, write
from codemods.engine.discover import SourceFile
from codemods.recipe import CompiledStep, Recipe, RecipeLoader
from codemods.steps import all_steps
from tests.conftest import SAFETY_REPORT

STDLIB = Path(sysconfig.get_paths()["stdlib"])
_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__"}

#: Step options that change real stdlib code (or at least match it), per step type.
#: Step types without an entry still run through the built-in recipes and their examples.
STDLIB_CONFIGS: dict[str, list[dict[str, Any]]] = {
    "rename_kwarg": [
        {
            "callables": ["*.TemporaryDirectory", "*.mkdtemp", "*.mkstemp", "*.NamedTemporaryFile"],
            "old": "prefix",
            "new": "prefix_",
        },
        {"callables": ["*.dumps", "*.dump"], "old": "indent", "new": "indent_width"},
        {"callables": ["*.namedtuple"], "old": "defaults", "new": "default_values"},
    ],
    "rename_symbol": [
        {"old": "collections.OrderedDict", "new": "collections.OrderedMapping"},
        {"old": "textwrap.dedent", "new": "textwrap_ng.dedent"},
    ],
    "rename_module": [
        {"old": "getopt", "new": "getopt_legacy"},
        {"old": "quopri", "new": "codecs_qp"},
    ],
    "remove_import": [{"module": "getopt"}, {"module": "sched"}],
}


@functools.cache
def corpus_files() -> tuple[Path, ...]:
    return tuple(
        sorted(
            p
            for p in STDLIB.rglob("*.py")
            if not _SKIP_DIRS & set(p.relative_to(STDLIB).parts) and p.is_file()
        )
    )


def _compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<corpus>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


#: Text that the real-change configurations below match: a few such files join the sample.
_MATCHED = (b"mkdtemp(", b"OrderedDict", b"dedent(", b"import getopt", b"import quopri")


@functools.cache
def sample(files: tuple[Path, ...]) -> list[Path]:
    """Every 60th file, the deliberately broken test data, and files the configs change."""
    picked = set(files[::60])
    for path in files:
        rel = path.relative_to(STDLIB).as_posix()
        if ("bad" in rel or "/data/" in rel) and not _compiles(path.read_bytes()):
            picked.add(path)
    for needle in _MATCHED:
        small = (p for p in files[7::5] if p.stat().st_size < 15_000)
        picked.update([p for p in small if needle in p.read_bytes()][:2])
    return sorted(picked)


@dataclasses.dataclass(frozen=True)
class Config:
    name: str
    recipe: Recipe


def configs() -> Iterator[Config]:
    """Every built-in recipe, every real-change configuration, and the examples' options of
    step types that neither covers."""
    loader = RecipeLoader()
    covered: set[str] = set()
    for info in loader.available():
        recipe = loader.load(str(info.path))
        covered.update(s.step.id for s in recipe.steps)
        yield Config(f"recipe:{info.id}", recipe)
    steps = all_steps()
    for step_id, option_sets in STDLIB_CONFIGS.items():
        if step_id not in steps:
            continue
        covered.add(step_id)
        for n, options in enumerate(option_sets):
            yield Config(f"{step_id}#{n}", _single(step_id, options))
    for step_id, step_type in sorted(steps.items()):
        if step_id in covered:
            continue
        seen: list[dict[str, Any]] = []
        for example in step_type.examples:
            if example.options not in seen:
                seen.append(example.options)
        for n, options in enumerate(seen):
            yield Config(f"{step_id}:example{n}", _single(step_id, options))


def chained(name: str, parts: list[Config]) -> Config:
    """One recipe running the steps of ``parts`` in order: each file is parsed once for all."""
    steps = tuple(s for part in parts for s in part.recipe.steps)
    return Config(name, Recipe(name, name, "corpus", "", steps))


def _single(step_id: str, options: dict[str, Any]) -> Recipe:
    step_type = all_steps()[step_id]
    step = step_type(step_type.Options.model_validate(options))
    return Recipe(step_id, step_id, "corpus", "", (CompiledStep(step, step_id),))


CONFIGS = list(configs())
#: The full-library pass chains them (one parse per file for all steps, as a real run does).
FULL_CONFIGS = [
    chained("all-recipes", [c for c in CONFIGS if c.name.startswith("recipe:")]),
    chained("all-real-changes", [c for c in CONFIGS if not c.name.startswith("recipe:")]),
]
#: Files each real-change configuration changed in the sample run (name -> count).
SAMPLE_CHANGES: dict[str, int] = {}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Any:
    files = corpus_files()
    if request.param == "full":
        chosen = list(files)
    elif request.param == "quarter":  # every 4th file and the sample
        chosen = sorted(set(files[::4]) | set(sample(files)))
    else:
        chosen = sample(files)
    root = tmp_path_factory.mktemp(f"stdlib-{request.param}")
    originals: dict[Path, bytes] = {}
    for path in chosen:
        target = root / path.relative_to(STDLIB)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        originals[target] = target.read_bytes()
    yield root, originals
    shutil.rmtree(root, ignore_errors=True)


def check_config(
    config: Config, root: Path, originals: dict[Path, bytes], jobs: int
) -> Counter[str]:
    plan = make_plan(config.recipe, [root], unsafe=True)
    files = tuple(
        SourceFile(path, root, path.relative_to(root).as_posix()) for path in sorted(originals)
    )  # every file, even under directories discovery leaves out by default (venv/)
    plan = dataclasses.replace(plan, files=files)
    counts: Counter[str] = Counter(files=len(files))
    problems: list[str] = []
    written: dict[Path, bytes] = {}
    try:
        for result in run(plan, jobs=jobs):
            counts["parsed"] += result.parsed
            if result.status is Status.FAILED:
                problems.append(f"{result.relpath}: failed: {result.reason}: {result.detail}")
                continue
            if result.status is Status.SKIPPED:
                counts[f"skipped: {result.reason}"] += 1
                continue
            if result.status is not Status.CHANGED:
                continue
            final = write(result, plan.scan_roots)
            if not final.written:
                problems.append(f"{result.relpath}: not written: {final.reason}: {final.detail}")
                continue
            counts["changed"] += 1
            written[Path(result.path)] = result.new or b""

        for path, old in originals.items():
            on_disk = path.read_bytes()
            if path not in written:
                if on_disk != old:
                    problems.append(f"{path.relative_to(root)}: changed but not reported")
                continue
            if on_disk != written[path]:
                problems.append(f"{path.relative_to(root)}: on disk differs from the result")
            try:
                cst.parse_module(on_disk)
            except Exception as exc:
                problems.append(f"{path.relative_to(root)}: output does not parse: {exc}")
            if _compiles(old) and not _compiles(on_disk):
                problems.append(f"{path.relative_to(root)}: output no longer compiles")
        extra = {p for p in root.rglob("*") if p.is_file()} - set(originals)
        extra = {p for p in extra if ".codemod_cache" not in p.parts}
        problems += [f"{p.relative_to(root)}: unexpected new file" for p in sorted(extra)]

        if written:  # a second run over the changed files changes nothing
            again = dataclasses.replace(plan, files=tuple(f for f in files if f.path in written))
            for result in run(again, jobs=jobs):
                if result.status is Status.CHANGED:
                    problems.append(f"{result.relpath}: second run changed it again")
    finally:
        for path in written:
            path.write_bytes(originals[path])
        for extra_file in {p for p in root.rglob("*") if p.is_file()} - set(originals):
            extra_file.unlink()
    assert not problems, f"{config.name}:\n" + "\n".join(problems[:40])
    return counts


def _report(
    request: pytest.FixtureRequest, label: str, config: Config, counts: Counter[str]
) -> None:
    skipped = ", ".join(
        f"{k[9:]}={v}" for k, v in sorted(counts.items()) if k.startswith("skipped")
    )
    line = (
        f"{label:6} {config.name:45} files={counts['files']:5} parsed={counts['parsed']:5} "
        f"changed={counts['changed']:4}" + (f"  skipped: {skipped}" if skipped else "")
    )
    request.config.stash.setdefault(SAFETY_REPORT, []).append(line)
    print(line)


@pytest.mark.parametrize("corpus", ["sample"], indirect=True)
@pytest.mark.parametrize("config", CONFIGS, ids=[c.name for c in CONFIGS])
def test_stdlib_sample(config: Config, corpus: Any, request: pytest.FixtureRequest) -> None:
    root, originals = corpus
    counts = check_config(config, root, originals, jobs=1)
    SAMPLE_CHANGES[config.name] = counts["changed"]
    _report(request, "sample", config, counts)


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["full"], indirect=True)
def test_stdlib_full_every_recipe(corpus: Any, request: pytest.FixtureRequest) -> None:
    root, originals = corpus
    config = FULL_CONFIGS[0]
    _report(request, "full", config, check_config(config, root, originals, jobs=2))


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["quarter"], indirect=True)
def test_stdlib_quarter_real_changes(corpus: Any, request: pytest.FixtureRequest) -> None:
    """The real-change chain costs ~10 CPU-minutes on the whole library: every 4th file."""
    root, originals = corpus
    config = FULL_CONFIGS[1]
    _report(request, "1/4", config, check_config(config, root, originals, jobs=2))


def test_the_real_change_configs_really_change_stdlib_code(tmp_path: Path) -> None:
    """The properties must hold on real changes, not only on no-ops: check they happen.

    Uses the counts of the sample run above (run first, in file order); run alone, it
    repeats the real-change configurations on the sample.
    """
    files = corpus_files()
    assert len(files) > 1_000
    broken = [p for p in sample(files) if not _compiles(p.read_bytes())]
    assert len(broken) >= 5, "the sample must include the deliberately broken test data"
    real = [c for c in CONFIGS if c.name.split("#")[0] in STDLIB_CONFIGS]
    if not all(c.name in SAMPLE_CHANGES for c in real):
        originals: dict[Path, bytes] = {}
        for path in sample(files):
            target = tmp_path / path.relative_to(STDLIB)
            target.parent.mkdir(parents=True, exist_ok=True)
            originals[target] = path.read_bytes()
            target.write_bytes(originals[target])
        for c in real:
            SAMPLE_CHANGES[c.name] = check_config(c, tmp_path, originals, jobs=1)["changed"]
    changed = {c.name: SAMPLE_CHANGES[c.name] for c in real}
    assert sum(changed.values()) >= 5, changed
    assert sum(1 for n in changed.values() if n) >= 3, changed
