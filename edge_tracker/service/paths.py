"""Confinement of the output paths a config may name (security review, issue 8).

The daemon runs as root in containers and on some boards, so a config typo (or a
config written by someone who should not control the device) must not turn a sink
into a writer of kernel interfaces or device nodes. Rules for every output path
(``sinks.jsonl.path``, ``sinks.mot.path``, ``sinks.video.path``):

- ``-`` (stdout) is allowed where the sink allows it;
- the path is made absolute and normalised (``..`` resolved) and its folder's
  symbolic links are resolved (``/var/lib/x/../../../proc`` and a link to ``/dev``
  are both caught);
- it must not lie inside ``/proc``, ``/sys`` or ``/dev`` (FORBIDDEN_ROOTS);
- when ``allowed_roots`` is given (e.g. the unit's ReadWritePaths), it must lie inside
  one of them.

:func:`confine_output_path` returns the normalised path or raises ConfigError naming
the key. :func:`check_config_paths` applies it to an AppConfig's sinks; config.py
(daemon helper) is the place to call it (AppConfig.validate).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError

# Kernel and device pseudo file systems: never an output (Linux FHS).
FORBIDDEN_ROOTS = ("/proc", "/sys", "/dev")

# AppConfig keys holding output file paths (sinks/*.py: PATH_META fields that are written).
OUTPUT_KEYS = ("sinks.jsonl.path", "sinks.mot.path", "sinks.video.path")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def normalise(path: str) -> str:
    """Absolute path with ``..`` resolved and the folder's symlinks followed (the file
    itself may not exist yet)."""
    absolute = os.path.abspath(os.path.expanduser(path))
    folder, name = os.path.split(absolute)
    return os.path.join(os.path.realpath(folder), name)


def _candidates(path: str) -> list[str]:
    """The normalised path, plus where it leads when the file name is a symlink (a link
    in an allowed folder must not point into a forbidden one, and a path in a
    forbidden folder stays forbidden wherever it points)."""
    norm = normalise(path)
    out = [norm]
    if os.path.islink(norm):
        out.append(os.path.realpath(norm))
    return out


def confine_output_path(path: str, key: str,
                        allowed_roots: Iterable[str] | None = None) -> str:
    """``path`` normalised, or ConfigError(key) when it points where outputs must not go."""
    if path == "-":
        return path
    if not isinstance(path, str) or not path or "\0" in path:
        raise ConfigError(key, f"must be a file path, got {path!r}")
    candidates = _candidates(path)
    norm = candidates[0]
    for target in candidates:
        for root in FORBIDDEN_ROOTS:
            if _inside(target, root):
                shown = path if target == path else f"{path} (= {target})"
                raise ConfigError(key, f"output path {shown} is inside {root}: outputs may "
                                       f"not be written to {', '.join(FORBIDDEN_ROOTS)}")
    if allowed_roots is not None:
        roots = [os.path.realpath(r) for r in allowed_roots]
        for target in candidates:
            if not any(_inside(target, r) for r in roots):
                raise ConfigError(key, f"output path {target} is outside the allowed "
                                       f"folders {', '.join(roots)}")
    return norm


def check_config_paths(cfg: Any, allowed_roots: Iterable[str] | None = None) -> None:
    """confine_output_path for every output path set in an AppConfig (None = unset)."""
    for key in OUTPUT_KEYS:
        obj = cfg
        for part in key.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, str):
            confine_output_path(obj, key, allowed_roots)
