"""Write the code blocks of the docs from the example files they show: ``make snippets``.

The programs in ``examples/`` are the one source of truth for code in the docs: they are
type-checked and the tests run them. A page (README.md or docs/*.md) carries the code itself, as
an ordinary fenced block, so that it reads the same on GitHub as on the built site. An HTML
comment right before the block, invisible in both, names where the code comes from::

    <!-- snippet: examples/usage.py#wait -->
    ```python
    (written by this script)
    ```

``#wait`` is a section of the file: the lines between ``# snippet-start: wait`` and
``# snippet-end: wait``. Without ``#section`` the block shows the whole file, as it is. A section
of a Python file is shown dedented, after the imports and module-level constants it uses, so that
a reader can copy it as it stands; other files (shell) are shown as they are. A function or
class defined at module level outside every section cannot be used by a section: give it a
section of its own and show that first on the same page.

To add a snippet: mark the section in the example, write the comment and an empty python fence
on the page, and run ``make snippets`` (``python -m tools.sync_snippets``). The same after
changing an example. ``--check`` changes nothing and fails on a stale page, as tests/test_docs.py
does.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_PATTERNS = ("README.md", "docs/*.md")
FIX = "make snippets  (python -m tools.sync_snippets)"
LINE_LENGTH = 100  # as ruff formats the examples

SNIPPET = re.compile(
    r"^(?P<indent>[ ]*)<!-- snippet: (?P<path>[^\s#]+)(?:#(?P<section>[\w-]+))? -->\n"
    r"(?P=indent)```(?P<lang>\w*)\n"
    r"(?P<body>.*?)"
    r"^(?P=indent)```[ ]*$",
    re.MULTILINE | re.DOTALL,
)
ANY_MARKER = re.compile(r"<!-- snippet:.*?-->")
SECTION_MARK = re.compile(r"^\s*# snippet-(?P<edge>start|end): (?P<name>[\w-]+)\s*$")
BUILTINS = frozenset(dir(builtins))


class SnippetError(Exception):
    """A marker or a section that cannot be rendered; the message says where and why."""


@dataclass(frozen=True)
class Section:
    name: str
    first: int  # line numbers of its content, 1-based, inclusive
    last: int


@dataclass(frozen=True)
class Example:
    """An example file, with what a section of it may need from its module level."""

    path: str  # as the marker names it
    source: str
    sections: dict[str, Section]
    imports: dict[str, ast.stmt]  # bound name -> the import statement that binds it
    constants: dict[str, ast.stmt]  # bound name -> a module-level assignment outside sections
    definitions: dict[str, str | None]  # def or class name -> the section holding it, if any

    def section_at(self, line: int) -> str | None:
        for section in self.sections.values():
            if section.first <= line <= section.last:
                return section.name
        return None


@cache
def load_example(path: str) -> Example:
    file = ROOT / path
    if not file.is_file():
        raise SnippetError(f"{path}: no such file")
    source = file.read_text()
    sections: dict[str, Section] = {}
    open_at: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        mark = SECTION_MARK.match(line)
        if mark is None:
            continue
        name = mark["name"]
        if mark["edge"] == "start":
            if name in open_at or name in sections:
                raise SnippetError(f"{path}:{number}: section {name!r} starts twice")
            open_at[name] = number + 1
        elif name not in open_at:
            raise SnippetError(f"{path}:{number}: section {name!r} ends before it starts")
        else:
            sections[name] = Section(name, open_at.pop(name), number - 1)
    if open_at:
        raise SnippetError(f"{path}: section(s) {', '.join(open_at)} never end")
    example = Example(path, source, sections, {}, {}, {})
    if not path.endswith(".py"):
        return example  # another language: shown as it is, with nothing added
    for statement in ast.parse(source).body:
        where = example.section_at(statement.lineno)
        if isinstance(statement, ast.Import | ast.ImportFrom):
            if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
                continue
            for alias in statement.names:
                example.imports[alias.asname or alias.name.split(".")[0]] = statement
        elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            example.definitions[statement.name] = where
        elif isinstance(statement, ast.Assign | ast.AnnAssign) and where is None:
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        example.constants[node.id] = statement
    return example


def _bound_names(code: ast.AST) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(code):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def free_names(code: ast.AST) -> set[str]:
    """Names the code reads but neither binds nor gets from builtins (scopes are ignored)."""
    loaded = {
        node.id
        for node in ast.walk(code)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return loaded - _bound_names(code) - BUILTINS


def _import_line(statement: ast.stmt, names: Iterable[str]) -> str:
    """The import statement cut down to ``names``, laid out as ruff lays it out."""
    wanted = set(names)
    if isinstance(statement, ast.Import):
        kept = [a for a in statement.names if (a.asname or a.name.split(".")[0]) in wanted]
        return "\n".join(f"import {a.name}" + (f" as {a.asname}" if a.asname else "") for a in kept)
    assert isinstance(statement, ast.ImportFrom)
    kept = [a for a in statement.names if (a.asname or a.name) in wanted]
    parts = [a.name + (f" as {a.asname}" if a.asname else "") for a in kept]
    head = f"from {'.' * statement.level}{statement.module or ''} import "
    line = head + ", ".join(parts)
    if len(line) <= LINE_LENGTH:
        return line
    return head + "(\n" + "".join(f"    {part},\n" for part in parts) + ")"


def _preamble(example: Example, needed: set[str]) -> tuple[str, set[str]]:
    """The imports and constants ``needed`` calls for, and the names still unresolved."""
    constants: list[ast.stmt] = []
    pending = set(needed)
    resolved: set[str] = set()
    while pending:
        name = pending.pop()
        resolved.add(name)
        constant = example.constants.get(name)
        if constant is not None and constant not in constants:
            constants.append(constant)
            pending |= free_names(constant) - resolved
    by_statement: dict[int, tuple[ast.stmt, list[str]]] = {}
    for name in resolved & example.imports.keys():
        statement = example.imports[name]
        by_statement.setdefault(statement.lineno, (statement, []))[1].append(name)
    blocks: list[list[str]] = []
    previous_end = None
    for lineno in sorted(by_statement):
        statement, names = by_statement[lineno]
        # A blank line between two imports in the example separates groups (stdlib, third
        # party, this library), as ruff sorts them: keep it.
        gap = any(
            not line.strip()
            for line in example.source.splitlines()[(previous_end or lineno) : lineno - 1]
        )
        if not blocks or gap:
            blocks.append([])
        blocks[-1].append(_import_line(statement, names))
        previous_end = statement.end_lineno
    constants.sort(key=lambda statement: statement.lineno)
    lines = example.source.splitlines()
    code = [
        "\n".join(lines[statement.lineno - 1 : statement.end_lineno]) for statement in constants
    ]
    if code:
        blocks.append(code)
    unresolved = resolved - example.imports.keys() - example.constants.keys()
    return "\n\n".join("\n".join(block) for block in blocks), unresolved


def _enclosing_locals(example: Example, section: Section) -> set[str]:
    """The names bound by the functions a section sits in."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(example.source)):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.lineno < section.first
            and (node.end_lineno or 0) >= section.last
        ):
            names |= _bound_names(node) - {node.name}
    return names


def render(path: str, section: str | None, shown: set[tuple[str, str | None]]) -> str:
    """The code of one snippet; ``shown`` holds the snippets shown earlier on the same page."""
    example = load_example(path)
    if section is None:
        return example.source.rstrip("\n")
    if section not in example.sections:
        known = ", ".join(example.sections) or "none"
        raise SnippetError(f"{path} has no section {section!r} (it has: {known})")
    where = example.sections[section]
    lines = example.source.splitlines()[where.first - 1 : where.last]
    body = textwrap.dedent("\n".join(lines)).strip("\n")
    if not path.endswith(".py"):
        return body
    try:
        code = ast.parse(body)
    except SyntaxError as error:
        raise SnippetError(f"{path}#{section} is not code on its own: {error}") from None
    # Names the enclosing function binds (its parameters, say) are context the page gives.
    preamble, unresolved = _preamble(example, free_names(code) - _enclosing_locals(example, where))
    for name in sorted(unresolved & example.definitions.keys()):
        home = example.definitions[name]
        if home is None:
            raise SnippetError(
                f"{path}#{section} uses {name}, defined outside every section: a reader "
                f"could not copy it. Put {name} in a section and show that on the page first."
            )
        if (path, home) not in shown and (path, None) not in shown and home != section:
            raise SnippetError(
                f"{path}#{section} uses {name} from section {home!r}: show that section "
                "earlier on the same page."
            )
    if not preamble:
        return body
    # As ruff lays out a module: two blank lines before a def or class, one before other code.
    first = code.body[0] if code.body else None
    defines = isinstance(first, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    return preamble + ("\n\n\n" if defines else "\n\n") + body


def render_page(text: str, page: str) -> str:
    """The page with every snippet block rewritten from its example."""
    if "--8<--" in text:
        raise SnippetError(
            f"{page}: '--8<--' includes show raw on GitHub; use a snippet marker (see "
            "tools/sync_snippets.py)"
        )
    matched = {m.start() + len(m["indent"]) for m in SNIPPET.finditer(text)}
    for marker in ANY_MARKER.finditer(text):
        if marker.start() not in matched:
            line = text.count("\n", 0, marker.start()) + 1
            raise SnippetError(
                f"{page}:{line}: a snippet marker must be followed, on the next line, by a "
                "fenced block at the same indentation"
            )
    shown: set[tuple[str, str | None]] = set()

    def replace(match: re.Match[str]) -> str:
        path, section, indent = match["path"], match["section"], match["indent"]
        code = render(path, section, shown)
        shown.add((path, section))
        indented = "".join(
            (indent + line if line.strip() else "") + "\n" for line in code.splitlines()
        )
        fence = f"{indent}```{match['lang'] or 'python'}\n"
        return f"{match.group(0).split(chr(10))[0]}\n{fence}{indented}{indent}```"

    return SNIPPET.sub(replace, text)


def pages() -> list[Path]:
    return sorted(path for pattern in PAGE_PATTERNS for path in ROOT.glob(pattern))


def _shown_name(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)


def stale_pages() -> list[str]:
    """The pages whose snippets differ from their examples."""
    stale = []
    for page in pages():
        text = page.read_text()
        if render_page(text, _shown_name(page)) != text:
            stale.append(_shown_name(page))
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sync_snippets", description=__doc__.splitlines()[0] if __doc__ else ""
    )
    parser.add_argument("--check", action="store_true", help="change nothing; fail if stale")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_pages()
            for name in stale:
                print(f"{name}: snippets differ from examples/; run: {FIX}", file=sys.stderr)
            return 1 if stale else 0
        for page in pages():
            text = page.read_text()
            new = render_page(text, _shown_name(page))
            if new != text:
                page.write_text(new)
                print(f"rewrote {_shown_name(page)}")
    except SnippetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
