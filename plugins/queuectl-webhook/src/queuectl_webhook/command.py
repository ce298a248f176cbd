"""``queuectl webhook test``: send one sample event now and report each URL's answer."""

from __future__ import annotations

import click

from queuectl_core.cli import render
from queuectl_core.cli.context import AppContext, json_option, pass_app
from queuectl_core.cli.group import CliError
from queuectl_core.pluginkit.notifier import JOB_EVENTS
from queuectl_webhook.options import check_url


def _url(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(check_url(value) for value in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@click.group()
def webhook() -> None:
    """Webhooks of the queuectl-webhook plugin (settings: queuectl config list)."""


@webhook.command("test")
@click.option(
    "--event",
    type=click.Choice(JOB_EVENTS),
    default="dead",
    show_default=True,
    help="The sample event to send.",
)
@click.option(
    "--url",
    "urls",
    multiple=True,
    callback=_url,
    help="Send to this URL instead of webhook_urls (repeatable).",
)
@json_option
@pass_app
def test(app: AppContext, event: str, urls: tuple[str, ...], as_json: bool) -> None:
    """POST a sample event now to each webhook URL and print each answer.

    One try per URL, no retries, signed with webhook_secret, with "test": true in
    the body. Exits 1 if any URL did not answer 2xx.
    """
    from queuectl_webhook.sample import sample_delivery
    from queuectl_webhook.sender import post

    settings = app.queue().settings()
    targets = urls or tuple(settings["webhook_urls"].split())
    if not targets:
        raise CliError(
            "no webhook URL: set one with `queuectl config set webhook_urls URL`, or pass --url"
        )
    delivery = sample_delivery(event)
    secret, timeout = settings["webhook_secret"], settings["webhook_timeout"]
    results = [(url, post(url, delivery, secret, timeout)) for url in targets]
    if as_json:
        render.emit_json(
            [
                {"url": url, "delivered": r.delivered, "status": r.status, "detail": r.detail}
                for url, r in results
            ]
        )
    else:
        rows = [(url, "ok" if r.delivered else "FAILED", r.detail) for url, r in results]
        click.echo(render.table(("url", "result", "detail"), rows))
    if not all(result.delivered for _, result in results):
        raise click.exceptions.Exit(1)
