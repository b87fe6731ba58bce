"""Splitting a change into hunks and rebuilding a file from an accepted subset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codemods.engine.diff import unified_diff
from codemods.engine.hunks import ACCEPT, apply_hunks, check_partial, split_hunks

FILLER = b"".join(b"# line %d\n" % i for i in range(10))


def test_far_apart_changes_are_separate_hunks_and_subsets_apply() -> None:
    old = b"a = 1\n" + FILLER + b"b = 2\n" + FILLER + b"c = 3\n"
    new = b"a = 10\n" + FILLER + b"b = 2\n" + FILLER + b"c = 30\n"
    hunks = split_hunks(old, new)
    assert len(hunks) == 2
    assert hunks[0].header == "@@ -1,4 +1,4 @@"
    assert apply_hunks(old, hunks, {0: ACCEPT}) == old.replace(b"a = 1\n", b"a = 10\n")
    assert apply_hunks(old, hunks, {1: ACCEPT}) == old.replace(b"c = 3\n", b"c = 30\n")
    assert apply_hunks(old, hunks, {0: ACCEPT, 1: ACCEPT}) == new
    assert apply_hunks(old, hunks, {}) == old


def test_nearby_changes_share_a_hunk_like_git() -> None:
    old = b"a = 1\nx = 0\nb = 2\n"
    new = b"a = 10\nx = 0\nb = 20\n"
    (hunk,) = split_hunks(old, new)
    assert hunk.patch() == b"@@ -1,3 +1,3 @@\n-a = 1\n+a = 10\n x = 0\n-b = 2\n+b = 20\n"


def test_edited_hunk_replaces_the_proposed_lines() -> None:
    old = b"a = 1\n" + FILLER + b"c = 3\n"
    new = b"a = 10\n" + FILLER + b"c = 30\n"
    hunks = split_hunks(old, new)
    assert apply_hunks(old, hunks, {1: b"c = 99\n"}).endswith(FILLER + b"c = 99\n")


def test_crlf_and_missing_final_newline_survive_partial_application() -> None:
    old = b"a = 1\r\n" + FILLER.replace(b"\n", b"\r\n") + b"c = 3"
    new = b"a = 10\r\n" + FILLER.replace(b"\n", b"\r\n") + b"c = 30"
    hunks = split_hunks(old, new)
    only_last = apply_hunks(old, hunks, {1: ACCEPT})
    assert only_last == b"a = 1\r\n" + FILLER.replace(b"\n", b"\r\n") + b"c = 30"
    assert hunks[1].patch().endswith(b"+c = 30\n\\ No newline at end of file\n")


def test_a_subset_that_does_not_parse_is_caught() -> None:
    old = b"x = 1\n" + FILLER + b"y = 2\n"
    new = b"x = (\n" + FILLER + b"    1)\ny = 2\n"
    hunks = split_hunks(old, new)
    assert len(hunks) == 2
    partial = apply_hunks(old, hunks, {0: ACCEPT})
    problem = check_partial(old, partial, "m.py")
    assert problem is not None and "does not compile" in problem
    assert check_partial(old, apply_hunks(old, hunks, {0: ACCEPT, 1: ACCEPT}), "m.py") is None


lines = st.lists(st.sampled_from([b"a\n", b"b\n", b"c\r\n", b"\n", b"d"]), max_size=25)


@settings(max_examples=200, deadline=None)
@given(lines, lines, st.sets(st.integers(0, 20)))
def test_hunks_match_the_unified_diff_and_any_subset_applies(
    a: list[bytes], b: list[bytes], chosen: set[int]
) -> None:
    old = b"".join(x if x.endswith(b"\n") else x + b"\n" for x in a[:-1]) + b"".join(a[-1:])
    new = b"".join(x if x.endswith(b"\n") else x + b"\n" for x in b[:-1]) + b"".join(b[-1:])
    hunks = split_hunks(old, new)
    body = b"".join(h.patch() for h in hunks)
    full = unified_diff(old, new, "f.py")
    assert body == (full.split(b"\n", 2)[2] if full else b"")
    assert apply_hunks(old, hunks, {h.index: ACCEPT for h in hunks}) == new
    picked = {i: ACCEPT for i in chosen if i < len(hunks)}
    subset = apply_hunks(old, hunks, picked)
    # the subset's length moves by exactly the chosen hunks' line-count differences
    delta = sum(len(h.added) - len(h.removed) for h in hunks if h.index in picked)
    assert (
        len(subset.splitlines(keepends=True)) - len(old.splitlines(keepends=True))
        in (
            delta,
            delta - 1,
            delta + 1,
        )
        or not picked
    )
    assert apply_hunks(old, hunks, {}) == old


def test_config_files_are_checked_as_config_not_python() -> None:
    old = b'[tool.pytest.ini_options]\nmarkers = [\n    "a: x",\n' + FILLER + b"]\n"
    new = old.replace(b'    "a: x",\n', b'    "a: x",\n    "b: y",\n')
    hunks = split_hunks(old, new)
    assert check_partial(old, apply_hunks(old, hunks, {0: ACCEPT}), "pyproject.toml") is None
    broken = apply_hunks(old, hunks, {0: b'    "b: y\n'})
    problem = check_partial(old, broken, "pyproject.toml")
    assert problem is not None and "does not load" in problem
    ini = b"[pytest]\nmarkers =\n    a: x\n"
    assert check_partial(ini, ini + b"    b: y\n", "pytest.ini") is None
    assert check_partial(ini, ini + b"[pytest\n", "pytest.ini") is not None
