"""The ``clawmemory`` command (layer 6, typer + rich): one module per command group, each a thin
layer over the Engine; shared options in ``options.py``, output helpers in ``output.py``."""
