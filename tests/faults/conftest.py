"""Fault-injection and bad-input suite (issue 8). Runnable alone: ``pytest tests/faults``.

Every test adds to the session's :class:`FaultsReport` (fixture ``faults_report``), which
is written to faults-report.json when the session ends, whatever the outcome.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from .report import FaultsReport

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
_REPORT = FaultsReport()


@pytest.fixture(scope="session")
def faults_report() -> FaultsReport:
    return _REPORT


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only when fault tests ran (a run of other folders must not overwrite the report).
    if _REPORT.bad_inputs_tried or _REPORT.faults_injected or _REPORT.soak_minutes is not None:
        path = _REPORT.write()
        print(f"\nfaults report: {path}", file=sys.stderr)


def fuzz_examples(default: int) -> int:
    """Number of hypothesis examples per fuzz test; FUZZ_SCALE multiplies (e.g. 0.1 locally)."""
    return max(1, int(default * float(os.environ.get("FUZZ_SCALE", "1"))))


def shared(*parts: str) -> Path:
    """A path in ../shared/data; skips the test with a clear reason when absent."""
    p = DATA.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"../shared/data absent: {p} not found")
    return p
