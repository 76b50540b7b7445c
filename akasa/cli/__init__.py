"""The `akasa` command line: Typer commands over the library, one error boundary."""

from akasa.cli.app import app, main

__all__ = ["app", "main"]
