"""The docs read well wherever they are opened: code written in, from examples that run."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import griffe
import pytest
from botocore.model import ListShape, Shape, StructureShape

import iot_detect_mitigation
import iot_detect_mitigation.testing
from tools import sync_snippets
from tools.griffe_models import PublicModels, public_models
from tools.sync_snippets import FIX, ROOT, SnippetError, free_names, pages, render_page

FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<lang>\w*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S
)


def python_blocks() -> list[tuple[str, int, str, bool]]:
    """(page, line, code, generated) for every python block of every page."""
    found = []
    for page in pages():
        text = page.read_text()
        for block in FENCE.finditer(text):
            if block["lang"] != "python":
                continue
            before = text[: block.start()].rstrip("\n").rsplit("\n", 1)[-1]
            code = "\n".join(line[len(block["indent"]) :] for line in block["body"].splitlines())
            line = text.count("\n", 0, block.start()) + 1
            found.append((page.name, line, code, before.strip().startswith("<!-- snippet:")))
    return found


BLOCKS = python_blocks()


def test_there_are_snippets_to_check() -> None:
    assert len(BLOCKS) > 20
    assert {page for page, *_ in BLOCKS} >= {"README.md", "usage.md", "errors.md", "testing.md"}


def test_the_pages_show_what_the_examples_hold() -> None:
    stale = sync_snippets.stale_pages()
    assert stale == [], f"{', '.join(stale)}: code differs from examples/; run: {FIX}"


def test_no_page_includes_a_file_that_github_would_show_raw() -> None:
    for page in pages():
        assert "--8<--" not in page.read_text(), page


@pytest.mark.parametrize(("page", "line", "code", "generated"), BLOCKS)
def test_every_python_block_comes_from_an_example(
    page: str, line: int, code: str, generated: bool
) -> None:
    assert generated, f"{page}:{line}: write it in examples/ and mark it; see {FIX}"


@pytest.mark.parametrize(("page", "line", "code", "generated"), BLOCKS)
def test_every_snippet_is_code_on_its_own(page: str, line: int, code: str, generated: bool) -> None:
    compile(code, f"{page}:{line}", "exec")  # a bare `return` or `await` fails here


def importable_names() -> set[str]:
    """Every name that a snippet would have to import: the library's and the examples'."""
    names = set(iot_detect_mitigation.__all__) | set(iot_detect_mitigation.testing.__all__)
    for example in (ROOT / "examples").glob("*.py"):
        for statement in ast.parse(example.read_text()).body:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                names |= {a.asname or a.name.split(".")[0] for a in statement.names}
    return names - {"annotations"}


@pytest.mark.parametrize(("page", "line", "code", "generated"), BLOCKS)
def test_every_snippet_carries_its_imports(
    page: str, line: int, code: str, generated: bool
) -> None:
    missing = free_names(ast.parse(code)) & importable_names()
    assert not missing, f"{page}:{line} uses {', '.join(sorted(missing))} without importing it"


def test_every_snippet_imports_as_ruff_sorts_imports(tmp_path: Path) -> None:
    for number, (page, line, code, _) in enumerate(BLOCKS):
        (tmp_path / f"{Path(page).stem}_{line}_{number}.py").write_text(code + "\n")
    config = ROOT / "pyproject.toml"
    linted = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "I,E501",
            "--config",
            str(config),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


# The sync itself: it must notice what it is there for.


def test_a_changed_snippet_is_rewritten_from_its_example() -> None:
    text = (ROOT / "docs" / "usage.md").read_text()
    tampered = text.replace("timeout=900", "timeout=5", 1)
    assert tampered != text
    assert render_page(tampered, "usage.md") == text


def test_an_indented_snippet_keeps_its_indentation() -> None:
    marker = "<!-- snippet: examples/usage.py#no_raise -->"
    page = f"- a list item:\n\n    {marker}\n    ```python\n    ```\n"
    rendered = render_page(page, "page.md")
    assert (
        "\n    summary = client.wait_for_completion(task_id, raise_on_failure=False)\n" in rendered
    )
    assert rendered.endswith("\n    ```\n")


@pytest.mark.parametrize(
    ("page", "complaint"),
    [
        ('```python\n--8<-- "usage.py:wait"\n```\n', "show raw on GitHub"),
        ("<!-- snippet: examples/usage.py#wait -->\ntext\n", "must be followed"),
        ("<!-- snippet: examples/usage.py#nope -->\n```python\n```\n", "no section 'nope'"),
        ("<!-- snippet: examples/nope.py -->\n```python\n```\n", "no such file"),
        (
            "<!-- snippet: examples/test_emulator_usage.py#faults -->\n```python\n```\n",
            "from section 'helpers': show that section earlier",
        ),
    ],
)
def test_what_cannot_be_rendered_is_refused(page: str, complaint: str) -> None:
    with pytest.raises(SnippetError, match=re.escape(complaint)):
        render_page(page, "page.md")


@pytest.fixture
def examples_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty repository root in which a test writes its own examples."""
    (tmp_path / "examples").mkdir()
    monkeypatch.setattr(sync_snippets, "ROOT", tmp_path)
    sync_snippets.load_example.cache_clear()
    yield tmp_path / "examples"
    sync_snippets.load_example.cache_clear()


HELPER_OUTSIDE = """\
import json


def helper() -> str:
    return json.dumps(1)


def use() -> None:
    # snippet-start: use
    print(helper())
    # snippet-end: use
"""


def test_a_section_may_not_lean_on_code_outside_every_section(examples_in: Path) -> None:
    (examples_in / "x.py").write_text(HELPER_OUTSIDE)
    with pytest.raises(SnippetError, match="uses helper, defined outside every section"):
        render_page("<!-- snippet: examples/x.py#use -->\n```python\n```\n", "page.md")


def test_a_section_gets_the_constants_and_imports_it_uses(examples_in: Path) -> None:
    (examples_in / "x.py").write_text(
        "import json\nimport os\n\nlogger = json.dumps\nOTHER = os.sep\n\n\n"
        "def f(arg: int) -> None:\n    # snippet-start: s\n    print(logger(arg))\n"
        "    # snippet-end: s\n"
    )
    page = render_page("<!-- snippet: examples/x.py#s -->\n```python\n```\n", "page.md")
    assert (
        page.split("```python\n")[1]
        == "import json\n\nlogger = json.dumps\n\nprint(logger(arg))\n```\n"
    )


def test_the_check_fails_and_says_how_to_fix_it(
    examples_in: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (examples_in / "x.py").write_text(HELPER_OUTSIDE)
    page = examples_in.parent / "page.md"
    page.write_text("<!-- snippet: examples/x.py -->\n```python\nstale\n```\n")
    monkeypatch.setattr(sync_snippets, "pages", lambda: [page])

    assert sync_snippets.main(["--check"]) == 1
    assert f"page.md: snippets differ from examples/; run: {FIX}" in capsys.readouterr().err
    assert sync_snippets.main([]) == 0
    assert page.read_text() == f"<!-- snippet: examples/x.py -->\n```python\n{HELPER_OUTSIDE}```\n"
    assert sync_snippets.main(["--check"]) == 0


# The API reference (mkdocstrings, through tools/griffe_models.py)

PUBLIC = set(iot_detect_mitigation.__all__) | set(iot_detect_mitigation.testing.__all__)


@pytest.fixture(scope="module")
def api() -> griffe.Module:
    loaded = griffe.load(
        "iot_detect_mitigation",
        search_paths=[str(ROOT / "src")],
        extensions=griffe.load_extensions(PublicModels),
    )
    assert isinstance(loaded, griffe.Module)
    return loaded


def resolved(obj: griffe.Object | griffe.Alias) -> griffe.Object:
    return obj.final_target if isinstance(obj, griffe.Alias) else obj


def documented(api: griffe.Module) -> list[griffe.Object]:
    """Every public object the reference shows, and its public members."""
    shown: list[griffe.Object] = []
    for package in (api, api["testing"]):
        for name in package.exports or []:
            target = resolved(package[str(name)])
            shown.append(target)
            shown.extend(
                resolved(member)
                for member_name, member in target.members.items()
                if not member_name.startswith("_") and not member.is_alias
            )
    return shown


def annotations_of(obj: griffe.Object) -> list[str | griffe.Expr]:
    found: list[str | griffe.Expr | None] = []
    if isinstance(obj, griffe.Class):
        found.extend(obj.bases)
    if isinstance(obj, griffe.Attribute):
        found.append(obj.annotation)
    if isinstance(obj, griffe.Function):
        found.append(obj.returns)
        found.extend(parameter.annotation for parameter in obj.parameters)
    return [annotation for annotation in found if annotation is not None]


def private_names(annotation: str | griffe.Expr) -> list[str]:
    if isinstance(annotation, str):
        return re.findall(r"\b_\w+", annotation)
    names = [part for part in annotation.iterate(flat=True) if isinstance(part, griffe.ExprName)]
    return [
        name.canonical_path
        for name in names
        if name.name.startswith("_")
        or (
            name.canonical_path.startswith("iot_detect_mitigation.")
            and name.canonical_path.rsplit(".", 1)[-1] not in PUBLIC
        )
    ]


def test_the_reference_names_no_private_type_or_base(api: griffe.Module) -> None:
    leaks = {
        obj.path: private
        for obj in documented(api)
        for annotation in annotations_of(obj)
        if (private := private_names(annotation))
    }
    assert leaks == {}


def test_without_the_extension_private_aliases_would_show() -> None:
    raw = griffe.load("iot_detect_mitigation", search_paths=[str(ROOT / "src")])
    assert isinstance(raw, griffe.Module)
    request = resolved(raw["StartDetectMitigationActionsTaskRequest"])
    task_id = request.members["task_id"]
    assert isinstance(task_id, griffe.Attribute) and task_id.annotation is not None
    assert private_names(task_id.annotation)  # the check above can fail


def expected_limits(shape: Shape) -> list[str]:
    """What the reference must say of a member, read from botocore's service model."""
    unit = "items" if shape.type_name == "list" else "characters"
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    said = []
    if shape.type_name in ("integer", "long"):
        return [f"at least {low}"] * (low is not None) + [f"at most {high}"] * (high is not None)
    if high is not None:
        said.append(f"{low} to {high} {unit}" if low is not None else f"at most {high} {unit}")
    if "pattern" in shape.metadata:
        said.append(shape.metadata["pattern"].strip("^$"))
    if isinstance(shape, ListShape):
        said.extend(
            f"each {part}" if n == 0 else part
            for n, part in enumerate(expected_limits(shape.member))
        )
    return said


def test_the_reference_gives_each_field_its_aws_name_and_limits(api: griffe.Module) -> None:
    service = botocore.session.get_session().get_service_model("iot")
    checked = 0
    for model in public_models():
        if model.__name__ not in service.shape_names:
            continue
        shape = service.shape_for(model.__name__)
        assert isinstance(shape, StructureShape)
        cls = resolved(api[model.__name__])
        by_alias = {field.alias or name: name for name, field in model.model_fields.items()}
        for member, member_shape in shape.members.items():
            attribute = cls.members[by_alias[member]]
            text = attribute.docstring.value if attribute.docstring else ""
            assert f"AWS name: `{member}`" in text
            if model.model_config.get("extra") != "forbid":
                continue  # a response shape: lenient, so it enforces no limit
            for words in expected_limits(member_shape):
                assert words in text, (
                    f"{model.__name__}.{by_alias[member]}: {words!r} not in {text!r}"
                )
                checked += 1
    assert checked >= 15


def test_docstring_markup_is_markdown(api: griffe.Module) -> None:
    for obj in documented(api):
        text = obj.docstring.value if obj.docstring else ""
        outside_fences = re.sub(r"```.*?```", "", text, flags=re.S)
        assert not re.search(r"::\s*$", outside_fences, flags=re.M), f"RST literal in {obj.path}"
