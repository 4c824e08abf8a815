"""``edge-tracker`` command line: parses arguments and calls library code.

Each sub-command lives in ``edge_tracker/commands/<name>.py`` with two functions:
``add_parser(subparsers)`` (registers its argparse parser; must import nothing heavy)
and ``main(args) -> int`` (turns the namespace into typed configs and calls the
library; the namespace never goes further). Errors derived from
:class:`EdgeTrackerError` become one line on stderr and their exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import EdgeTrackerError

# Order is the order of `edge-tracker --help`.
COMMANDS = ("run", "demo", "validate", "inspect", "eval", "bench", "distill", "features",
            "sot", "cameras")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="edge-tracker",
        description="Real-time multi-object tracking on small boards: int8 student on every "
                    "frame, budgeted teacher, fused priors.")
    parser.add_argument("--version", action="version", version=f"edge-tracker {__version__}")
    parser.add_argument("--log-level", default=None,
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="logging level (default: INFO, or the config's logging.level)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f".commands.{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.endswith(f"commands.{name}"):
                continue  # command not built yet in this checkout
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level or "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except EdgeTrackerError as exc:
        print(f"edge-tracker {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
