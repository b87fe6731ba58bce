"""The bad-recipe catalogue: every malformed recipe fails loudly and precisely.

Each entry is a recipe file a person (or an attacker) might write. ``codemod preview`` must
exit 2 without touching any file, and its message must name the file, the line, what is
wrong, and what to do (a ``hint:``). Recipes are data: YAML tags are refused, never
constructed, alias bombs and huge files fail fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codemods.cli import app

GOOD_STEP = """\
  - rename_kwarg:
      callables: ["*.connect"]
      old: timeout
      new: deadline
"""
HEAD = "title: A recipe\ndescription: Does a thing.\n"


@dataclass(frozen=True)
class Bad:
    id: str
    text: str | bytes
    message: str  # a substring of the error message (what is wrong)
    line: int  # the line the error must point at
    name: str = "bad-recipe.yaml"
    others: tuple[tuple[str, str], ...] = ()  # other recipe files in the same folder


BILLION_LAUGHS = (
    HEAD
    + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    + "steps:\n"
    + GOOD_STEP
)

CATALOGUE = [
    Bad("not-a-mapping", "- just\n- a list\n", "a recipe is a mapping", 1),
    Bad("empty-file", "", "a recipe is a mapping", 1),
    Bad("only-a-comment", "# nothing here\n", "a recipe is a mapping", 1),
    Bad("missing-title", "description: Does a thing.\nsteps:\n" + GOOD_STEP, "`title`", 1),
    Bad(
        "title-with-period",
        "title: A recipe.\ndescription: x.\nsteps:\n" + GOOD_STEP,
        "trailing period",
        1,
    ),
    Bad("empty-title", "title: ''\ndescription: x.\nsteps:\n" + GOOD_STEP, "title", 1),
    Bad("title-is-a-list", "title: [a, b]\ndescription: x.\nsteps:\n" + GOOD_STEP, "string", 1),
    Bad("missing-steps", HEAD, "`steps`", 1),
    Bad("empty-steps", HEAD + "steps: []\n", "steps", 3),
    Bad("steps-is-a-string", HEAD + "steps: rename_kwarg\n", "list", 3),
    Bad("unknown-top-key", HEAD + "stpes:\n" + GOOD_STEP, "unknown", 3),
    Bad("step-is-a-string", HEAD + "steps:\n  - rename_kwarg\n", "dictionary", 4),
    Bad(
        "unknown-step-type",
        HEAD + "steps:\n  - rename_kwargs:\n      old: a\n",
        "unknown step type `rename_kwargs`",
        4,
    ),
    Bad(
        "step-with-two-keys",
        HEAD + "steps:\n  - rename_kwarg: {callables: [a], old: b, new: c}\n    recipe: x\n",
        "exactly one key",
        4,
    ),
    Bad(
        "options-are-a-list",
        HEAD + "steps:\n  - rename_kwarg: [a, b]\n",
        "must be a mapping",
        4,
    ),
    Bad(
        "missing-option",
        HEAD + "steps:\n  - rename_kwarg:\n      callables: [a]\n      old: b\n",
        "missing required option `new`",
        5,
    ),
    Bad(
        "unknown-option-typo",
        HEAD + "steps:\n  - rename_kwarg:\n      callables: [a]\n      old: b\n      nwe: c\n",
        "unknown option `nwe`",
        7,
    ),
    Bad(
        "option-wrong-type",
        HEAD
        + 'steps:\n  - rename_kwarg:\n      callables: "*.connect"\n      old: b\n      new: c\n',
        "list",
        5,
    ),
    Bad(
        "dotted-path-with-spaces",
        HEAD
        + 'steps:\n  - rename_kwarg:\n      callables: ["pkg.mod Cls"]\n      old: b\n      new: c\n',
        "not a dotted name",
        5,
    ),
    Bad(
        "keyword-not-an-identifier",
        HEAD
        + "steps:\n  - rename_kwarg:\n      callables: [a]\n      old: session-id\n      new: c\n",
        "session-id",
        6,
    ),
    Bad(
        "unknown-recipe-id",
        HEAD + "steps:\n  - recipe: sesion-id-to-request-id\n",
        "unknown recipe `sesion-id-to-request-id`",
        4,
    ),
    Bad(
        "missing-recipe-file",
        HEAD + "steps:\n  - recipe: ./not-there.yaml\n",
        "does not exist",
        4,
    ),
    Bad("empty-recipe-reference", HEAD + "steps:\n  - recipe: ''\n", "recipe id", 4),
    Bad(
        "includes-itself",
        HEAD + "steps:\n" + GOOD_STEP + "  - recipe: bad-recipe\n",
        "cycle",
        8,
    ),
    Bad(
        "cycle-of-two",
        HEAD + "steps:\n  - recipe: other-recipe\n",
        "cycle",
        4,
        others=(("other-recipe.yaml", HEAD + "steps:\n  - recipe: bad-recipe\n"),),
    ),
    Bad("empty-glob", HEAD + "include: ['']\nsteps:\n" + GOOD_STEP, "empty glob", 3),
    Bad("include-is-a-string", HEAD + "include: '*.py'\nsteps:\n" + GOOD_STEP, "list", 3),
    Bad("glob-not-a-string", HEAD + "exclude: [{a: b}]\nsteps:\n" + GOOD_STEP, "string", 3),
    Bad(
        "bad-indentation",
        HEAD + "steps:\n  - rename_kwarg:\n      old: a\n     new: b\n",
        "not valid YAML",
        6,
    ),
    Bad("tab-indentation", HEAD + "steps:\n\t- rename_kwarg: {}\n", "not valid YAML", 4),
    Bad("unclosed-quote", HEAD + 'steps:\n  - rename_kwarg: {old: "a}\n', "not valid YAML", 5),
    Bad(
        "python-object-tag",
        "title: !!python/object/apply:os.system ['echo pwned']\ndescription: x.\nsteps:\n"
        + GOOD_STEP,
        "recipes are data",
        1,
    ),
    Bad(
        "python-name-tag",
        HEAD + "steps:\n  - rename_kwarg: !!python/name:os.system\n",
        "recipes are data",
        4,
    ),
    Bad("custom-tag", HEAD + "steps:\n  - !include other.yaml\n", "recipes are data", 4),
    Bad("binary-tag", HEAD + "x: !!binary aGVsbG8=\nsteps:\n" + GOOD_STEP, "recipes are data", 3),
    Bad("alias-bomb", BILLION_LAUGHS, "alias bomb", 3),
    Bad(
        "merge-key",
        "base: &base {old: a, new: b}\n" + HEAD + "steps:\n  - rename_kwarg:\n      <<: *base\n",
        "merge keys",
        6,
    ),
    Bad("duplicate-key", HEAD + "title: Again\nsteps:\n" + GOOD_STEP, "duplicate key `title`", 3),
    Bad("non-string-key", HEAD + "1: one\nsteps:\n" + GOOD_STEP, "plain strings", 3),
    Bad(
        "huge-file",
        HEAD + "steps:\n" + GOOD_STEP + "# " + "x" * 1_100_000 + "\n",
        "limited to",
        1,
    ),
    Bad("not-utf8", (HEAD + "steps:\n" + GOOD_STEP).encode() + b"# caf\xe9\n", "not UTF-8", 8),
    Bad(
        "file-name-not-kebab-case",
        HEAD + "steps:\n" + GOOD_STEP,
        "kebab-case",
        1,
        name="My_Recipe.yaml",
    ),
    Bad(
        "example-without-before",
        HEAD + "steps:\n" + GOOD_STEP + "examples:\n  - title: no before\n    after: x\n",
        "missing required key `before`",
        9,
    ),
]


def test_the_catalogue_is_big_enough() -> None:
    assert len(CATALOGUE) >= 25
    assert len({b.id for b in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("bad", CATALOGUE, ids=[b.id for b in CATALOGUE])
def test_bad_recipe_fails_with_file_line_and_hint(bad: Bad, tmp_path: Path) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir()
    path = folder / bad.name
    if isinstance(bad.text, bytes):
        path.write_bytes(bad.text)
    else:
        path.write_text(bad.text)
    for name, text in bad.others:
        (folder / name).write_text(text)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "mod.py").write_text("from net import connect\nconnect('h', timeout=1)\n")

    result = CliRunner().invoke(app, ["preview", str(path), str(tree), "--color", "never"])

    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert (tree / "mod.py").read_text() == "from net import connect\nconnect('h', timeout=1)\n"
    assert bad.message in output, output
    where = re.search(r"error: (\S+?\.ya?ml):(\d+)", output)
    assert where is not None, f"no file:line in {output!r}"
    assert Path(where.group(1)).name in {bad.name, *(n for n, _ in bad.others)}
    assert int(where.group(2)) == bad.line, output
    assert "hint: " in output, f"no hint saying what to do: {output!r}"
