"""Python handlers through the real command: ``async def`` ones are awaited, results
JSON cannot hold fail the attempt."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

HANDLERS = """
import asyncio
import datetime


async def fetch(name, delay=0.05):
    await asyncio.sleep(delay)
    print("fetched", name)
    return {"name": name, "waited": delay}


async def hang():
    while True:
        try:
            await asyncio.sleep(60)
        except Exception:
            pass


def when():
    return {"at": datetime.date(2024, 1, 1)}
"""


@pytest.fixture
def handlers(cli: Cli, tmp_path: Path) -> Cli:
    """``cli`` whose workers can import the module ``e2e_handlers``."""
    site = tmp_path / "handlers-site"
    site.mkdir()
    (site / "e2e_handlers.py").write_text(HANDLERS)
    cli.env["PYTHONPATH"] = str(site)
    return cli


def python_job(cli: Cli, job_id: str, handler: str, *args: str) -> str:
    return cli.enqueue("--id", job_id, "--type", "python", "--command", handler, *args)


def test_an_async_handler_is_awaited_and_its_result_kept(handlers: Cli) -> None:
    python_job(handlers, "a1", "e2e_handlers:fetch", "--payload", '{"name": "ana"}')
    handlers.run("worker", "run", "--burst")
    job = handlers.job("a1")
    assert job["state"] == "completed"
    assert job["result"] == {"name": "ana", "waited": 0.05}
    assert handlers.run("logs", "a1").stdout == "fetched ana\n"


def test_an_async_handler_times_out(handlers: Cli) -> None:
    python_job(handlers, "slow", "e2e_handlers:hang", "--timeout", "0.5", "--max-retries", "0")
    python_job(handlers, "after", "e2e_handlers:fetch", "--payload", '{"name": "bo"}')
    handlers.run("worker", "run", "--burst", timeout=30)
    slow = handlers.job("slow")
    assert slow["state"] == "dead"
    assert slow["history"][0]["outcome"] == "timed_out"
    assert handlers.job("after")["result"]["name"] == "bo"  # the same worker went on


def test_a_result_json_cannot_hold_fails_the_attempt_naming_its_type(handlers: Cli) -> None:
    python_job(handlers, "d1", "e2e_handlers:when", "--max-retries", "0")
    handlers.run("worker", "run", "--burst")
    job = handlers.job("d1")
    assert job["state"] == "dead" and job["result"] is None
    assert job["last_error"] == (
        "handler returned a value JSON cannot hold: date (inside the dict it returned)"
    )
    assert job["history"][0]["outcome"] == "failed"
