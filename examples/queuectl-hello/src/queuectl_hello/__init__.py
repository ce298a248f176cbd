"""A minimal example queuectl plugin: a notifier, a handler and a command."""
