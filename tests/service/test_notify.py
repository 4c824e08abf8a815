import os
import socket

import pytest

from edge_tracker.service.notify import Notifier


def _listen(address: str) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(address)
    s.settimeout(2)
    return s


@pytest.mark.parametrize("abstract", [False, True])
def test_messages_reach_the_notify_socket(tmp_path, abstract):
    name = f"@edge-tracker-test-{os.getpid()}" if abstract else str(tmp_path / "notify.sock")
    sock = _listen("\0" + name[1:] if abstract else name)
    try:
        n = Notifier({"NOTIFY_SOCKET": name})
        assert n.enabled
        assert n.ready("tracking cam0")
        assert sock.recv(4096) == b"READY=1\nSTATUS=tracking cam0"
        assert n.status("x")
        assert sock.recv(4096) == b"STATUS=x"
        assert n.stopping()
        assert sock.recv(4096) == b"STOPPING=1"
        n.close()
    finally:
        sock.close()


def test_watchdog_every_half_period(tmp_path):
    path = str(tmp_path / "n.sock")
    sock = _listen(path)
    try:
        n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})
        assert n.watchdog_interval_s == 1.0
        sent = [n.watchdog(now=t) for t in (10.0, 10.5, 10.99, 11.0, 11.2, 12.1)]
        assert sent == [True, False, False, True, False, True]
        assert [sock.recv(64) for _ in range(3)] == [b"WATCHDOG=1"] * 3
    finally:
        sock.close()


@pytest.mark.parametrize("env", [{}, {"NOTIFY_SOCKET": ""}, {"WATCHDOG_USEC": "100"}])
def test_no_socket_is_a_no_op(env):
    n = Notifier(env)
    assert not n.enabled
    assert n.ready() is False
    assert n.watchdog(now=1e9) is False


def test_watchdog_pid_of_another_process_is_ignored(tmp_path):
    n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "x"), "WATCHDOG_USEC": "1000000",
                  "WATCHDOG_PID": str(os.getpid() + 1)})
    assert n.watchdog_interval_s is None


def test_send_error_is_reported_not_raised(tmp_path):
    n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens.sock")})
    assert n.notify("READY=1") is False


def test_a_receiver_that_stops_reading_never_blocks_the_sender(tmp_path):
    path = str(tmp_path / "full.sock")
    sock = _listen(path)  # bound, never read: its queue fills up
    try:
        n = Notifier({"NOTIFY_SOCKET": path})
        results = [n.notify(f"STATUS={i}") for i in range(500)]
        assert results[0] is True
        assert results[-1] is False  # dropped once the receiver's queue is full
    finally:
        sock.close()
