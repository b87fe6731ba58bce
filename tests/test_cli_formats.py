"""`--format json` and `--format sarif`: machine-readable reports on stdout."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest

from tests.cli_helpers import RECIPE, calls, codemod

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
OLD = 'UserExecutionContext(user_id="u", session_id="s{n}")'
NEW = 'UserExecutionContext(user_id="u", request_id="s{n}")'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "two.py").write_text(calls(OLD.format(n=1), OLD.format(n=2)))
    (tmp_path / "pkg" / "dup.py").write_text(
        calls('UserExecutionContext(session_id="s", request_id="r")')
    )
    (tmp_path / "pkg" / "broken.py").write_text(calls(OLD.format(n=3)) + "def f(:\n    pass\n")
    (tmp_path / "pkg" / "plain.py").write_text("x = 1\n")
    return tmp_path


def test_json_report_lists_status_steps_hunks_diagnostics_and_failures(tree: Path) -> None:
    done = codemod(tree, "preview", RECIPE, "--format", "json")
    assert done.returncode == 0, done.stderr.decode()
    doc = json.loads(done.stdout)  # stdout is only the document: no diff mixed in
    assert doc["recipe"]["id"] == RECIPE and doc["mode"] == "preview"
    assert doc["summary"]["changed"] == 1 and doc["summary"]["skipped"] == 1
    files = {f["path"]: f for f in doc["files"]}
    assert "pkg/plain.py" not in files  # nothing to say about it: only counted

    two = files["pkg/two.py"]
    assert two["status"] == "changed" and two["steps"] == ["rename_kwarg"]
    assert two["written"] is False
    assert [h["old_start"] for h in two["hunks"]] == [11, 21]
    assert "+" + NEW.format(n=2) in two["hunks"][1]["diff"]
    assert two["diff"].startswith("--- a/pkg/two.py\n+++ b/pkg/two.py\n")

    (diagnostic,) = files["pkg/dup.py"]["diagnostics"]
    assert diagnostic["step"] == "rename_kwarg" and diagnostic["line"] == 11
    assert files["pkg/dup.py"]["status"] == "unchanged"

    broken = files["pkg/broken.py"]
    assert broken["status"] == "skipped" and broken["reason"] == "syntax error"
    assert (broken["line"], broken["column"]) == (12, 7)


def test_json_after_apply_says_written(tree: Path) -> None:
    done = codemod(tree, "apply", RECIPE, "--format", "json")
    doc = json.loads(done.stdout)
    (two,) = [f for f in doc["files"] if f["path"] == "pkg/two.py"]
    assert two["written"] is True and doc["mode"] == "apply"
    assert doc["summary"]["written"] == 1


def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_sarif_is_valid_2_1_0_and_its_fixes_rebuild_the_change(tree: Path) -> None:
    original = (tree / "pkg" / "two.py").read_bytes()
    done = codemod(tree, "preview", RECIPE, "--format", "sarif", real=True)
    assert done.returncode == 0, done.stderr.decode()
    doc = json.loads(done.stdout)
    validator = sarif_validator()
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    # the validator is not vacuous: a result without a message is rejected
    broken = json.loads(done.stdout)
    del broken["runs"][0]["results"][0]["message"]
    assert not validator.is_valid(broken)

    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "codemod"
    changes = [r for r in run["results"] if r.get("fixes")]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in changes] == [
        11,
        21,
    ]
    assert {r["ruleId"] for r in changes} == {"rename_kwarg"}
    # apply the replacements (byte regions of the original) back to front
    data = bytearray(original)
    replacements = [
        rep
        for r in changes
        for change in r["fixes"][0]["artifactChanges"]
        for rep in change["replacements"]
    ]
    for rep in sorted(replacements, key=lambda r: -r["deletedRegion"]["byteOffset"]):
        region = rep["deletedRegion"]
        content = rep["insertedContent"]
        new = content["text"].encode() if "text" in content else base64.b64decode(content["binary"])
        data[region["byteOffset"] : region["byteOffset"] + region["byteLength"]] = new
    codemod(tree, "apply", RECIPE)
    assert bytes(data) == (tree / "pkg" / "two.py").read_bytes() != original

    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["file-skipped"] == "note"
    skipped = next(r for r in run["results"] if r["ruleId"] == "file-skipped")
    assert skipped["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 12,
        "startColumn": 7,
    }


def test_unknown_format_is_a_usage_error(tree: Path) -> None:
    done = codemod(tree, "preview", RECIPE, "--format", "xml")
    assert done.returncode == 2
    assert b"--format must be one of text, json, sarif" in done.stderr
