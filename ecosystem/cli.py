"""The one command-line convention of the project, used by ``python -m ecosystem`` and ``python -m sim``.

A program is a table ``{command: (module, help)}``. Each command module provides ``add_arguments(parser)`` and
``main(args) -> int``; it is imported only when its command runs (so ``--help`` and the planner never import torch).
User errors (``ValueError`` and its subclasses: scenario, spec and planner errors) print one line on stderr and exit 2;
they never show a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping, Sequence

EXIT_USAGE = 2


def run_cli(prog: str, description: str, commands: Mapping[str, tuple[str, str]],
            argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the chosen command and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    top = argparse.ArgumentParser(prog=prog, description=description)
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in commands.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] not in commands:
        top.parse_args(argv or ["--help"])  # prints the usage (or the "invalid choice" message) and exits
        return EXIT_USAGE
    name = argv[0]
    module = importlib.import_module(commands[name][0])
    parser = argparse.ArgumentParser(prog=f"{prog} {name}", description=commands[name][1])
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    args.command = name
    try:
        return int(module.main(args) or 0)
    except ValueError as exc:
        print(one_line(exc), file=sys.stderr)
        return EXIT_USAGE


def one_line(exc: BaseException) -> str:
    """The message of a user error, prefixed ``error:`` unless it already names its source."""
    text = str(exc).strip() or type(exc).__name__
    return text if text.startswith(("error", "scenario", "sweep", "spec")) else f"error: {text}"
