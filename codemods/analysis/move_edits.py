"""``rename_module`` decided from CPython's ``ast`` alone: the text edits its LibCST path
(:class:`codemods.analysis.moves.MoveTransformer`) would make, or None where that is not
certain.

The common shapes of a module move are decided here: ``import old`` / ``import old.sub`` (their
attribute-chain uses follow), ``import old as o``, ``from old[.sub] import ...`` anywhere in
the file, strings naming the path (``patch("old.A")``), and the mentions in comments,
docstrings and other strings that the LibCST path reports. Where the imports are placed again
in isort's order, the module's leading import block is handed to the very function the LibCST
path uses (:func:`codemods.analysis.import_order.resort_imports`), parsed by LibCST on its own:
a few lines, not the module. Everything unusual is left to LibCST's full tree (the caller gets
None): relative imports of the moved package, ``from pkg import old`` and other parent-package
spellings, alternative imports (``try/except ImportError``), a name the import binds that is
bound otherwise where it is bound (a local, a parameter, ``global``, another import; ``import
old`` in a function is decided, and the same ``import old`` made again in another block), an
import in a class body, the new path already
imported or its first name used, reads that are not the moved chain, ``# type:`` comments
mentioning it, a string in an f-string's braces spelling it (a read of the name there
is decided when the f-string spells the name nowhere else), lone ``\\r`` or
``\\r\\n`` line ends, and nested import blocks the LibCST path would re-sort where their
lines alone cannot tell how (a comment before them, an ``else:`` block). A nested block's
leading imports are re-sorted as the module's, their lines alone parsed by LibCST
(``TextEditPlan._resort_nested``). The text
parts of an f-string are reported one by one, as LibCST sees them (``TextEditPlan._fstring``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.analysis.bindings import Binding, BindingModel, Scope, Use
from codemods.analysis.context import FileContext
from codemods.analysis.import_order import ast_key, resort_imports
from codemods.analysis.imports import mentions, rewrite_path_string
from codemods.analysis.moves import _LOADERS, first_party, isort_settings, verify_target
from codemods.analysis.text import TextEdit, TextMap, lines_spelling, reaches, word_re

_TYPE_COMMENT = re.compile(r"#\s*type:(?!\s*ignore\b)")
#: What may follow a statement on its line: spaces and a comment.
_TRAILING = re.compile(r"[ \t]*(#.*)?")
_BLOCKS = (
    ast.Module,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.ExceptHandler,
    ast.match_case,
)


#: A test sets this to a list to learn where each fallback was decided.
_WHY: list | None = None


_DOC_OWNERS = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_DECORATED = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
#: Nodes without children or positions: never part of what the rules look at.
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


class Undecided(Exception):
    """The ``ast`` cannot be sure: LibCST's full tree decides."""


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


@dataclass
class _Mention:
    offset: int
    kind: str


def module_move_edits(
    tree: ast.Module, text_map: TextMap, old: str, new: str, ctx: FileContext
) -> list[TextEdit] | None:
    """The edits ``rename_module old -> new`` makes to this file (diagnostics reported on
    ``ctx``), or None when LibCST's full tree must decide."""
    plan = _ModuleEdits(tree, text_map, old, new, ctx)
    try:
        return plan.run()
    except Undecided as exc:
        if _WHY is not None:
            _WHY.append(exc.__traceback__)
        return None
    finally:
        plan.release()


def _name_tail(func: ast.expr) -> str:
    """The last segment of LibCST's ``get_full_name_for_node`` of a call's function."""
    while True:
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
        if isinstance(func, ast.Call):
            func = func.func
        elif isinstance(func, ast.Subscript):
            func = func.value
        else:
            return ""


class TextEditPlan:
    """What the ``ast`` paths of the moves share: the one walk over the tree, strings naming
    the old path rewritten and the other mentions reported as the LibCST path
    (:class:`codemods.analysis.moves.MoveTransformer`) does, the target checks, and the
    leading import block re-sorted by the LibCST path's own function. A subclass sets the
    string and mention hooks and fills ``edits`` before calling :meth:`finish`."""

    #: Strings naming this dotted path (or a path under it) are rewritten to ``string_new``.
    string_old: str
    string_new: str
    #: The path named in a ``mention`` diagnostic.
    mention_path: str
    #: Text a string's value must hold to be rewritten or reported.
    needle: str
    #: Where a comment may mention the path (each match's comment is then looked at).
    trigger: re.Pattern[str]

    def __init__(self, tree: ast.Module, text_map: TextMap, ctx: FileContext) -> None:
        self.tree, self.tm, self.ctx = tree, text_map, ctx
        self.text = text_map.text
        self.edits: list[TextEdit] = []
        self.import_edits: list[TextEdit] = []
        self.renamed_imports: set[int] = set()  # id() of the ast import statements rewritten
        self.planned: list[tuple[str, list[str], int]] = []  # verify_target calls, in order
        self.parents: dict[int, ast.AST] = {}
        self.replaced_strings: set[int] = set()  # id() of strings the plan rewrote as code
        self.models: list[BindingModel] = []  # the binding models :meth:`run` made

    def release(self) -> None:
        """Once the edits are known: the binding model's cycles broken (see
        :meth:`BindingModel.release`), the indexes of the tree dropped."""
        for model in self.models:
            model.release()
        self.parents.clear()

    def mentioned(self, text: str) -> bool:
        """Whether a comment's or a string's source text mentions the old path."""
        return mentions(text, self.mention_path)

    def finish(self) -> list[TextEdit]:
        """The target checks and the mentions reported, in the LibCST path's order; the edits
        with the leading import block re-sorted."""
        mentions_found = self._strings()
        mentions_found += self._comments()
        for module, names, line in self.planned:
            verify_target(self.ctx, module, names, line)
        for mention in sorted(mentions_found, key=lambda m: m.offset):
            line, column = self.tm.line_col(mention.offset)
            self.ctx.report(
                "mention",
                f"{mention.kind} still mentions `{self.mention_path}` (not code: left for you "
                "to review)",
                line,
                column,
            )
        return self._with_head_resorted()

    def line_end_alone(self, node: ast.stmt) -> int:
        """Where the line of ``node`` ends, when it is alone on that line (a comment may
        follow): what an insertion after it, as the LibCST path's ``insert_after``, needs."""
        start, end = self.tm.span(node)
        line_start = self.text.rfind("\n", 0, start) + 1
        line_end = self.text.find("\n", end)
        rest = self.text[end : line_end if line_end >= 0 else len(self.text)]
        if line_end < 0 or self.text[line_start:start] or not _TRAILING.fullmatch(rest):
            raise Undecided  # `a; import old.sub`, a `;` after it, or no line end
        return line_end

    def _index(self, tops: set[str]) -> None:
        """One walk over the tree: parents, the reads of ``tops``, ``global`` declarations,
        strings (an f-string as a whole), and the blocks and docstrings the rules look at.

        A statement or an expression is visited only where its lines (a definition's from its
        first decorator) can hold what the rules look for: a word of ``tops`` or the needle, or
        a backslash that may matter (``ESCAPES``: an escape can spell the needle in a string's
        value, a backslash at a line's end can split it). A string or a name elsewhere can be neither rewritten nor reported, so the
        index need not hold it, nor its parents; a block elsewhere holds no edit, so the LibCST
        path leaves it as it is (it re-sorts only the blocks that change), and the index need
        not hold it either. Inside an f-string everything is visited (before Python 3.12 the
        positions of its parts are the f-string's own); a name read there is noted with the
        outermost f-string holding it (:meth:`fstring_read`)."""
        self.names: dict[str, list[tuple[ast.Name, ast.JoinedStr | None]]] = {
            top: [] for top in tops
        }
        self._fstring_reads: set[tuple[int, str]] = set()
        self.declared: set[str] = set()
        self.blocks: list[ast.AST] = []
        self.docstrings: set[int] = set()
        self.strings: list[ast.Constant | ast.JoinedStr] = []
        lines = lines_spelling(self.text, {*tops, self.needle}, escapes=True)
        parents = self.parents
        stack: list[tuple[ast.AST, ast.JoinedStr | None]] = [(self.tree, None)]
        while stack:
            node, in_fstring = stack.pop()
            if isinstance(node, ast.Name):
                if node.id in tops:
                    self.names[node.id].append((node, in_fstring))
                continue
            if isinstance(node, ast.Constant):
                if isinstance(node.value, str | bytes) and not in_fstring:
                    self.strings.append(node)
                continue
            if isinstance(node, ast.JoinedStr) and not in_fstring:
                self.strings.append(node)
                in_fstring = node
            elif isinstance(node, _BLOCKS):
                self.blocks.append(node)
                if isinstance(node, _DOC_OWNERS):
                    self._note_docstring(node)
            elif isinstance(node, ast.Global | ast.Nonlocal):
                self.declared.update(node.names)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, _LEAVES):
                    continue
                if not in_fstring and isinstance(child, ast.expr | ast.stmt):
                    first = child.lineno
                    if isinstance(child, _DECORATED) and child.decorator_list:
                        first = child.decorator_list[0].lineno  # above its `def`/`class` line
                    if not reaches(lines, first, child.end_lineno):  # type: ignore[arg-type]
                        continue  # nothing on its lines the rules look at
                parents[id(child)] = node
                stack.append((child, in_fstring))

    def fstring_read(self, node: ast.Name, fstring: ast.JoinedStr) -> None:
        """A read of ``node.id`` inside the braces of ``fstring``, its position from Python's
        ``ast`` (exact for the expressions of an f-string since 3.8), trusted only when the
        f-string's source spells the name as a word exactly at the positions of its reads
        and nowhere else (not in its text, not in a string in its braces)."""
        name = node.id
        key = (id(fstring), name)
        if key in self._fstring_reads:
            return
        start, end = self.tm.span(fstring)
        words = [start + m.start() for m in word_re(name).finditer(self.text[start:end])]
        reads = sorted(self.tm.span(n)[0] for n, f in self.names.get(name, ()) if f is fstring)
        if words != reads:
            raise Undecided  # the name also spelled in its text, or positions not the source's
        self._fstring_reads.add(key)

    def _note_docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", None)
        first = body[0] if body else None
        if not (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str | bytes)
        ):
            return
        if not isinstance(node, ast.Module):
            start = self.tm.offset(first.value.lineno, first.value.col_offset)
            line_start = self.text.rfind("\n", 0, start) + 1
            if self.text[line_start:start].strip():
                return  # `def f(): "doc"`: LibCST's one-line suite has no docstring
        self.docstrings.add(id(first.value))

    def _check_nested_blocks(self) -> None:
        """The LibCST path re-sorts the leading imports of every changed indented block: a
        block that starts with two or more imports, one of them rewritten, is re-sorted the
        same way (:meth:`_resort_nested`); with none rewritten, it is left to LibCST when a
        blank line between them holds spaces (re-sorting would normalise it)."""
        for node in self.blocks:
            if isinstance(node, ast.Module):
                continue
            for body in (getattr(node, "body", None), getattr(node, "orelse", None)):
                if not body:
                    continue
                run = _leading_imports(body)
                if len(run) < 2:
                    continue
                if any(id(stmt) in self.renamed_imports for stmt in run):
                    if body is not getattr(node, "body", None) or not isinstance(body, list):
                        raise Undecided  # an `else:` block: where its header ends is unknown
                    self._resort_nested(node, body, run)
                    continue
                first = self.tm.offset(run[0].lineno, 0)
                last = self.tm.offset(run[-1].lineno, 0)
                for line in self.text[first:last].split("\n"):
                    if line.strip() == "" and line != "":
                        raise Undecided
            if isinstance(node, ast.Try):
                for body in (node.finalbody,):
                    if len(_leading_imports(body)) >= 2:
                        raise Undecided

    def _resort_nested(self, node: ast.AST, body: list[ast.stmt], run: list[ast.stmt]) -> None:
        """The leading imports ``run`` of the indented block ``body`` of ``node`` (one of them
        rewritten), re-sorted as the LibCST path's ``leave_IndentedBlock`` re-sorts them: the
        lines of the run alone, under an ``if`` header of their own, parsed by LibCST and
        handed to the same function (:func:`codemods.analysis.import_order.resort_imports`);
        the edits inside them become one edit. Left to LibCST where the lines before the run
        (the block's first statement's leading lines to LibCST) are not all blank, or the run
        shares a line with its header."""
        text = self.text
        after = body[0] if body[0] is not run[0] else None  # a docstring
        header = getattr(node, "lineno", None)
        if header is None:
            raise Undecided
        since = after.end_lineno if after is not None else header
        assert since is not None
        if run[0].lineno <= since:
            raise Undecided  # `if x: import a; import b`: a one-line suite
        start = self.tm.offset(run[0].lineno, 0)
        between = text[self.tm.offset(since + 1, 0) : start] if run[0].lineno > since + 1 else ""
        if between.strip():
            raise Undecided  # a comment (or a multi-line header) before the run
        end_line = run[-1].end_lineno
        assert end_line is not None
        line_end = text.find("\n", self.tm.offset(end_line, 0))
        if line_end < 0 or text[line_end - 1 : line_end] == "\\":
            raise Undecided
        end = line_end + 1
        if any(e.start < start < e.end or e.start < end < e.end for e in self.edits):
            raise Undecided
        inside = [e for e in self.edits if start <= e.start and e.end <= end]
        region = text[start:end]
        indent = region[: len(region) - len(region.lstrip(" \t"))]
        if not indent:
            raise Undecided
        shifted = [TextEdit(e.start - start, e.end - start, e.new) for e in inside]
        updated = _splice(region, shifted)
        try:
            original_module = cst.parse_module("if 1:\n" + region)
            updated_module = cst.parse_module("if 1:\n" + updated)
        except cst.ParserSyntaxError as exc:
            raise Undecided from exc
        original_if, updated_if = original_module.body[0], updated_module.body[0]
        if not isinstance(original_if, cst.If) or not isinstance(updated_if, cst.If):
            raise Undecided
        original_block, updated_block = original_if.body, updated_if.body
        if not isinstance(original_block, cst.IndentedBlock) or not isinstance(
            updated_block, cst.IndentedBlock
        ):
            raise Undecided
        resorted_block = resort_imports(
            original_block,
            updated_block,
            lambda top: first_party(self.ctx, top),
            isort_settings(self.ctx),
            None if "\t" in indent else indent,
        )
        if resorted_block is updated_block:
            return
        resorted = updated_module.code_for_node(resorted_block)
        if not resorted.startswith("\n"):
            raise Undecided
        resorted = resorted[1:]  # the header's line end
        if resorted == updated:
            return
        self.edits = [e for e in self.edits if not (start <= e.start and e.end <= end)]
        self.edits.append(TextEdit(start, end, resorted))

    # -- strings and comments ---------------------------------------------------------------
    def _strings(self) -> list[_Mention]:
        """Strings naming the path are rewritten as the LibCST path does; the others that
        mention it are reported (docstrings as docstrings)."""
        old, needle = self.string_old, self.needle
        found: list[_Mention] = []
        needle_bytes = needle.encode()
        for node in self.strings:
            if isinstance(node, ast.JoinedStr):
                start, end = self.tm.span(node)
                if needle in self.text[start:end] or any(
                    isinstance(n, ast.Constant)
                    and (needle in n.value if isinstance(n.value, str) else needle_bytes in n.value)
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str | bytes)
                ):
                    self._fstring(start, end, found)
                continue
            value = node.value
            assert isinstance(value, str | bytes)
            if id(node) in self.replaced_strings:
                continue
            # the source text can only spell `needle` where the value holds it
            if not (needle in value if isinstance(value, str) else needle_bytes in value):
                continue
            start, end = self.tm.span(node)
            segment = self.text[start:end]
            if _string_tokens(segment) != 1:
                if id(node) in self.docstrings:
                    raise Undecided  # LibCST takes no concatenation for a docstring
                # "a" "b": LibCST sees each part as a string of its own (not an argument)
                for offset, part in _string_parts(segment):
                    self._one_string(start + offset, part, False, found)
                continue
            if id(node) in self.docstrings:
                if self.mentioned(segment):
                    found.append(_Mention(start, "docstring"))
                continue
            loads = "." not in old and value == old and self._loads(node)
            self._one_string(start, segment, loads, found)
        return found

    def _fstring(self, start: int, end: int, found: list[_Mention]) -> None:
        """An f-string (or a concatenation holding one) as the LibCST path sees it: each
        ``FormattedStringText`` part (its source text, ``{{`` and escapes as written) reported
        at its own position when it mentions the path, never rewritten; each plain string part
        of the concatenation rewritten or reported on its own. The f-string alone is parsed by
        LibCST, so the parts are LibCST's. An expression inside the braces that spells the
        needle (a string the LibCST path could rewrite, a name) is left to LibCST."""
        needle = self.needle
        snippet = "(" + self.text[start:end] + ")\n"
        try:
            module = cst.parse_module(snippet)
        except (cst.ParserSyntaxError, RecursionError) as exc:
            raise Undecided from exc
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        positions = wrapper.resolve(PositionProvider)
        line_starts = [0]
        for line in snippet.splitlines(keepends=True):
            line_starts.append(line_starts[-1] + len(line))

        def offset(node: cst.CSTNode) -> int:
            at = positions[node].start
            return start + line_starts[at.line - 1] + at.column - 1  # the "(" is not the file's

        def expression(node: cst.FormattedStringExpression) -> None:
            if needle in module.code_for_node(node.expression) and _holds_a_string(node.expression):
                raise Undecided  # a string in the braces spelling it: the LibCST path's own
            for inner in _strings_in(node.expression):
                value = inner.evaluated_value
                if isinstance(value, str) and needle in value:
                    raise Undecided
                if isinstance(value, bytes) and needle.encode() in value:
                    raise Undecided
            for part in node.format_spec or ():
                content(part)

        def content(part: cst.BaseFormattedStringContent) -> None:
            if isinstance(part, cst.FormattedStringText):
                if self.mentioned(part.value):
                    found.append(_Mention(offset(part), "string"))
            elif isinstance(part, cst.FormattedStringExpression):
                expression(part)
            else:
                raise Undecided

        def string(node: cst.BaseExpression) -> None:
            if isinstance(node, cst.ConcatenatedString):
                string(node.left)
                string(node.right)
            elif isinstance(node, cst.FormattedString):
                for part in node.parts:
                    content(part)
            elif isinstance(node, cst.SimpleString):
                self._one_string(offset(node), node.value, False, found)
            else:
                raise Undecided

        statement = wrapper.module.body[0]
        expr = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else None
        if not isinstance(expr, cst.Expr):
            raise Undecided
        string(expr.value)

    def _one_string(self, start: int, segment: str, loads: bool, found: list[_Mention]) -> None:
        """One string token at ``start``: rewritten if it names the path (a lone module word
        only where ``loads``: the first argument of an import or patch call), else reported if
        it mentions it."""
        old, new = self.string_old, self.string_new
        value = ast.literal_eval(segment)
        if isinstance(value, str) and ("." in old or value != old or loads):
            rewritten = rewrite_path_string(cst.SimpleString(segment), old, new)
            if rewritten is not None:
                self.edits.append(TextEdit(start, start + len(segment), rewritten.value))
                return
        if self.mentioned(segment):
            found.append(_Mention(start, "string"))

    def _loads(self, node: ast.Constant) -> bool:
        """Whether ``node`` is the first argument of a call that imports or patches by name
        (LibCST's first argument: the first in source order, positional or keyword)."""
        parent = self.parents.get(id(node))
        if isinstance(parent, ast.keyword):
            call = self.parents.get(id(parent))
            if not isinstance(call, ast.Call) or call.args:
                if isinstance(call, ast.Call):
                    raise Undecided  # `f(k="x", *a)`: the order of LibCST's args decides
                return False
            if call.keywords[0] is not parent:
                return False
        elif isinstance(parent, ast.Call):
            call = parent
            if not call.args or call.args[0] is not node:
                return False
            if call.keywords and (call.keywords[0].lineno, call.keywords[0].col_offset) < (
                node.lineno,
                node.col_offset,
            ):
                raise Undecided
        else:
            return False
        return _name_tail(call.func) in _LOADERS

    def _comments(self) -> list[_Mention]:
        """Comments mentioning the path (a ``#`` outside every string starts one)."""
        found: list[_Mention] = []
        seen: set[int] = set()
        matches = list(self.trigger.finditer(self.text))
        if not matches:
            return found
        lines = {self.tm.position(m.start())[0] for m in matches}
        spans = [
            span
            for node in self.strings
            if any(node.lineno <= line <= (node.end_lineno or node.lineno) for line in lines)
            for span in self._token_spans(node)
        ]
        for match in matches:
            at = match.start()
            if _inside(spans, at):
                continue
            line_start = self.text.rfind("\n", 0, at) + 1
            hash_at = -1
            position = line_start
            while True:
                position = self.text.find("#", position, at)
                if position < 0:
                    break
                if not _inside(spans, position):
                    hash_at = position
                    break
                position += 1
            if hash_at < 0 or hash_at in seen:
                continue
            seen.add(hash_at)
            line_end = self.text.find("\n", hash_at)
            comment = self.text[hash_at : line_end if line_end >= 0 else len(self.text)]
            if _TYPE_COMMENT.match(comment):
                raise Undecided
            if self.mentioned(comment):
                found.append(_Mention(hash_at, "comment"))
        return found

    def _token_spans(self, node: ast.Constant | ast.JoinedStr) -> list[tuple[int, int]]:
        """Where the string's tokens are: one span, or one per part of an implicit
        concatenation (a comment may sit between the parts)."""
        start, end = self.tm.span(node)
        segment = self.text[start:end]
        if "#" not in segment:
            return [(start, end)]
        return [
            (start + offset, start + offset + len(part))
            for offset, part in _string_parts(segment, fstrings=True)
        ]

    # -- the leading import block, re-sorted as the LibCST path re-sorts it -----------------
    #: Whether a rewritten import may merge into another one (``resort_imports`` does that
    #: before it looks at the order): not for a module move, which leaves a file that imports
    #: the new path already to the LibCST path.
    may_merge = True

    def _head_unsorted(self, leading: list[ast.stmt]) -> bool:
        """Whether the leading imports, as the original has them, are out of isort's order
        (then LibCST's path does not re-sort them). Each must be alone on its lines, as a
        LibCST one-import line is; else the LibCST path decides."""
        imports = [s for s in leading if isinstance(s, ast.Import | ast.ImportFrom)]
        if len(imports) < 2 or len(imports) != len(leading) - (leading[0] is not imports[0]):
            return False
        previous = 0
        for stmt in leading:
            if stmt.lineno <= previous:
                return False  # `import a; import b`: one LibCST line
            previous = stmt.end_lineno or stmt.lineno
        settings = isort_settings(self.ctx)
        party = lambda top: first_party(self.ctx, top)  # noqa: E731
        keys = [ast_key(s, party, settings) for s in imports]  # type: ignore[arg-type]
        return keys != sorted(keys)

    def _with_head_resorted(self) -> list[TextEdit]:
        if not self.renamed_imports:
            return sorted(self.edits)
        body = self.tree.body
        index = 0
        if body and _is_docstring(body[0]):
            index = 1
        while index < len(body) and isinstance(body[index], ast.Import | ast.ImportFrom):
            index += 1
        leading = body[:index]
        if not any(isinstance(s, ast.Import | ast.ImportFrom) for s in leading):
            return sorted(self.edits)
        if not self.may_merge and self._head_unsorted(leading):
            return sorted(self.edits)  # resort_imports leaves a block out of order as it is
        end_line = leading[-1].end_lineno
        assert end_line is not None
        line_end = self.text.find("\n", self.tm.offset(end_line, 0))
        if line_end < 0 or self.text[line_end - 1 : line_end] == "\\":
            raise Undecided
        region_end = line_end + 1
        inside = [e for e in self.edits if e.end <= region_end]
        if any(e.start < region_end < e.end for e in self.edits):
            raise Undecided
        region = self.text[:region_end]
        updated = _splice(region, inside)
        try:
            original_module = cst.parse_module(region)
            updated_module = cst.parse_module(updated)
        except cst.ParserSyntaxError as exc:
            raise Undecided from exc
        resorted = resort_imports(
            original_module,
            updated_module,
            lambda top: first_party(self.ctx, top),
            isort_settings(self.ctx),
            "",
        ).code
        if resorted == updated:
            return sorted(self.edits)
        outside = [e for e in self.edits if e.end > region_end]  # the others are inside
        return sorted([TextEdit(0, region_end, resorted), *outside])


class _ModuleEdits(TextEditPlan):
    may_merge = False

    def __init__(
        self, tree: ast.Module, text_map: TextMap, old: str, new: str, ctx: FileContext
    ) -> None:
        super().__init__(tree, text_map, ctx)
        self.old, self.new = old, new
        self.string_old, self.string_new = old, new
        self.mention_path = self.needle = old
        self.trigger = word_re(old)

    def moved(self, dotted: str) -> str | None:
        if not _under(dotted, self.old):
            return None
        return self.new + dotted[len(self.old) :]

    # -- the whole decision ----------------------------------------------------------------
    def run(self) -> list[TextEdit]:
        old, new, text = self.old, self.new, self.text
        if "\r" in text or _under(new, old) or _under(old, new):
            raise Undecided
        ctx = self.ctx
        model = BindingModel(
            self.tree,
            ctx.module_name,
            is_package=ctx.path.name == "__init__.py",
            source=text,
            only={*old.split("."), *new.split(".")},
        )
        self.models.append(model)
        # (dotted bound path, its new path, the scope the import binds in)
        dotted_reads: list[tuple[str, str, Scope]] = []
        #: (id of the scope, dotted path) -> the imports ``import dotted`` binding it there
        self.dotted_imports: dict[tuple[int, str], list[tuple[ast.Import, ast.alias, Binding]]]
        self.dotted_imports = {}
        for stmt in model.imports:
            node = stmt.node
            if isinstance(node, ast.ImportFrom):
                self._plan_from(stmt.module, node, stmt.alternative is not None)
                continue
            for alias in node.names:
                if _under(alias.name, old):
                    if stmt.alternative is not None:
                        raise Undecided
                    target = self.moved(alias.name)
                    assert target is not None
                    self._rename_alias(node, alias, target)
                    self.planned.append((target, [], node.lineno))
                    if alias.asname is None:
                        if stmt.scope.kind not in ("module", "function"):
                            raise Undecided  # a class body: its reads are LibCST's to tell
                        dotted_reads.append((alias.name, target, stmt.scope))
                        binding = stmt.bindings[node.names.index(alias)]
                        self.dotted_imports.setdefault((id(stmt.scope), alias.name), []).append(
                            (node, alias, binding)
                        )
                elif _under(old, alias.name):
                    raise Undecided  # `import pkg; pkg.old.A`: a parent-package chain
        self._index({dotted.split(".")[0] for dotted, _, _ in dotted_reads})
        # first name -> id of the scope -> (the scope, {dotted path: its new path})
        groups: dict[str, dict[int, tuple[Scope, dict[str, str]]]] = {}
        for dotted, target, scope in dotted_reads:
            by_scope = groups.setdefault(dotted.split(".")[0], {})
            by_scope.setdefault(id(scope), (scope, {}))[1][dotted] = target
        for top, by_scope in groups.items():
            self._rename_reads(model, top, list(by_scope.values()))
        if self.renamed_imports:
            if model.bindings_of_module(new):
                raise Undecided  # the new path is imported already: duplicates to avoid
            old_top, new_top = old.split(".")[0], new.split(".")[0]
            if old_top != new_top and word_re(new_top, r"\w").search(text):
                raise Undecided  # the new first name may be something else here
            tops = {dotted.split(".")[0] for dotted, _, _ in dotted_reads}
            for match in _TYPE_COMMENT.finditer(text):
                line_end = text.find("\n", match.end())
                rest = text[match.end() : line_end if line_end >= 0 else len(text)]
                if any(word_re(t).search(rest) for t in tops):
                    raise Undecided  # the LibCST path renames inside `# type:` comments
            self._check_nested_blocks()
        return self.finish()

    # -- imports ----------------------------------------------------------------------------
    def _plan_from(self, module: str | None, node: ast.ImportFrom, alternative: bool) -> None:
        old = self.old
        names = [a.name for a in node.names if a.name != "*"]
        if node.level:
            here = self.ctx.module_name
            if (
                module is not None
                and here is not None
                and _under(module, old)
                and _under(here, old)
            ):
                if alternative:
                    raise Undecided  # the LibCST path may report it left alone
                return  # a relative import inside the moved package moves with it
            if module is None or _under(module, old) or _under(old, module):
                raise Undecided  # relative imports of (or into) the moved package
            if any(_under(f"{module}.{n}", old) or _under(old, f"{module}.{n}") for n in names):
                raise Undecided
            return
        assert module is not None
        if _under(module, old):
            if alternative:
                raise Undecided
            target = self.moved(module)
            assert target is not None
            start = self.tm.offset(node.lineno, node.col_offset)
            match = re.compile(rf"from([ \t]+)({re.escape(module)})(?=[ \t\\(])").match(
                self.text, start
            )
            if match is None:
                raise Undecided  # spelled across lines or with spaces: LibCST normalises it
            edit = TextEdit(match.start(2), match.end(2), target)
            self.edits.append(edit)
            self.import_edits.append(edit)
            self.renamed_imports.add(id(node))
            self.planned.append((target, names, node.lineno))
            return
        if any(_under(f"{module}.{n}", old) or _under(old, f"{module}.{n}") for n in names):
            raise Undecided  # `from pkg import old`, `from pkg import sub; sub.old.A`
        if len(names) != len(node.names) and _under(old, module):
            raise Undecided  # `from pkg import *` may bind the moved module's parent names

    def _rename_alias(self, node: ast.Import, alias: ast.alias, target: str) -> None:
        start = self.tm.offset(alias.lineno, alias.col_offset)
        end = start + len(alias.name)
        if self.text[start:end] != alias.name:
            raise Undecided  # `import a . b`: LibCST would normalise the spelling
        edit = TextEdit(start, end, target)
        self.edits.append(edit)
        self.import_edits.append(edit)
        self.renamed_imports.add(id(node))

    def _rename_reads(
        self, model: BindingModel, top: str, groups: list[tuple[Scope, dict[str, str]]]
    ) -> None:
        """``import old[.sub]`` binds ``top`` (at module level or in functions, ``groups``
        holding each such scope's imports: dotted path -> new path): every read of it is a
        chain ``dotted...`` of one of the imports of the scope it resolves to, rewritten to
        its new path. In each scope binding ``top`` the name must be bound by these imports
        only (several only as ``import old`` with ``import old.sub``, both moving, or as the
        same ``import old`` in different blocks), or the LibCST path's scope analysis decides.

        One ``import old.sub`` alone (``old`` the first name) that is also read as ``old.x``:
        the LibCST path keeps ``import old`` in its place and adds ``import new.sub`` after
        it; the ``old.sub...`` reads move, the others stay."""
        by_scope = {id(scope): (scope, group) for scope, group in groups}
        for scope in model.scopes:
            bindings = scope.bindings.get(top, ())
            if not bindings:
                continue
            if id(scope) not in by_scope:
                raise Undecided  # bound otherwise there (a local, a parameter...)
            group = by_scope[id(scope)][1]
            imports = [self.dotted_imports[(id(scope), d)] for d in group]
            if len(bindings) != sum(len(i) for i in imports):
                raise Undecided
            if len(group) > 1 and (top != self.old or top not in group):
                raise Undecided
            if any(len(i) > 1 for i in imports):
                if len(group) > 1:
                    raise Undecided  # the same import twice beside another one
                parents = [id(self.parents.get(id(node))) for node, _, _ in imports[0]]
                if len(set(parents)) != len(parents):
                    raise Undecided  # the same import twice in one block: LibCST drops one
        if any(top in s.globals or top in s.nonlocals for s in model.scopes):
            raise Undecided
        if any(u.name == top and u.where != "code" for u in model.uses):
            raise Undecided  # read in a string annotation, `__all__` or a type comment
        if top in self.declared:
            raise Undecided
        new_top = self.new.split(".")[0]
        kept: dict[int, bool] = {}
        on_line: dict[int, dict[int, list[Use]]] = {}  # id of the scope -> line -> its reads
        resolved: dict[tuple[int, int], Scope] = {}  # a read's position -> the import's scope
        for scope, group in groups:
            (only,) = group if len(group) == 1 else (None,)
            reads = model.reads(scope, top)
            kept[id(scope)] = (
                only is not None
                and only != top
                and new_top != top
                and len(self.dotted_imports[(id(scope), only)]) == 1
                and any(not _under(u.chain, only) for u in reads)
            )
            lines = on_line.setdefault(id(scope), {})
            for use in reads:
                if use.where == "code":
                    lines.setdefault(use.line, []).append(use)
                    resolved[(use.line, use.col)] = scope
        longest = max(len(d.split(".")) for _, group in groups for d in group)
        for node, in_fstring in self.names[top]:
            if not isinstance(node.ctx, ast.Load):
                raise Undecided
            if in_fstring is not None:
                self.fstring_read(node, in_fstring)
            found = resolved.get((node.lineno, node.col_offset))
            if found is None:
                raise Undecided  # a read the binding model resolves to none of the imports
            group = by_scope[id(found)][1]
            chain: ast.expr = node
            spelled = top
            best: tuple[ast.expr, str] | None = (node, top) if top in group else None
            for _ in range(longest - 1):
                parent = self.parents.get(id(chain))
                if not isinstance(parent, ast.Attribute) or parent.value is not chain:
                    break
                spelled += "." + parent.attr
                chain = parent
                if spelled in group:
                    best = (chain, spelled)
            if best is None:
                if kept[id(found)]:
                    continue  # `old.x` reads the `import old` that stays
                raise Undecided  # a read that is not `dotted...`: the LibCST path keeps
            chain, dotted = best  # the parent bound, or leaves it
            start, end = self.tm.span(chain)
            if self.text[start:end] != dotted:
                raise Undecided  # `old . A` or a comment inside the chain
            self._sees_the_import(
                model, node, start, on_line[id(found)], self.dotted_imports[(id(found), dotted)]
            )
            self.edits.append(TextEdit(start, end, group[dotted]))
        for scope, group in groups:
            if kept[id(scope)]:
                (only,) = group
                self._keep_parent(self.dotted_imports[(id(scope), only)][0], group[only])

    def _sees_the_import(
        self,
        model: BindingModel,
        node: ast.Name,
        start: int,
        on_line: dict[int, list[Use]],
        imports: list[tuple[ast.Import, ast.alias, Binding]],
    ) -> None:
        """The checks the LibCST path makes of each read it rewrites (``_uses``), made the
        same way: the binding model's read at LibCST's position (its column in characters),
        seeing the import (not a read before it at module level), and the new first name
        bound by the rewritten import there. Any other answer: LibCST decides (it leaves
        the read alone, or warns and leaves the file).

        The same import made twice (in two blocks): the LibCST path checks the read for each
        import its scope analysis counts it a reference of (one before it in the read's own
        scope, any from a scope below); here for each of those, and at least one must be."""
        new_top = self.new.split(".")[0]
        column = self.tm.line_col(start)[1] - 1
        uses = on_line.get(node.lineno, [])
        exact = [u for u in uses if u.col == column]
        use = exact[0] if exact else (uses[0] if len(uses) == 1 else None)
        if use is None:
            raise Undecided
        seen = [
            binding
            for _, _, binding in imports
            if use.scope is not binding.scope or (binding.line, binding.col) < (use.line, use.col)
        ]
        if not seen:
            raise Undecided
        target = seen[0].target  # the same for each: the same statement
        if (
            model.sees(
                use.scope,
                use.name,
                use.line,
                use.col,
                lambda b: b.kind == "import" and b.target == target,
            )
            is not True
        ):
            raise Undecided
        for binding in seen:
            if new_top != use.name and (
                model.sees(use.scope, new_top, use.line, use.col, lambda b: False, [binding])
                is not True
            ):
                raise Undecided  # the new name has no bindings: only the rewritten import counts

    def _keep_parent(self, found: tuple[ast.Import, ast.alias, Binding], target: str) -> None:
        """``import a.b`` becomes ``import a`` with ``import new.b`` on the next line, as
        the LibCST path's ``_still_read`` and ``insert_after`` make them (a statement at
        module level, alone on its line)."""
        node, alias, _ = found
        dotted = alias.name
        if not any(stmt is node for stmt in self.tree.body):
            raise Undecided  # in an indented block: the LibCST path indents it (and re-sorts)
        start = self.tm.offset(alias.lineno, alias.col_offset)
        edit = next(e for e in self.edits if e.start == start and e.end == start + len(dotted))
        kept = TextEdit(edit.start, edit.end, dotted.rpartition(".")[0])
        self.edits[self.edits.index(edit)] = kept
        self.import_edits[self.import_edits.index(edit)] = kept
        line_end = self.line_end_alone(node)
        self.edits.append(TextEdit(line_end + 1, line_end + 1, f"import {target}\n"))


def _strings_in(node: cst.CSTNode) -> list[cst.SimpleString]:
    """The plain strings anywhere inside ``node``."""
    found: list[cst.SimpleString] = []

    class Strings(cst.CSTVisitor):
        def visit_SimpleString(self, string: cst.SimpleString) -> None:
            found.append(string)

    node.visit(Strings())
    return found


def _holds_a_string(node: cst.CSTNode) -> bool:
    """Whether ``node`` has a string (plain, formatted or concatenated) anywhere inside."""
    found = False

    class Strings(cst.CSTVisitor):
        def visit_SimpleString(self, string: cst.SimpleString) -> None:
            nonlocal found
            found = True

        def visit_FormattedString(self, string: cst.FormattedString) -> None:
            nonlocal found
            found = True

    node.visit(Strings())
    return found


def _splice(text: str, edits: list[TextEdit]) -> str:
    out, position = [], 0
    for edit in sorted(edits):
        out += [text[position : edit.start], edit.new]
        position = edit.end
    out.append(text[position:])
    return "".join(out)


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    return any(start <= offset < end for start, end in spans)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str | bytes)
    )


def _leading_imports(body: list[ast.stmt]) -> list[ast.stmt]:
    start = 1 if body and _is_docstring(body[0]) else 0
    run: list[ast.stmt] = []
    for stmt in body[start:]:
        if not isinstance(stmt, ast.Import | ast.ImportFrom):
            break
        run.append(stmt)
    return run


_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)


def _string_parts(segment: str, *, fstrings: bool = False) -> list[tuple[int, str]]:
    """The string tokens of an implicit concatenation (offset in ``segment``, token text);
    Undecided for an f-string part (LibCST reports its text parts; unless ``fstrings``) or
    anything unusual."""
    wrapped = "(" + segment + ")"
    starts = [0]
    for line in wrapped.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(wrapped).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise Undecided from exc
    parts = []
    for token in tokens:
        if token.type == _FSTRING_START:
            raise Undecided  # Python 3.12+ tokenizes an f-string into parts
        if token.type != tokenize.STRING:
            continue
        prefix = token.string[: len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
        if "f" in prefix.lower() and not fstrings:
            raise Undecided
        offset = starts[token.start[0] - 1] + token.start[1] - 1
        if wrapped[offset + 1 : offset + 1 + len(token.string)] != token.string:
            raise Undecided
        parts.append((offset, token.string))
    return parts


def _string_tokens(segment: str) -> int:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(segment).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise Undecided from exc
    return sum(1 for t in tokens if t.type == tokenize.STRING)
