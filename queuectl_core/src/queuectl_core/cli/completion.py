"""``queuectl completion``: the shell completion script, from click's own support."""

from __future__ import annotations

import click

#: The variable the script sets when it asks ``queuectl`` for completions.
COMPLETE_VAR = "_QUEUECTL_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL: commands, options, states.

    \b
    bash (4.4+): eval "$(queuectl completion bash)"   # in ~/.bashrc
    zsh:         eval "$(queuectl completion zsh)"    # in ~/.zshrc
    fish:        queuectl completion fish > ~/.config/fish/completions/queuectl.fish
    """
    from click.shell_completion import get_completion_class

    complete = get_completion_class(shell)
    assert complete is not None  # every name in SHELLS is one click ships
    root = ctx.find_root().command
    click.echo(complete(root, {}, "queuectl", COMPLETE_VAR).source())
