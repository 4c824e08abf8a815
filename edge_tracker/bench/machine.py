"""What a benchmark ran on: CPU model, cores, governor, runtime, Python and NumPy versions.

Everything is read from files that exist on Linux boards (``/proc/cpuinfo``,
``/sys/devices/system/cpu``, ``/proc/device-tree/model`` on a Pi or Jetson); anything
unreadable is ``None`` rather than an error, since containers hide some of it.
"""

from __future__ import annotations

import os
import platform
import socket
import time
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
GOVERNOR = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
CUR_FREQ = Path("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq")
BOARD_MODEL = Path("/proc/device-tree/model")
THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")
LOADAVG = Path("/proc/loadavg")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip().strip("\x00") or None
    except OSError:
        return None


def cpu_model(cpuinfo_text: str | None = None) -> str | None:
    """The CPU's name from /proc/cpuinfo ('model name' on x86, 'Model'/'Hardware' on ARM)."""
    text = cpuinfo_text if cpuinfo_text is not None else _read(CPUINFO)
    if not text:
        return platform.processor() or None
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            found.setdefault(key.strip().lower(), value.strip())
    for key in ("model name", "model", "hardware", "cpu model", "processor"):
        value = found.get(key)
        if value and not value.isdigit():
            return value
    return None


def cores() -> int:
    """CPUs this process may run on (affinity), falling back to os.cpu_count()."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_temperature_c() -> float | None:
    """SoC temperature in deg C from thermal zone 0 (millidegrees in sysfs), if readable."""
    raw = _read(THERMAL)
    try:
        return int(raw) / 1000.0 if raw is not None else None
    except ValueError:
        return None


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages: how busy the machine was around a run."""
    raw = _read(LOADAVG)
    try:
        return [float(x) for x in raw.split()[:3]] if raw else None
    except ValueError:
        return None


def machine_info(runtime: str | None = None) -> dict:
    """A JSON-ready description of this machine and software stack.

    runtime: e.g. ``ai_edge_litert 2.3.0`` (``edge_tracker.runtime.runtime_name()``); looked
    up when None, and None when no runtime imports.
    """
    import numpy as np

    if runtime is None:
        try:
            from ..runtime import runtime_name

            runtime = runtime_name()
        except Exception as exc:  # noqa: BLE001 - describing the machine must not fail
            runtime = f"unavailable ({type(exc).__name__})"
    freq = _read(CUR_FREQ)
    return {
        "hostname": socket.gethostname(),
        "board": _read(BOARD_MODEL),
        "cpu": cpu_model(),
        "cores": cores(),
        "arch": platform.machine(),
        "governor": _read(GOVERNOR),
        "cpu_freq_mhz": int(freq) / 1000.0 if freq and freq.isdigit() else None,
        "temperature_c": cpu_temperature_c(),
        "load_average": load_average(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "runtime": runtime,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
