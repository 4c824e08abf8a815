"""Fuzz the model loader: random and mutated .tflite bytes into ``load_model``.

Each case runs in a child process (tests/faults/model_worker.py) so that a native crash
is observed instead of killing the test run; 30 s per case. A case passes when loading
ends in a clean Model or an EdgeTrackerError (ModelError) with a message; a crash, hang
or any other exception fails. Whether a model that loads also invokes is recorded in the
report's details (informational).

Mutations target what breaks in the field: truncation (a half-copied file), zeroed
ranges (a short write), flipped bytes in the FlatBuffer's structure (the root table,
subgraphs, tensors and operators are near the start of a TFLite file; weights after),
and garbage appended or prepended.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ROOT, fuzz_examples, shared

SETTINGS = {"deadline": None, "derandomize": True, "database": None,
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture]}
CASE_TIMEOUT_S = 30.0


class Worker:
    """A long-lived model_worker.py child; restarted after a crash or hang."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.crashes = 0

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="3")
        return subprocess.Popen([sys.executable, str(Path(__file__).with_name("model_worker.py"))],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)

    def load(self, path: Path) -> dict:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        proc.stdin.write(f"{path}\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], CASE_TIMEOUT_S)
        if not ready:
            self.close()
            return {"load": "hang", "msg": f"no answer within {CASE_TIMEOUT_S} s"}
        line = proc.stdout.readline()
        if not line:
            code = proc.wait(5)
            self.proc = None
            self.crashes += 1
            return {"load": "crash", "msg": f"worker died with exit code {code}"}
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


def _base_model() -> bytes:
    """The smallest real model at hand: the bundled student, else SSD from shared data."""
    bundled = ROOT / "edge_tracker" / "models" / "student.tflite"
    if bundled.exists():
        return bundled.read_bytes()
    return shared("models", "ssd_mobilenet_v1_quant", "ssd_mobilenet_v1_quant.tflite").read_bytes()


@pytest.fixture(scope="module")
def base_model() -> bytes:
    return _base_model()


def _check(faults_report, worker, tmp_path, kind: str, data: bytes) -> None:
    p = tmp_path / "fuzz.tflite"
    p.write_bytes(data)
    rec = worker.load(p)
    outcome = rec["load"]
    faults_report.count(f"model_fuzz:{kind}", outcome)
    if rec.get("invoke") and rec["invoke"] != "skipped":
        faults_report.count(f"model_fuzz:{kind}", f"loaded_then_invoke_{rec['invoke']}")
    faults_report.bad_input(f"model:{kind}", outcome in ("ok", "clear"), rec.get("msg", ""))
    assert outcome in ("ok", "clear"), f"{kind}: {outcome}: {rec.get('msg')}"


@settings(max_examples=fuzz_examples(60), **SETTINGS)
@given(st.one_of(st.binary(max_size=2000),
                 st.binary(max_size=2000).map(lambda b: b[:4] + b"TFL3" + b[4:])))
def test_random_bytes(faults_report, worker, tmp_path, data):
    _check(faults_report, worker, tmp_path, "random_bytes", data)


@st.composite
def mutation(draw, size: int):
    op = draw(st.sampled_from(["truncate", "zero_range", "flip_structure", "flip_anywhere",
                               "append", "prepend"]))
    head = min(size, 65536)
    if op == "truncate":
        return op, draw(st.one_of(st.integers(0, head), st.integers(0, size)))
    if op == "zero_range":
        a = draw(st.integers(0, size - 1))
        return op, (a, draw(st.integers(1, 4096)))
    if op in ("flip_structure", "flip_anywhere"):
        hi = head if op == "flip_structure" else size
        n = draw(st.integers(1, 8))
        return op, [(draw(st.integers(0, hi - 1)), draw(st.integers(1, 255))) for _ in range(n)]
    return op, draw(st.binary(min_size=1, max_size=256))


def _apply(base: bytes, op: str, arg) -> bytes:
    if op == "truncate":
        return base[:arg]
    if op == "zero_range":
        a, n = arg
        return base[:a] + b"\0" * min(n, len(base) - a) + base[a + n:]
    if op in ("flip_structure", "flip_anywhere"):
        b = bytearray(base)
        for i, x in arg:
            b[i] ^= x
        return bytes(b)
    return base + arg if op == "append" else arg + base


@settings(max_examples=fuzz_examples(300), **SETTINGS)
@given(st.data())
def test_mutated_model(faults_report, worker, tmp_path, base_model, data):
    op, arg = data.draw(mutation(len(base_model)))
    _check(faults_report, worker, tmp_path, f"mutated_{op}", _apply(base_model, op, arg))


def test_unmutated_model_loads(faults_report, worker, tmp_path, base_model):
    """The base of the mutations loads cleanly (else every mutation test is vacuous)."""
    p = tmp_path / "base.tflite"
    p.write_bytes(base_model)
    rec = worker.load(p)
    assert rec["load"] == "ok", rec
    assert rec["invoke"] == "ok", rec


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "json_named_tflite"])
def test_bad_paths(faults_report, worker, tmp_path, kind):
    if kind == "missing":
        p = tmp_path / "absent.tflite"
    elif kind == "directory":
        p = tmp_path
    elif kind == "empty":
        p = tmp_path / "empty.tflite"
        p.write_bytes(b"")
    else:
        p = tmp_path / "model.tflite"
        p.write_text('{"not": "a model"}')
    rec = worker.load(p)
    faults_report.bad_input(f"model:path_{kind}", rec["load"] == "clear", rec.get("msg", ""))
    assert rec["load"] == "clear", rec
