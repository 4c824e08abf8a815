"""Run ``edge-tracker run --config`` as a subprocess for the fault tests.

:class:`DaemonProc` writes a YAML config, starts the daemon (stderr to a log file),
reads its JSONL output and its ``/metrics`` (the port is taken from the daemon's own
"http: serving ... on URL" log line, since tests use ``http.port: 0``) and answers
the survival question of issue 8: "up and producing within 10 s of the fault
clearing" (:meth:`DaemonProc.producing_within`).

Everything is bounded: every wait has a deadline, and the context manager kills the
process (SIGCONT first, in case a test stopped it) when the test ends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, shared


def _sources_helpers():
    """tests/sources/helpers.py (FfmpegServer, lavfi_ts ...) — ``tests`` is no package,
    so it is loaded by path."""
    import importlib.util
    name = "faults_sources_helpers"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "sources" / "helpers.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


_helpers = _sources_helpers()
FfmpegServer = _helpers.FfmpegServer
free_port = _helpers.free_port
lavfi_ts = _helpers.lavfi_ts

# Issue 8: "the daemon up and producing within 10 s of the fault clearing".
RECOVERY_S = 10.0

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                  reason="ffmpeg binary absent (Debian package ffmpeg)")
needs_mosquitto = pytest.mark.skipif(shutil.which("mosquitto") is None,
                                     reason="mosquitto binary absent (Debian package mosquitto)")


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def run_in_thread(daemon: Any) -> tuple[threading.Thread, list[BaseException]]:
    """Start ``daemon.run()`` in a daemon thread; whatever it raises lands in the list."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            daemon.run()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th, errors


def student_model() -> str:
    """The bundled student if installed, else the SSD int8 model of ../shared/data."""
    bundled = ROOT / "edge_tracker" / "models" / "student.tflite"
    if bundled.is_file():
        return str(bundled)
    return str(shared("models", "ssd_mobilenet_v1_quant", "ssd_mobilenet_v1_quant.tflite"))


def teacher_model() -> str:
    bundled = ROOT / "edge_tracker" / "models" / "teacher.tflite"
    if bundled.is_file():
        return str(bundled)
    return str(shared("models", "yolox_nano_416", "yolox_nano_416_decoded.tflite"))


def synthetic_video(path: Path, n_frames: int = 60, fps: int = 15) -> str:
    """A 320x180 MJPG .avi of the demo's synthetic street (people walking)."""
    from edge_tracker.commands.demo import render_scene, write_video
    frames, _ = render_scene(n_frames=n_frames, width=320, height=180, people=3, fps=fps)
    return write_video(frames, str(path), fps)


def read_jsonl(*paths: Path) -> tuple[list[dict], int]:
    """(parsed rows, torn lines) of JSONL files read in order; a line is torn when it
    does not parse or the file does not end with its newline."""
    rows: list[dict] = []
    torn = 0
    for p in paths:
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            continue
        parts = data.split(b"\n")
        tail = parts.pop()          # b"" when the file ends with a newline
        if tail:
            torn += 1
        for ln in parts:
            try:
                rows.append(json.loads(ln))
            except ValueError:
                torn += 1
    return rows, torn


def base_config(workdir: Path, source: dict, **sections: Any) -> dict:
    """A daemon config: student alone (SSD), JSONL to ``workdir/out.jsonl`` (fsync
    always), HTTP on a free loopback port, quick status lines. ``sections`` replace or
    extend top-level sections (dicts are merged one level deep)."""
    cfg: dict[str, Any] = {
        "source": dict(source),
        "student": {"model": student_model()},
        "teacher": {"enabled": False},
        "http": {"port": 0},
        "sinks": {"jsonl": {"path": str(workdir / "out.jsonl"), "fsync": "always"}},
        "logging": {"status_interval_s": 2.0},
        "service": {"drain_timeout_s": 3.0},
    }
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


def stream_source(url: str, **kw: Any) -> dict:
    """Source section for a loopback ffmpeg stream with quick reconnects."""
    src = {"uri": url, "reconnect_initial_s": 0.2, "reconnect_max_s": 1.0,
           "stall_timeout_s": 2.0, "open_timeout_s": 3.0, "wait_at_start": True}
    src.update(kw)
    return src


class DaemonProc:
    """``edge-tracker run --config WORKDIR/NAME.yaml`` in a subprocess."""

    def __init__(self, workdir: Path, config: dict | str, name: str = "daemon",
                 extra_args: tuple[str, ...] = ()) -> None:
        self.workdir = Path(workdir)
        self.name = name
        self.config_path = self.workdir / f"{name}.yaml"
        self.log_path = self.workdir / f"{name}.log"
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None
        self._log_fh = None
        self._url: str | None = None
        self.write_config(config)

    # ------------------------------------------------------------ config
    def write_config(self, config: dict | str) -> None:
        """(Re)write the config file atomically (a SIGHUP reads it whole)."""
        text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)
        if isinstance(config, dict):
            self.config = config

    @property
    def jsonl(self) -> Path:
        return Path(self.config["sinks"]["jsonl"]["path"])

    # ------------------------------------------------------------ process
    def start(self) -> DaemonProc:
        self._log_fh = open(self.log_path, "ab")  # noqa: SIM115 - closed in kill()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge_tracker.cli", "run", "--config", str(self.config_path),
             *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=self._log_fh, stdin=subprocess.DEVNULL,
            cwd=self.workdir, env=env)
        self._url = None
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig: int) -> None:
        if self.alive():
            os.kill(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> tuple[int | None, float]:
        """SIGTERM; (exit code or None if it did not exit within ``timeout``, seconds)."""
        t0 = time.monotonic()
        self.send(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
        return rc, time.monotonic() - t0

    def wait(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
                self.proc.kill()
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None

    def __enter__(self) -> DaemonProc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    # ------------------------------------------------------------ outputs
    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def lines(self) -> int:
        """Newlines in the current JSONL file (whole lines written so far)."""
        try:
            return self.jsonl.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def rows(self) -> tuple[list[dict], int]:
        return read_jsonl(self.jsonl)

    def url(self, timeout: float = 60.0) -> str:
        """Base URL of the daemon's HTTP server (from its log)."""
        if self._url is None:
            pat = re.compile(r"serving /metrics /healthz /readyz on (http://\S+)")
            found: list[str] = []

            def seen() -> bool:
                m = pat.findall(self.log())
                if m:
                    found.append(m[-1])
                return bool(m) or not self.alive()

            wait_for(seen, timeout, 0.1)
            if not found:
                raise AssertionError(f"{self.name}: no HTTP URL in the log:\n{self.log()[-3000:]}")
            self._url = found[0]
        return self._url

    def metrics_text(self) -> str:
        with urllib.request.urlopen(self.url() + "/metrics", timeout=5) as resp:
            return resp.read().decode()

    def metric(self, name: str) -> float:
        """Sum of the samples of ``name`` (e.g. edge_tracker_frames_total)."""
        total = 0.0
        for ln in self.metrics_text().splitlines():
            if ln.startswith((name + "{", name + " ")):
                total += float(ln.rsplit(None, 1)[-1])
        return total

    def healthz(self) -> int:
        try:
            with urllib.request.urlopen(self.url() + "/healthz", timeout=5) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    # ------------------------------------------------------------ survival
    def producing_within(self, timeout: float = RECOVERY_S, n: int = 3,
                         counter=None) -> float | None:
        """Seconds until ``n`` more outputs appeared (``counter()``, default: JSONL lines)
        while the process is alive; None if not within ``timeout``."""
        counter = counter or self.lines
        t0 = time.monotonic()
        start = counter()
        ok = wait_for(lambda: not self.alive() or counter() >= start + n, timeout, 0.05)
        if ok and self.alive() and counter() >= start + n:
            return time.monotonic() - t0
        return None

    def wait_started(self, n: int = 5, timeout: float = 60.0) -> None:
        """Until ``n`` JSONL lines exist (models load slowly on a busy machine)."""
        if not wait_for(lambda: self.lines() >= n or not self.alive(), timeout, 0.1) \
                or self.lines() < n:
            raise AssertionError(f"{self.name}: not producing (alive {self.alive()}):\n"
                                 f"{self.log()[-3000:]}")


# ---------------------------------------------------------------- MQTT


class Broker:
    """``mosquitto`` on 127.0.0.1:port only (a config file with one loopback listener)."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.port = port
        self.conf = Path(workdir) / f"mosquitto-{port}.conf"
        self.conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                             f"persistence false\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> Broker:
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([exe, "-c", str(self.conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        if not wait_for(lambda: listening_port(self.port) or self.proc.poll() is not None, 10):
            raise AssertionError(f"mosquitto did not listen on {self.port}")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


class Subscriber:
    """A paho-mqtt client on 127.0.0.1:port subscribed to ``topic``; it keeps retrying
    (connect_async + loop_start) so it may start before the broker. ``payloads``: the
    raw message bodies received."""

    def __init__(self, port: int, topic: str = "#") -> None:
        mqtt = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt absent (extra mqtt)")
        self.payloads: list[bytes] = []
        self.topic = topic
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"faults-sub-{port}-{os.getpid()}")
        self.client.reconnect_delay_set(0.2, 1)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.payloads.append(bytes(m.payload))
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        client.subscribe(self.topic, qos=1)

    def count(self) -> int:
        return len(self.payloads)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


# ---------------------------------------------------------------- sockets


def listening_port(port: int) -> bool:
    """A TCP socket LISTENs on ``port`` (any address) — read from /proc, no connect."""
    return any(s["port"] == port for s in proc_sockets() if s["listen"])


def _hex_addr(text: str) -> tuple[str, int]:
    import ipaddress
    host, port = text.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        addr = ipaddress.IPv4Address(raw[::-1])
    else:   # IPv6: four 32-bit words, each in host (little-endian) byte order
        addr = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
    return str(addr), int(port, 16)


def parse_proc_net(text: str, proto: str) -> list[dict]:
    """Rows of a /proc/net/{tcp,tcp6,udp,udp6} table: address, port, inode, listen
    (TCP state 0A; UDP sockets count as listening when bound)."""
    out = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 10:
            continue
        addr, port = _hex_addr(parts[1])
        _, rport = _hex_addr(parts[2])
        listen = parts[3] == "0A" if proto.startswith("tcp") else rport == 0
        out.append({"proto": proto, "addr": addr, "port": port, "inode": int(parts[9]),
                    "listen": listen})
    return out


def proc_sockets(pid: int | None = None) -> list[dict]:
    """Sockets of the whole network namespace, or only those whose inode is one of
    process ``pid``'s open file descriptors."""
    rows: list[dict] = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            rows += parse_proc_net(Path(f"/proc/net/{proto}").read_text(), proto)
        except OSError:
            continue
    if pid is None:
        return rows
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return [r for r in rows if r["inode"] in inodes]


def is_loopback(addr: str) -> bool:
    import ipaddress
    ip = ipaddress.ip_address(addr)
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback
