"""Errors raised at the boundaries; each carries the process exit code the CLI uses.

Messages name the thing at fault (file, key path, tensor shape, masked URL) and
what was expected.
"""

from __future__ import annotations


class EdgeTrackerError(Exception):
    """Base class: a clear, user-facing problem. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class ConfigError(EdgeTrackerError):
    """An invalid configuration value or file (exit code 2)."""

    exit_code = 2

    def __init__(self, path: str, problem: str) -> None:
        self.key_path = path
        self.problem = problem
        super().__init__(f"config {path}: {problem}" if path else f"config: {problem}")


class ModelError(EdgeTrackerError):
    """A model file that is missing, corrupt, not TFLite, or has unsupported tensors."""

    exit_code = 2


class SourceError(EdgeTrackerError):
    """A source (camera, file, stream) that cannot be opened."""

    exit_code = 3


class SinkError(EdgeTrackerError):
    """An output that cannot be written."""

    exit_code = 4
