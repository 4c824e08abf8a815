"""Resident memory: peak (high-water mark) and current RSS of this process or a child.

Linux reports the peak as ``VmHWM`` in /proc/<pid>/status and as ``ru_maxrss`` from
getrusage (kilobytes on Linux, bytes on macOS). ``RssGrowth`` samples the current RSS
before and after a run so a leak shows as growth while the peak shows the footprint.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

_KB = 1024


def _status_field(field: str, pid: int | str = "self") -> int | None:
    """A ``VmXXX:   1234 kB`` line of /proc/<pid>/status in bytes, None if unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field + ":"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) * _KB
    return None


def _maxrss_bytes(who: int) -> int:
    ru = resource.getrusage(who).ru_maxrss
    return int(ru) if sys.platform == "darwin" else int(ru) * _KB


def current_rss_bytes(pid: int | str = "self") -> int | None:
    """Current resident set size (VmRSS) in bytes."""
    return _status_field("VmRSS", pid)


def peak_rss_bytes(pid: int | str = "self") -> int:
    """Peak resident set size in bytes: VmHWM, else getrusage for this process."""
    hwm = _status_field("VmHWM", pid)
    if hwm is not None:
        return hwm
    if pid != "self":
        raise ValueError(f"cannot read the peak RSS of pid {pid}")
    return _maxrss_bytes(resource.RUSAGE_SELF)


def children_peak_rss_bytes() -> int:
    """Largest peak RSS among waited-for child processes (getrusage RUSAGE_CHILDREN)."""
    return _maxrss_bytes(resource.RUSAGE_CHILDREN)


class RssGrowth:
    """Current RSS at start and at end of a measured section; growth in bytes.

    Use: ``g = RssGrowth(); ...; g.stop(); g.growth_bytes``.
    """

    def __init__(self) -> None:
        self.start_bytes = current_rss_bytes() or 0
        self.end_bytes: int | None = None

    def stop(self) -> int:
        self.end_bytes = current_rss_bytes() or 0
        return self.growth_bytes

    @property
    def growth_bytes(self) -> int:
        end = self.end_bytes if self.end_bytes is not None else (current_rss_bytes() or 0)
        return int(end - self.start_bytes)
