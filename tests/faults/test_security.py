"""Security review (issue 8): no listening socket beyond loopback by default; URL
credentials never in logs, metrics, health bodies, JSONL or MQTT; output paths confined
(edge_tracker/service/paths.py); the systemd unit's hardening kept."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import urllib.request

import pytest

from edge_tracker.errors import ConfigError
from edge_tracker.service.paths import check_config_paths, confine_output_path

from .conftest import ROOT
from .daemon_harness import (
    RECOVERY_S,
    Broker,
    DaemonProc,
    FfmpegServer,
    Subscriber,
    base_config,
    free_port,
    is_loopback,
    needs_ffmpeg,
    needs_mosquitto,
    parse_proc_net,
    proc_sockets,
    stream_source,
    synthetic_video,
    wait_for,
)

UNIT = ROOT / "deploy" / "edge-tracker@.service"
SECRET = "s3cr3t-Pw"


# ------------------------------------------------------------- listening sockets

def test_proc_net_parser_tells_loopback_from_any():
    """The checker itself: 127.0.0.1:9108 LISTEN, 0.0.0.0:1883 LISTEN, [::1]:80 LISTEN,
    [::]:22 LISTEN (hand-written /proc/net rows)."""
    tcp = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
           "  timeout inode\n"
           "   0: 0100007F:2394 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 11 1\n"
           "   1: 00000000:075B 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12 1\n")
    tcp6 = ("  sl  local_address remote_address st tx rx tr tm retr uid timeout inode\n"
            "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000"
            " 0A 0:0 0:0 0 0 0 21 1\n"
            "   1: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000"
            " 0A 0:0 0:0 0 0 0 22 1\n")
    rows = parse_proc_net(tcp, "tcp") + parse_proc_net(tcp6, "tcp6")
    got = [(r["addr"], r["port"], r["listen"], is_loopback(r["addr"])) for r in rows]
    assert got == [("127.0.0.1", 9108, True, True), ("0.0.0.0", 1883, True, False),
                   ("::1", 80, True, True), ("::", 22, True, False)]
    assert is_loopback("::ffff:127.0.0.1") and not is_loopback("::ffff:10.0.0.1")


def _video_cfg(tmp_path, **kw):
    src = {"uri": synthetic_video(tmp_path / "street.avi", n_frames=60), "realtime": True,
           "loop": True}
    return base_config(tmp_path, src, **kw)


@pytest.mark.parametrize("bind", ["default", "0.0.0.0"])
def test_only_loopback_listens_by_default(tmp_path, bind):
    """Default config (metrics on): every listening socket of the daemon is loopback.
    With ``http.bind: 0.0.0.0`` the same check finds the exposed socket (so it can fail)."""
    cfg = _video_cfg(tmp_path)
    if bind != "default":
        cfg["http"]["bind"] = bind
    with DaemonProc(tmp_path, cfg).start() as d:
        d.wait_started(3, timeout=90)
        d.url()                                     # the HTTP server is up
        listening = [s for s in proc_sockets(d.pid) if s["listen"]]
        d.stop()
    assert listening, "the metrics endpoint should listen"
    exposed = [s for s in listening if not is_loopback(s["addr"])]
    print(f"http.bind={bind}: listening {[(s['addr'], s['port']) for s in listening]}")
    if bind == "default":
        assert exposed == [], exposed
    else:
        assert [s["addr"] for s in exposed] == ["0.0.0.0"]


# ------------------------------------------------------------- credentials

@pytest.mark.system
@needs_ffmpeg
@needs_mosquitto
def test_url_credentials_never_leak(tmp_path, faults_report):
    """Stream URL ``tcp://viewer:SECRET@127.0.0.1:PORT``; the server is killed once so
    reconnect and error messages are logged; the secret must appear nowhere."""
    server = FfmpegServer(free_port()).start()
    url = server.url.replace("tcp://", f"tcp://viewer:{SECRET}@")
    port = free_port()
    broker = Broker(tmp_path, port).start()
    sub = Subscriber(port)
    cfg = base_config(tmp_path, stream_source(url),
                      sinks={"mqtt": {"enabled": True, "port": port, "empty_frames": True,
                                      "reconnect_min_s": 0.2, "reconnect_max_s": 1.0}},
                      logging={"level": "DEBUG", "status_interval_s": 0.5})
    try:
        with DaemonProc(tmp_path, cfg).start() as d:
            d.wait_started(5, timeout=90)
            server.kill()
            assert wait_for(lambda: "reconnecting" in d.log(), 15), d.log()[-2000:]
            server.start()
            took = d.producing_within(RECOVERY_S, n=5)
            faults_report.fault("source: server killed (credentials in URL)", took is not None,
                                f"back after {took} s")
            assert took is not None, d.log()[-3000:]
            assert wait_for(lambda: sub.count() >= 5, RECOVERY_S)
            texts = {"metrics": d.metrics_text()}
            for ep in ("/healthz", "/readyz"):
                try:
                    texts[ep] = urllib.request.urlopen(d.url() + ep, timeout=5).read().decode()
                except urllib.error.HTTPError as exc:
                    texts[ep] = exc.read().decode()
            d.send(signal.SIGHUP)                     # reload logs the config's state too
            assert wait_for(lambda: "reload" in d.log(), 15)
            rc, _ = d.stop()
    finally:
        sub.close()
        broker.kill()
        server.kill()
    texts["log"] = d.log()
    texts["jsonl"] = d.jsonl.read_text()
    texts["mqtt"] = "\n".join(p.decode(errors="replace") for p in sub.payloads)
    leaks = [where for where, text in texts.items() if SECRET in text]
    assert rc == 0
    assert leaks == [], leaks
    assert "viewer:***@" in texts["log"]              # the URL was logged, masked


# ------------------------------------------------------------- path confinement

@pytest.mark.parametrize("path, problem", [
    ("/proc/self/mem", "inside /proc"),
    ("/sys/kernel/x.jsonl", "inside /sys"),
    ("/dev/sda", "inside /dev"),
    ("/dev/shm/t.jsonl", "inside /dev"),
    ("/var/lib/edge-tracker/../../../proc/1/environ", "inside /proc"),
    ("/tmp/../dev/null", "inside /dev"),
])
def test_output_paths_outside_kernel_and_devices(path, problem):
    with pytest.raises(ConfigError) as err:
        confine_output_path(path, "sinks.jsonl.path")
    assert "sinks.jsonl.path" in str(err.value) and problem in str(err.value)


def test_output_path_symlink_into_dev_is_caught(tmp_path):
    (tmp_path / "out").symlink_to("/dev")
    with pytest.raises(ConfigError, match="inside /dev"):
        confine_output_path(str(tmp_path / "out" / "null"), "sinks.mot.path")
    (tmp_path / "f.jsonl").symlink_to("/dev/null")
    with pytest.raises(ConfigError, match="inside /dev"):
        confine_output_path(str(tmp_path / "f.jsonl"), "sinks.jsonl.path")


def test_allowed_output_paths_are_normalised(tmp_path):
    assert confine_output_path("-", "sinks.jsonl.path") == "-"
    p = tmp_path / "a" / ".." / "t.jsonl"
    assert confine_output_path(str(p), "k") == str(tmp_path.resolve() / "t.jsonl")
    assert confine_output_path(str(p), "k", [str(tmp_path)]) == str(tmp_path.resolve() /
                                                                     "t.jsonl")
    with pytest.raises(ConfigError, match="outside the allowed folders"):
        confine_output_path("/etc/cron.d/x", "k", [str(tmp_path)])


def test_check_config_paths_on_an_app_config(tmp_path):
    from edge_tracker.config import load_config
    ok = load_config(None, {"sinks.jsonl.path": str(tmp_path / "t.jsonl")})
    check_config_paths(ok)
    with pytest.raises(ConfigError, match="sinks.mot.path"):  # load_config runs the check too
        load_config(None, {"sinks.mot.path": "/proc/self/fd/1"})


def test_config_loader_rejects_outputs_in_dev():
    """End to end: load_config itself refuses a sink in /dev/shm, naming the key."""
    from edge_tracker.config import load_config
    with pytest.raises(ConfigError, match=r"sinks\.jsonl\.path.*inside /dev"):
        load_config(None, {"sinks.jsonl.path": "/dev/shm/edge-tracker-test.jsonl"})


# ------------------------------------------------------------- the unit's hardening

HARDENING = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
    "PrivateTmp": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
    "RestrictNamespaces": "yes", "CapabilityBoundingSet": "", "DevicePolicy": "closed",
}


def _unit() -> dict[str, list[str]]:
    """[Service] of the unit: key -> every value (systemd allows repeated keys)."""
    if not UNIT.is_file():
        pytest.skip(f"{UNIT} absent")
    section, out = "", {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_unit_keeps_its_hardening():
    svc = _unit()

    def value(key):
        vals = svc.get(key)
        assert vals is not None, f"{key}= missing from {UNIT.name}"
        return vals[-1]

    for key, want in HARDENING.items():
        assert value(key) == want, f"{key}={value(key)!r}, expected {want!r}"
    assert value("User") not in ("", "root")
    assert value("MemoryMax")
    assert "ReadWritePaths" in svc
    families = value("RestrictAddressFamilies").split()
    assert set(families) <= {"AF_UNIX", "AF_INET", "AF_INET6"}


def test_unit_security_exposure_at_most_2():
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.skip("systemd-analyze absent (Debian package systemd)")
    proc = subprocess.run([exe, "security", "--offline=true", "--no-pager", str(UNIT)],
                          capture_output=True, text=True, timeout=60, check=False)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", proc.stdout + proc.stderr)
    if m is None:
        pytest.skip(f"systemd-analyze security gave no score here: {proc.stderr[-300:]}")
    score = float(m.group(1))
    print(f"systemd-analyze security exposure: {score}")
    assert score <= 2.0

