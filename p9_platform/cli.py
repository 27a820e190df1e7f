"""The ``p9`` command: look at meter files and bills from a terminal.

Each subcommand lives beside the code it drives and registers itself here through a
``register(subparsers)`` function that sets ``handler`` on its parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that each offer register(subparsers); missing ones are skipped so the command
# still works while a subcommand is being built.
COMMAND_MODULES = ("p9_platform.formats.command", "p9_platform.billing.command")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(prog="p9", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    return int(arguments.handler(arguments))


if __name__ == "__main__":
    sys.exit(main())
