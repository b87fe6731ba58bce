"""``pattern`` step candidates for the changes no other step explains (anti-unification).

Each example pair is walked in parallel with the stdlib ``ast`` (:mod:`codemods.learn.sites`:
statements aligned, import statements left to the import steps); where the two trees first
differ inside an expression, that expression is a *site*: ``client.fetch_all(url)`` became ``fetch(client, url)``. The
parts of the "before" expression that reappear in the "after" one are holes: they become
metavariables, the rest is the rule's literal anchor. Sites whose before/after shapes agree
up to their holes are one rule::

    pattern: $A.fetch_all($B)       # literal names written as what they refer to
    fix: fetch($A, $B)              # the hand fix's own text, holes replaced
    imports: {add: [from app.http import fetch]}

A hole that is the same constant at every site stays literal; a hole that is the same dotted
name at every site, resolved through each file's imports, gets a ``qualified_name``
constraint. Like every candidate, a rule is kept only if running it on every "before" file
reproduces the hand fix's hunks exactly and changes nothing else
(:mod:`codemods.learn.select`).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from codemods.analysis.project import ProjectIndex
from codemods.analysis.signatures import dotted
from codemods.learn.examples import Hunk, Pair
from codemods.learn.infer import Candidate, _Facts, _parse, _resolve_parts, facts_of
from codemods.learn.sites import offset, reused_parts, segment, skeleton, statement_sites

#: At most this many rules are proposed (the self-check runs each one).
MAX_RULES = 12


@dataclass
class _Site:
    pair: Pair
    before: ast.expr
    after: ast.expr
    facts_before: _Facts
    facts_after: _Facts


def _fix_text(site: _Site, names: dict[str, str], literal: set[str]) -> str | None:
    """The hand fix's text of the site with each hole's occurrences replaced by ``$NAME``."""
    data = site.pair.after
    text = segment(data, site.after)
    if text is None:
        return None
    base = offset(data, site.after.lineno, site.after.col_offset)
    cuts: list[tuple[int, int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            key = ast.dump(child) if isinstance(child, ast.expr) else ""
            if key in names and key not in literal:
                s = offset(data, child.lineno, child.col_offset) - base  # type: ignore[attr-defined]
                e = offset(data, child.end_lineno, child.end_col_offset) - base  # type: ignore[attr-defined]
                cuts.append((s, e, names[key]))
            else:
                visit(child)

    whole = ast.dump(site.after)
    if whole in names:  # `$A.result()` -> `$A`
        return None if whole in literal else names[whole]
    visit(site.after)
    out = text
    for s, e, name in sorted(cuts, reverse=True):
        out = out[:s] + name.encode() + out[e:]
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _qualified(chain: str, facts: _Facts) -> str | None:
    parts = _resolve_parts(chain, facts, "")
    if parts is None:
        return None
    module, rest = parts
    return f"{module}.{rest}" if rest else module


def _pattern_text(site: _Site, names: dict[str, str], literal: set[str]) -> str | None:
    """The site's "before" with holes as metavariables and literal dotted names written as
    what they refer to through the file's imports (a pattern's names mean that)."""

    class Cut(ast.NodeTransformer):
        def visit(self, n: ast.AST) -> ast.AST:
            if isinstance(n, ast.expr):
                key = ast.dump(n)
                if key in names and key not in literal:
                    return ast.Name(id=names[key], ctx=ast.Load())
                chain = dotted(n)
                if chain is not None and not any(
                    ast.dump(x) in names for x in ast.walk(n) if x is not n
                ):
                    qualified = _qualified(chain, site.facts_before)
                    if qualified is not None:
                        return ast.parse(qualified, mode="eval").body
            return super().visit(n)

    copy = ast.parse(ast.unparse(site.before), mode="eval").body
    return ast.unparse(Cut().visit(copy))


def _import_spec(name: str, facts: _Facts) -> str | None:
    """The import that binds ``name`` in a file, as the pattern step's ``imports`` spell it."""
    for f in facts.froms:
        if f.binding == name:
            return f"from {f.module} import {f.name}" + (f" as {f.asname}" if f.asname else "")
    for i in facts.imports:
        if (i.asname or i.module.split(".")[0]) == name:
            return f"import {i.module}" + (f" as {i.asname}" if i.asname else "")
    return None


def _free_names(node: ast.expr, skip: set[str]) -> Iterator[str]:
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.expr) and ast.dump(n) in skip:
            continue
        if isinstance(n, ast.Name):
            yield n.id
        stack.extend(ast.iter_child_nodes(n))


def _overlaps(node: ast.AST, hunks: Sequence[Hunk]) -> bool:
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1  # type: ignore[attr-defined]
    return any(h.start <= last and first < max(h.end, h.start + 1) for h in hunks)


def pattern_candidates(
    pairs: Sequence[Pair], unexplained: Sequence[Hunk], index: ProjectIndex
) -> list[Candidate]:
    """Pattern rules for the expression changes inside ``unexplained`` hunks."""
    by_path: dict[str, list[Hunk]] = {}
    for h in unexplained:
        by_path.setdefault(h.path, []).append(h)
    groups: dict[tuple[str, str], list[tuple[_Site, list[ast.expr]]]] = {}
    for pair in pairs:
        hunks = by_path.get(pair.path)
        if not hunks:
            continue
        b_tree, a_tree = _parse(pair.before), _parse(pair.after)
        fb = facts_of(pair.old_path or pair.path, pair.before, index)
        fa = facts_of(pair.path, pair.after, index)
        if b_tree is None or a_tree is None or fb is None or fa is None:
            continue
        for b, a in statement_sites(b_tree.body, a_tree.body):
            if not _overlaps(b, hunks):
                continue
            holes = reused_parts(b, a)
            names = {ast.dump(h): f"${string.ascii_uppercase[i]}" for i, h in enumerate(holes[:26])}
            if len(holes) > 26:
                continue
            key = (skeleton(b, names), skeleton(a, names))
            groups.setdefault(key, []).append((_Site(pair, b, a, fb, fa), holes))
    out: list[Candidate] = []
    for members in groups.values():
        candidate = _rule(members, len(out) + 1)
        if candidate is not None:
            out.append(candidate)
        if len(out) >= MAX_RULES:
            break
    return out


def _rule(members: list[tuple[_Site, list[ast.expr]]], number: int) -> Candidate | None:
    first, first_holes = members[0]
    literal_slots: set[int] = set()
    qualified_at: dict[int, str] = {}
    for slot in range(len(first_holes)):
        nodes = [holes[slot] for _, holes in members]
        texts = {ast.dump(n) for n in nodes}
        callee = all(
            _is_callee(site.before, n) for (site, _), n in zip(members, nodes, strict=True)
        )
        if len(texts) == 1 and (
            isinstance(nodes[0], ast.Constant) or (callee and dotted(nodes[0]) is not None)
        ):
            # the same constant, or the same called name, everywhere: part of the anchor
            literal_slots.add(slot)
            continue
        resolved = set()
        for (site, _), node in zip(members, nodes, strict=True):
            chain = dotted(node)
            resolved.add(_qualified(chain, site.facts_before) if chain else None)
        if len(resolved) == 1 and None not in resolved:
            (qualified,) = resolved
            assert qualified is not None
            qualified_at[slot] = qualified
    free_slots = [i for i in range(len(first_holes)) if i not in literal_slots]
    letter_of = {slot: f"${string.ascii_uppercase[n]}" for n, slot in enumerate(free_slots)}
    letters = list(letter_of.values())
    constraints = {letter_of[i][1:]: {"qualified_name": q} for i, q in qualified_at.items()}
    names = {
        ast.dump(h): letter_of.get(i, f"$_{i}") for i, h in enumerate(first_holes)
    }  # literal holes keep a key (they are left as written) but never show up in a rule
    literal = {ast.dump(first_holes[i]) for i in literal_slots}
    if isinstance(first.before, ast.Name | ast.Constant) or ast.dump(first.before) in names:
        return None
    pattern = _pattern_text(first, names, literal)
    fix = _fix_text(first, names, literal)
    if pattern is None or fix is None or not (set(_metavars(pattern)) <= set(letters)):
        return None
    if pattern.strip() in {f"{m}" for m in letters}:
        return None  # no literal anchor: it would match every expression
    free = [m for m in _metavars(pattern) if m[1:] not in constraints]
    if len(members) < 2 and not free:
        return None  # one expression replaced by another, once: nothing to generalise
    add: list[str] = []
    remove: list[str] = []
    for site, holes in members:
        keys = {ast.dump(h) for h in holes} - literal  # literal holes are spelled in the fix
        before_names = set(_free_names(site.before, keys))
        for name in sorted(set(_free_names(site.after, keys))):
            # every imported name the fix spells, even one the example had already: in
            # another file that name may be unbound or mean something else
            spec = _import_spec(name, site.facts_after)
            if spec and spec not in add:
                add.append(spec)
        for name in sorted(before_names):
            spec = _import_spec(name, site.facts_before)
            if spec and _import_spec(name, site.facts_after) is None and spec not in remove:
                remove.append(spec)
    options: dict[str, Any] = {"id": f"learned-{number}", "pattern": pattern, "fix": fix}
    if constraints:
        options["constraints"] = constraints
    imports: dict[str, list[str]] = {}
    if add:
        imports["add"] = add
    if remove:
        imports["remove_if_unused"] = remove
    if imports:
        options["imports"] = imports
    where = [f"{s.pair.path}:{s.before.lineno}" for s, _ in members]
    shown_before = _shown(first.pair.before, first.before)
    shown_after = _shown(first.pair.after, first.after)
    return Candidate(
        "pattern",
        options,
        f"`{shown_before}` became `{shown_after}`"
        + (f" ({len(members)} places, the same shape)" if len(members) > 1 else ""),
        where,
    )


def _is_callee(tree: ast.expr, node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and n.func is node for n in ast.walk(tree))


def _shown(data: bytes, node: ast.expr) -> str:
    text = (segment(data, node) or b"").decode("utf-8", "replace")
    return " ".join(text.split()) or ast.unparse(node)


def _metavars(text: str) -> list[str]:
    return re.findall(r"\$[A-Z]+", text)
