"""The documentation stays true: generated CLI reference, settings, hooks, links."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from queuectl_core import hookspecs
from queuectl_core.plugins import DEFAULT_PLUGINS
from queuectl_core.settings import Setting, format_value

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GENERATOR = ROOT / "scripts" / "gen_cli_docs.py"
MARKDOWN = sorted([ROOT / "README.md", *DOCS.glob("*.md")])

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def prose(text: str) -> str:
    """Markdown without fenced code blocks and code spans (where links are not links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(title) for _, title in HEADING.findall(FENCE.sub("", path.read_text()))}


def sections(path: Path) -> list[tuple[str, str]]:
    """(heading, body up to the next heading of the same or a higher level)."""
    text = FENCE.sub(lambda match: match.group(0).replace("#", "\\#"), path.read_text())
    found = list(HEADING.finditer(text))
    result = []
    for number, match in enumerate(found):
        level = len(match.group(1))
        end = next(
            (later.start() for later in found[number + 1 :] if len(later.group(1)) <= level),
            len(text),
        )
        result.append((match.group(2), text[match.end() : end]))
    return result


def core_settings() -> list[Setting]:
    """Every setting the built-in plugins register (installed plugins aside)."""
    registered: list[Setting] = []
    for module_name in DEFAULT_PLUGINS:
        hook = getattr(importlib.import_module(module_name), "queuectl_register_settings", None)
        if hook is not None:
            hook(register=registered.append)
    return registered


def hook_specs() -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(function)
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "queuectl_spec")
    }


# -- docs/cli.md ------------------------------------------------------------------------


def test_cli_reference_is_up_to_date() -> None:
    result = run_generator("--check")
    assert result.returncode == 0, (
        f"{result.stdout}{result.stderr}\nrun: uv run python scripts/gen_cli_docs.py"
    )


def test_the_check_fails_on_a_stale_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUEUECTL_PLUGINS", "")  # main() sets it; restored after the test
    module = load_generator()
    stale = tmp_path / "cli.md"
    stale.write_text(module.render().replace("Cancel a pending", "Cancel some"))
    module.CLI_DOC = stale
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0


def test_cli_reference_documents_every_builtin_command_and_option() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in ("enqueue", "worker start", "worker run", "worker stop", "dlq retry"):
        assert re.search(rf"^#+ queuectl {command}$", text, re.M), command
    for option in ("--max-retries N", "--run-at TIME", "--burst", "--force", "--json"):
        assert f"`{option}`" in text or f", {option}`" in text


def test_plugin_commands_do_not_leak_into_the_reference() -> None:
    probe = textwrap.dedent(
        f"""
        import sys

        import click

        from queuectl_core import hookimpl, plugins
        from queuectl_core.cli import cli


        class Probe:
            @hookimpl
            def queuectl_register_commands(self, cli):
                cli.add_command(click.Command("leak-probe", help="From a plugin."))
                worker = cli.get_command(click.Context(cli), "worker")
                worker.add_command(click.Command("leak-sub", help="Also."))


        plugins.get_plugin_manager().register(Probe(), name="probe")
        cli.load_plugin_commands()
        assert "leak-probe" in cli.list_commands(click.Context(cli))
        assert "leak-sub" in cli.get_command(click.Context(cli), "worker").commands
        sys.path.insert(0, {str(GENERATOR.parent)!r})
        import gen_cli_docs

        text = gen_cli_docs.render()
        print("leak-probe" in text, "leak-sub" in text)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_cli_docs_under_test", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- docs/configuration.md ----------------------------------------------------------------


def settings_rows() -> dict[str, list[str]]:
    """The rows of the settings table in docs/configuration.md, by setting name."""
    rows = {}
    for line in (DOCS / "configuration.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and re.fullmatch(r"`\w+`", cells[0]):
            rows[cells[0].strip("`")] = cells
    return rows


@pytest.mark.parametrize("setting", core_settings(), ids=lambda setting: setting.name)
def test_every_setting_is_documented_with_its_default_and_unit(setting: Setting) -> None:
    rows = settings_rows()
    assert setting.name in rows, f"{setting.name} has no row in docs/configuration.md"
    _, default, unit, meaning = rows[setting.name]
    assert default == format_value(setting.default)
    if setting.unit:
        assert unit == setting.unit
    else:
        assert unit in ("-", "count"), f"{setting.name} has no unit"
    assert meaning


def test_the_settings_table_documents_no_setting_that_does_not_exist() -> None:
    names = {setting.name for setting in core_settings()}
    assert set(settings_rows()) <= names


# -- docs/plugins.md -------------------------------------------------------------------------


@pytest.mark.parametrize("hook", sorted(hook_specs()))
def test_every_hook_has_a_section_naming_its_arguments(hook: str) -> None:
    matching = [
        body for title, body in sections(DOCS / "plugins.md") if re.search(rf"\b{hook}\b", title)
    ]
    assert len(matching) == 1, f"docs/plugins.md needs one section whose heading names {hook}"
    body = matching[0]
    for argument in hook_specs()[hook].parameters:
        described = re.search(rf"\*\*Arguments\*\*.*`{argument}\b", body, re.S)
        assert described, f"the section of {hook} does not describe {argument}"
    assert "@hookimpl" in body, f"the section of {hook} has no example"


# -- links ------------------------------------------------------------------------------------


def relative_links(path: Path) -> list[str]:
    targets = LINK.findall(prose(path.read_text()))
    return [target for target in targets if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_point_to_existing_files_and_headings(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no such heading")
    assert broken == []


def test_the_link_check_sees_links() -> None:
    readme_links = relative_links(ROOT / "README.md")
    assert "docs/configuration.md" in readme_links
    assert relative_links(DOCS / "cli.md")  # the generated contents
