"""The fault suite's report: counters every fault test adds to, written once per session
as ``faults-report.json`` (path: $FAULTS_REPORT, default <project>/out/faults-report.json).

Keys (issue 8): faults_injected, faults_survived, bad_inputs_tried, bad_inputs_clear_error,
output_lines_lost, soak_rss_growth_mb, soak_minutes; plus ``details`` (per-test notes:
which fault, which bad input kinds, examples of unclear errors) for whoever reads it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def report_path() -> Path:
    return Path(os.environ.get("FAULTS_REPORT", ROOT / "out" / "faults-report.json"))


class FaultsReport:
    """Thread-safe counters (fault tests may run helpers in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults_injected = 0
        self.faults_survived = 0
        self.bad_inputs_tried = 0
        self.bad_inputs_clear_error = 0
        self.output_lines_lost = 0
        self.soak_rss_growth_mb: float | None = None
        self.soak_minutes: float | None = None
        self.details: dict[str, dict] = {}
        self.unclear_examples: list[str] = []

    def fault(self, name: str, survived: bool, note: str = "") -> None:
        """One injected fault (e.g. 'source: server killed'); survived = the daemon was up
        and producing within 10 s of the fault clearing."""
        with self._lock:
            self.faults_injected += 1
            self.faults_survived += int(survived)
            d = self.details.setdefault(f"fault:{name}", {"injected": 0, "survived": 0})
            d["injected"] += 1
            d["survived"] += int(survived)
            if note:
                d["note"] = note

    def bad_input(self, kind: str, clear: bool, example: str = "") -> None:
        """One fuzzed/bad input of ``kind``; clear = a clear EdgeTrackerError or a clean
        result (never another exception, a crash or a hang)."""
        with self._lock:
            self.bad_inputs_tried += 1
            self.bad_inputs_clear_error += int(clear)
            d = self.details.setdefault(f"bad_input:{kind}", {"tried": 0, "clear": 0})
            d["tried"] += 1
            d["clear"] += int(clear)
            if not clear and example and len(self.unclear_examples) < 20:
                self.unclear_examples.append(f"{kind}: {example[:300]}")

    def count(self, kind: str, key: str, n: int = 1) -> None:
        """A free-form counter under details[kind][key] (e.g. outcomes of fuzz cases)."""
        with self._lock:
            d = self.details.setdefault(kind, {})
            d[key] = d.get(key, 0) + n

    def lines_lost(self, n: int, where: str) -> None:
        with self._lock:
            self.output_lines_lost += int(n)
            self.details.setdefault("output_lines_lost", {})[where] = int(n)

    def soak(self, minutes: float, rss_growth_mb: float, extra: dict | None = None) -> None:
        with self._lock:
            self.soak_minutes = minutes
            self.soak_rss_growth_mb = rss_growth_mb
            if extra:
                self.details["soak"] = extra

    def as_dict(self) -> dict:
        with self._lock:
            return {
                "faults_injected": self.faults_injected,
                "faults_survived": self.faults_survived,
                "bad_inputs_tried": self.bad_inputs_tried,
                "bad_inputs_clear_error": self.bad_inputs_clear_error,
                "output_lines_lost": self.output_lines_lost,
                "soak_rss_growth_mb": self.soak_rss_growth_mb,
                "soak_minutes": self.soak_minutes,
                "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "details": self.details,
                "unclear_examples": self.unclear_examples,
            }

    def write(self, path: Path | None = None) -> Path:
        path = path or report_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=2) + "\n")
        os.replace(tmp, path)
        return path
