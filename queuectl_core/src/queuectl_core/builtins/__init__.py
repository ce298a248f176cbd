"""Built-in plugins, registered like any other through the plugin manager."""
