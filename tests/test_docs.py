"""Docs tested against the code: every CLI verb is documented, the README's commands are the ones
CI runs, and every page the docs index names exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from oncotrial.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def cli_verbs(parser: argparse.ArgumentParser, prefix: str = "oncotrial") -> list[str]:
    verbs = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                verbs.append(f"{prefix} {name}")
                verbs += cli_verbs(sub, f"{prefix} {name}")
    return verbs


@pytest.mark.parametrize("verb", cli_verbs(build_parser()))
def test_every_cli_verb_is_documented(verb):
    reference = (ROOT / "docs" / "cli.md").read_text()
    assert f"`{verb}" in reference, f"docs/cli.md does not document `{verb}`"


def test_the_readme_opens_with_what_it_is_and_two_commands():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    assert readme.startswith("# oncotrial\n\noncotrial is")
    assert len(blocks) >= 2
    run_command, test_command = blocks[0].strip(), blocks[1].strip()
    assert "pip install" in run_command and "oncotrial" in run_command
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command.split()[-1] in ci and "exec bash scripts/test" in ci


def test_every_page_the_docs_index_names_exists():
    index = (ROOT / "docs" / "index.md").read_text()
    pages = re.findall(r"\]\(([\w./-]+\.md)\)", index)
    assert pages
    missing = [page for page in pages if not (ROOT / "docs" / page).exists()]
    assert not missing
    undocumented = [p.name for p in (ROOT / "docs").glob("*.md")
                    if p.name != "index.md" and p.name not in pages]
    assert not undocumented, f"docs/index.md does not list {undocumented}"
