#!/bin/sh
# Install edge-tracker as a systemd service (one instance per camera).
#
#   sudo deploy/install.sh [CAMERA]        # venv in /opt/edge-tracker, user, unit; enables
#                                          # edge-tracker@CAMERA if /etc/edge-tracker/CAMERA.yaml
#   sudo deploy/install.sh --uninstall     # stop all instances, remove unit, venv and user
#                                          # (configs in /etc/edge-tracker and outputs in
#                                          #  /var/lib/edge-tracker are kept)
#   SYSTEM_SITE_PACKAGES=1 sudo deploy/install.sh cam0
#                                          # venv sees the OS's packages: Picamera2 on a
#                                          # Raspberry Pi (apt python3-picamera2), PyGObject /
#                                          # GStreamer on a Jetson (JetPack's python3-gi)
# Environment: PYTHON (default python3), EXTRAS (default mqtt), PREFIX (default /opt/edge-tracker),
# SYSTEM_SITE_PACKAGES (default 0).
set -eu

PREFIX="${PREFIX:-/opt/edge-tracker}"
PYTHON="${PYTHON:-python3}"
EXTRAS="${EXTRAS:-mqtt}"
SYSTEM_SITE_PACKAGES="${SYSTEM_SITE_PACKAGES:-0}"
SERVICE_USER="edge-tracker"
UNIT_DIR="/etc/systemd/system"
CONF_DIR="/etc/edge-tracker"
SRC_DIR="$(cd "$(dirname "$0")/.." && pwd)"

die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
command -v systemctl >/dev/null 2>&1 || die "systemd (systemctl) not found"

uninstall() {
    for unit in $(systemctl list-units --all --plain --no-legend 'edge-tracker@*' | awk '{print $1}'); do
        systemctl disable --now "$unit" || true
    done
    rm -f "$UNIT_DIR/edge-tracker@.service"
    systemctl daemon-reload
    rm -rf "$PREFIX"
    if id "$SERVICE_USER" >/dev/null 2>&1; then
        userdel "$SERVICE_USER"
    fi
    echo "edge-tracker removed (kept $CONF_DIR and /var/lib/edge-tracker)"
}

install() {
    camera="${1:-}"
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            --user-group "$SERVICE_USER"
    fi
    getent group video >/dev/null 2>&1 || groupadd --system video
    usermod -a -G video "$SERVICE_USER"

    if [ "$SYSTEM_SITE_PACKAGES" = "1" ]; then
        "$PYTHON" -m venv --system-site-packages "$PREFIX/venv"
    else
        "$PYTHON" -m venv "$PREFIX/venv"
    fi
    "$PREFIX/venv/bin/pip" install --quiet --upgrade pip
    "$PREFIX/venv/bin/pip" install --quiet "${SRC_DIR}[${EXTRAS}]"
    "$PREFIX/venv/bin/edge-tracker" --version

    install -d -m 0755 "$CONF_DIR"
    install -m 0644 "$SRC_DIR/deploy/config.example.yaml" "$CONF_DIR/config.example.yaml"
    install -m 0644 "$SRC_DIR/deploy/edge-tracker@.service" "$UNIT_DIR/edge-tracker@.service"
    systemctl daemon-reload

    if [ -n "$camera" ]; then
        [ -f "$CONF_DIR/$camera.yaml" ] || \
            die "$CONF_DIR/$camera.yaml missing: copy $CONF_DIR/config.example.yaml and edit it"
        "$PREFIX/venv/bin/edge-tracker" validate --no-models "$CONF_DIR/$camera.yaml"
        systemctl enable --now "edge-tracker@$camera.service"
        echo "started edge-tracker@$camera (journalctl -u edge-tracker@$camera -f)"
    else
        echo "installed; create $CONF_DIR/<camera>.yaml, then: systemctl enable --now edge-tracker@<camera>"
    fi
}

case "${1:-}" in
    --uninstall) uninstall ;;
    -h|--help) sed -n '2,14p' "$0" ;;
    *) install "${1:-}" ;;
esac
