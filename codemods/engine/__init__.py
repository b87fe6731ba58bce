"""The engine: discover files, pre-check, parse each once, run steps, verify, diff, write."""

from codemods.engine.results import FileResult, Status, Summary
from codemods.engine.run import Plan, make_plan, process, run
from codemods.engine.write import write

__all__ = ["FileResult", "Plan", "Status", "Summary", "make_plan", "process", "run", "write"]
