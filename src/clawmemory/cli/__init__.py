"""The ``clawmemory`` command (typer + rich), a thin layer over the Engine."""
