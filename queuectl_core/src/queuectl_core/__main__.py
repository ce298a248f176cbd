"""``python -m queuectl_core`` runs the CLI."""

from queuectl_core.cli import main

main()
