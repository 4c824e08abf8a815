"""Small HTTP server thread: ``/metrics`` (Prometheus text), ``/healthz``, ``/readyz``.

- ``/healthz``: 200 while the frame loop ticked within ``health_max_age_s`` (the loop
  ticks on every iteration, frame or not), else 503.
- ``/readyz``: 200 when models are loaded and a frame arrived within
  ``ready_max_age_s``, else 503 with the reason.
Bound to ``127.0.0.1`` by default; ``port: 0`` picks a free port (see ``.port``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..configbase import bounds
from ..errors import ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpConfig:
    enabled: bool = True
    bind: str = "127.0.0.1"   # loopback only by default; "0.0.0.0" exposes it to the network
    port: int = field(default=9108, metadata=bounds(0, 65535))  # 0 = any free port
    health_max_age_s: float = field(default=10.0, metadata=bounds(0.1, 3600.0))
    ready_max_age_s: float = field(default=10.0, metadata=bounds(0.1, 3600.0))


class HealthState:
    """What the loop reports and the endpoints read (thread-safe enough: float stores)."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.last_tick: float | None = None
        self.last_frame: float | None = None
        self.models_loaded = False
        self.frames = 0

    def tick(self) -> None:
        self.last_tick = self.clock()

    def frame(self) -> None:
        self.last_frame = self.clock()
        self.frames += 1

    def healthy(self, max_age_s: float) -> tuple[bool, str]:
        if self.last_tick is None:
            return False, "frame loop not started"
        age = self.clock() - self.last_tick
        if age > max_age_s:
            return False, f"frame loop stalled for {age:.1f} s"
        return True, f"frame loop alive ({age:.2f} s ago)"

    def ready(self, max_age_s: float) -> tuple[bool, str]:
        if not self.models_loaded:
            return False, "models not loaded"
        if self.last_frame is None:
            return False, "no frame yet"
        age = self.clock() - self.last_frame
        if age > max_age_s:
            return False, f"no frame for {age:.1f} s"
        return True, f"{self.frames} frames, last {age:.2f} s ago"


def _exposition(registry: Any) -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
    return generate_latest(registry if registry is not None else REGISTRY), CONTENT_TYPE_LATEST


class HttpServer:
    """Serves the endpoints on a daemon thread. ``registry``: a prometheus_client
    CollectorRegistry (None = the global one)."""

    def __init__(self, cfg: HttpConfig, health: HealthState, registry: Any = None) -> None:
        self.cfg = cfg
        self.health = health
        self.registry = registry
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "edge-tracker"

            def log_message(self, fmt: str, *args: Any) -> None:  # quiet access log
                log.debug("http: " + fmt, *args)

            def _send(self, code: int, body: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    body, ctype = _exposition(server_self.registry)
                    self._send(200, body, ctype)
                elif path in ("/healthz", "/readyz"):
                    if path == "/healthz":
                        ok, why = server_self.health.healthy(server_self.cfg.health_max_age_s)
                    else:
                        ok, why = server_self.health.ready(server_self.cfg.ready_max_age_s)
                    body = json.dumps({"ok": ok, "detail": why}).encode() + b"\n"
                    self._send(200 if ok else 503, body, "application/json")
                else:
                    self._send(404, b"not found: try /metrics /healthz /readyz\n", "text/plain")

            do_HEAD = do_GET

        try:
            self._server = ThreadingHTTPServer((cfg.bind, cfg.port), Handler)
        except OSError as exc:
            raise ConfigError("http", f"cannot listen on {cfg.bind}:{cfg.port}: "
                                      f"{exc.strerror or exc}") from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="edge-tracker-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.cfg.bind}:{self.port}"

    def start(self) -> HttpServer:
        self._thread.start()
        log.info("http: serving /metrics /healthz /readyz on %s", self.url)
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
