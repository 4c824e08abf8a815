"""Fixtures for source tests (helpers live in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import FfmpegServer, free_port


@pytest.fixture
def ffmpeg_server():
    """Factory of FfmpegServer objects that are all killed at the end of the test."""
    servers: list[FfmpegServer] = []

    def make(port: int | None = None, clip: Path | None = None) -> FfmpegServer:
        server = FfmpegServer(port or free_port(), clip)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.kill()
