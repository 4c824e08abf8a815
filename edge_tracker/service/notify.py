"""systemd notify protocol (sd_notify) without libsystemd: datagrams to ``$NOTIFY_SOCKET``.

``READY=1`` once models are loaded and the source is open, ``WATCHDOG=1`` every half ``$WATCHDOG_USEC``,
``STATUS=...`` free text, ``STOPPING=1`` at shutdown. A leading ``@`` in the socket
path is the Linux abstract namespace (a NUL byte). With no ``$NOTIFY_SOCKET`` (not
started by systemd) every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)


class Notifier:
    """Sends sd_notify messages; ``watchdog_interval_s`` is half of ``$WATCHDOG_USEC``."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        addr = env.get("NOTIFY_SOCKET") or None
        self.address: str | None = None
        if addr:
            self.address = "\0" + addr[1:] if addr.startswith("@") else addr
        self.watchdog_interval_s: float | None = None
        usec = env.get("WATCHDOG_USEC")
        pid = env.get("WATCHDOG_PID")
        if usec and (not pid or pid == str(os.getpid())):
            try:
                self.watchdog_interval_s = int(usec) / 1e6 / 2.0
            except ValueError:
                log.warning("ignoring WATCHDOG_USEC=%r (not an integer)", usec)
        self._sock: socket.socket | None = None
        self._last_watchdog = 0.0
        self.sent: list[str] = []  # messages sent (last few; for tests and debugging)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, message: str) -> bool:
        """Send one datagram (``KEY=VALUE`` lines); False when disabled or on error."""
        if self.address is None:
            return False
        try:
            if self._sock is None:
                # non-blocking: a receiver that stopped reading must never stall the loop
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM
                                           | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK)
            self._sock.sendto(message.encode("utf-8"), self.address)
        except BlockingIOError:
            log.debug("sd_notify %r dropped: %r is not reading", message, self.address)
            return False
        except OSError as exc:
            log.warning("sd_notify to %r failed: %s", self.address, exc)
            return False
        self.sent = (self.sent + [message])[-50:]
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def reloading(self) -> bool:
        return self.notify("RELOADING=1")

    def watchdog(self, now: float | None = None) -> bool:
        """Send ``WATCHDOG=1`` if half the watchdog period passed since the last one."""
        if self.watchdog_interval_s is None:
            return False
        now = time.monotonic() if now is None else now
        if now - self._last_watchdog < self.watchdog_interval_s:
            return False
        self._last_watchdog = now
        return self.notify("WATCHDOG=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
