"""Helpers for source tests: loopback ffmpeg servers, waiting with deadlines.

Every server binds 127.0.0.1 only, on a port the OS just handed out, and is killed
(SIGCONT first if stopped) when the test ends. Every wait has a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
VIDEO_DIR = SHARED / "video"

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                  reason="ffmpeg binary absent (Debian package ffmpeg)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def pull(source, seconds: float, until=None) -> list:
    """Frames read from ``source`` for ``seconds`` (or until ``until(frames)`` is true)."""
    frames = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not source.finished:
        f = source.read(0.2)
        if f is not None:
            frames.append(f)
            if until is not None and until(frames):
                break
    return frames


def lavfi_ts(path: Path, size: str, frames: int, rate: int = 15) -> Path:
    """Write an MPEG-TS test clip (mpeg2video, cheap to encode) with ffmpeg's testsrc."""
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={size}:rate={rate}", "-frames:v", str(frames),
                    "-c:v", "mpeg2video", "-g", "5", "-f", "mpegts", str(path)],
                   check=True, timeout=60)
    return path


class FfmpegServer:
    """``ffmpeg -re`` serving MPEG-TS on tcp://127.0.0.1:port (one client at a time).

    clip: a file path (played once, or looped with ``loop``) or None for lavfi testsrc
    320x240 at 15 fps.
    """

    def __init__(self, port: int, clip: Path | None = None, loop: bool = False) -> None:
        self.port = port
        self.clip = clip
        self.loop = loop
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> FfmpegServer:
        if self.clip is None:
            src = ["-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15"]
            codec = ["-c:v", "mpeg2video", "-g", "15"]
        else:
            src = ["-re"] + (["-stream_loop", "-1"] if self.loop else []) + ["-i", str(self.clip)]
            codec = ["-c", "copy"]
        cmd = (["ffmpeg", "-nostdin", "-loglevel", "error"] + src + codec
               + ["-f", "mpegts", f"tcp://127.0.0.1:{self.port}?listen=1"])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Listening once the port refuses no more (bounded wait).
        wait_for(self._listening, 5.0)
        return self

    def _listening(self) -> bool:
        # Only peek with `ss`-free logic: a connect would consume the single client slot,
        # so check /proc/net/tcp for a LISTEN socket on the port instead.
        want = f":{self.port:04X}"
        try:
            with open("/proc/net/tcp", encoding="ascii") as fh:
                return any(want in line.split()[1] and line.split()[3] == "0A"
                           for line in fh.readlines()[1:])
        except OSError:
            time.sleep(0.5)
            return True

    def pause(self) -> None:
        os.kill(self.proc.pid, signal.SIGSTOP)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


class RecordingMetrics:
    """Source metrics hooks that record their calls."""

    def __init__(self) -> None:
        self.reconnects = 0
        self.ups: list[bool] = []
        self.dropped = 0

    def on_reconnect(self) -> None:
        self.reconnects += 1

    def set_up(self, up: bool) -> None:
        self.ups.append(up)

    def on_drop(self, n: int = 1) -> None:
        self.dropped += n
