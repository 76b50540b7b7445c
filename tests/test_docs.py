"""What README.md and docs/ tell people to type exists: every `akasa` command with its
options, and every repository path and relative link they point at."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from akasa.cli import app

ROOT = Path(__file__).parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
SPAN = re.compile(r"`((?:[^`\n]|\n(?![ \t]*\n))+)`")  # a code span may wrap, in one paragraph
LINK = re.compile(r"\]\(([^)\s]+)\)")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")
REPO_PATH = re.compile(
    r"(?<![\w./-])((?:akasa|alembic|tests|bench|docs|\.ci)/[\w./-]*|data/sample[\w./-]*)"
)
# `backends/sql/dialects.py` in prose means akasa/backends/sql/dialects.py.
PACKAGE_PATH = re.compile(r"^(?:backends|cli|core|ingest|kpi|pipeline|report)/[\w./-]*$")


@dataclass(frozen=True)
class Command:
    doc: str
    text: str  # as written, for the failure message
    words: tuple[str, ...]  # after `akasa`


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def fenced(text: str, language: str | None = None) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if language is None or lang == language]


def prose(text: str) -> str:
    """The text outside fenced blocks."""
    return FENCE.sub("", text)


def shell_commands(block: str) -> list[list[str]]:
    """Each simple command of a bash block, as words (`a && b; c | d` is four)."""
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for word in lexer:
            if word in {"&&", "||", ";", "|", "&"}:
                commands.append(current)
                current = []
            else:
                current.append(word)
        commands.append(current)
    return [c for c in commands if c]


def is_akasa(word: str) -> bool:
    """`akasa` or a path to it (`.venv/bin/akasa`)."""
    return re.fullmatch(r"(?:[\w.-]*/)*akasa", word) is not None


def commands_in(doc: Path) -> list[Command]:
    text = doc.read_text(encoding="utf-8")
    found = []
    for block in fenced(text, "bash"):
        for words in shell_commands(block):
            while words and "=" in words[0] and not is_akasa(words[0]):
                words = words[1:]  # VAR=value before the program
            if words and is_akasa(words[0]):
                found.append(Command(relative(doc), " ".join(words), tuple(words[1:])))
    for span in SPAN.findall(prose(text)):
        span = " ".join(span.split())
        if span.startswith("akasa "):
            words = span.replace("[", " ").replace("]", " ").split()[1:]
            found.append(Command(relative(doc), span, tuple(words)))
    return found


ALL_COMMANDS = [c for doc in DOCS for c in commands_in(doc)]


@cache
def help_text(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def command_names() -> set[str]:
    listed = help_text().split("Commands:\n", 1)[1].split("\n\n", 1)[0]  # the epilog follows
    return {line.split()[0] for line in listed.splitlines() if line.strip()}


def shows(help_output: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", help_output) is not None


def check(command: Command) -> list[str]:
    """What is wrong with one documented command line."""
    words = list(command.words)
    problems = []
    # Options before the subcommand belong to `akasa` itself (--debug, --version).
    while words and words[0].startswith("-"):
        option = words.pop(0).split("=", 1)[0]
        if not shows(help_text(), option):
            problems.append(f"akasa has no option {option}")
    if not words or words[0] not in command_names():
        return [*problems, f"no command {words[0] if words else '(none)'}"]
    sub = words[0]
    for word in words[1:]:
        option = word.split("=", 1)[0]  # --top=10
        if OPTION.fullmatch(option) and not shows(help_text(sub), option):
            problems.append(f"akasa {sub} has no option {option}")
    return problems


def test_the_docs_show_commands() -> None:
    """The extraction finds what it should: a silent regex would pass everything."""
    texts = {c.text for c in ALL_COMMANDS}
    assert ".venv/bin/akasa report" in texts
    assert "akasa run -m table -f json" in texts
    assert any(c.text.startswith("akasa ingest --customers PATH") for c in ALL_COMMANDS)
    assert {c.doc for c in ALL_COMMANDS} >= {"README.md", "docs/operations.md"}
    assert {c.words[0] for c in ALL_COMMANDS} == command_names()


@pytest.mark.parametrize(
    "command", ALL_COMMANDS, ids=[f"{c.doc}:{c.text[:60]}" for c in ALL_COMMANDS]
)
def test_every_documented_command_exists(command: Command) -> None:
    assert check(command) == [], f"{command.doc}: {command.text}"


def every_help() -> str:
    return "\n".join([help_text(), *(help_text(name) for name in command_names())])


def test_every_option_named_on_its_own_exists() -> None:
    """`--max-reject-rate 0.05`, `--window-days`: an option some command has."""
    named = [
        (relative(doc), span)
        for doc in DOCS
        for span in SPAN.findall(prose(doc.read_text(encoding="utf-8")))
        if OPTION.match(span)
    ]
    assert len(named) > 5
    unknown = [(doc, span) for doc, span in named if not shows(every_help(), span.split()[0])]
    assert unknown == []


def options_of(command: str) -> set[str]:
    """The long options `akasa COMMAND --help` shows, --help aside."""
    shown = help_text(command).split("Options:\n", 1)[1]
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", shown)) - {"--help"}


def test_the_readme_synopsis_of_each_command_is_complete() -> None:
    """README's "What it does" names every command with all of its options."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = prose(readme.split("\n## What it does\n", 1)[1].split("\n## ", 1)[0])
    synopses = {}
    for span in SPAN.findall(section):
        words = span.split()
        if words[0] == "akasa" and len(words) > 1:
            synopses.setdefault(words[1], set()).update(OPTION.findall(span))
    assert synopses.keys() == command_names()
    missing = {name: options_of(name) - shown for name, shown in synopses.items()}
    assert {name: gone for name, gone in missing.items() if gone} == {}


def test_a_wrong_command_is_caught() -> None:
    assert check(Command("x", "", ("run", "--mode", "table", "--window", "30"))) == [
        "akasa run has no option --window"
    ]
    assert check(Command("x", "", ("ingets", "-c", "x"))) == ["no command ingets"]
    assert check(Command("x", "", ("run", "--top=3", "--as-of", "2025-01-01"))) == []
    assert check(Command("x", "", ("--debug", "sql", "-m", "table", "SELECT 1 -x --y"))) == []


def test_shell_commands_split_like_bash() -> None:
    block = "A=1 .venv/bin/akasa run && akasa report  # draws\nakasa sql 'SELECT a && b'\n"
    assert shell_commands(block) == [
        ["A=1", ".venv/bin/akasa", "run"],
        ["akasa", "report"],
        ["akasa", "sql", "SELECT a && b"],
    ]


# ---- paths and links ----------------------------------------------------------------------


@cache
def package_dirs() -> dict[str, str]:
    """Installed paths that live elsewhere in the checkout (`akasa/migrations` is `alembic/`)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = pyproject["tool"]["setuptools"].get("package-dir", {})
    return {package.replace(".", "/"): folder for package, folder in mapping.items()}


def in_checkout(path: str) -> Path:
    for installed, folder in package_dirs().items():
        if path == installed or path.startswith(installed + "/"):
            return ROOT / folder / path[len(installed) :].lstrip("/")
    return ROOT / path


def paths_in(doc: Path) -> list[str]:
    """Repository paths in code spans and bash blocks, relative to the checkout."""
    text = doc.read_text(encoding="utf-8")
    spans = SPAN.findall(prose(text))
    found = [path for code in [*spans, *fenced(text, "bash")] for path in REPO_PATH.findall(code)]
    return found + [f"akasa/{span}" for span in spans if PACKAGE_PATH.match(span)]


def links_in(doc: Path) -> list[str]:
    targets = LINK.findall(prose(doc.read_text(encoding="utf-8")))
    return [t for t in targets if "://" not in t and not t.startswith("mailto:")]


def test_every_path_in_the_docs_exists() -> None:
    missing = [
        f"{relative(doc)}: {path}"
        for doc in DOCS
        for path in paths_in(doc)
        if not in_checkout(path).exists()
    ]
    assert missing == []


def anchors(doc: Path) -> set[str]:
    """GitHub's ids of the headings: lower case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#+ (.+)$", prose(doc.read_text(encoding="utf-8")), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def broken(doc: Path, link: str) -> bool:
    file, _, anchor = link.partition("#")
    target = (doc.parent / file) if file else doc
    if not target.exists():
        return True
    return bool(anchor) and target.suffix == ".md" and anchor not in anchors(target)


def test_every_relative_link_in_the_docs_exists() -> None:
    missing = [
        f"{relative(doc)}: {link}" for doc in DOCS for link in links_in(doc) if broken(doc, link)
    ]
    assert missing == []


def test_paths_and_links_are_found() -> None:
    readme = ROOT / "README.md"
    assert {"akasa/cli/", "bench/run.py", "data/sample"} <= set(paths_in(readme))
    assert "akasa/kpi/spec.py" in paths_in(readme)
    assert {"docs/kpis.md", "#development"} <= set(links_in(readme))
    assert broken(readme, "#no-such-heading") and not broken(readme, "#package-layout")
    assert in_checkout("akasa/migrations/versions") == ROOT / "alembic" / "versions"
