"""``edge-tracker cameras``: what this machine can capture from.

Lists V4L2 devices with their formats, Picamera2 cameras (when the module is present),
whether GStreamer (PyGObject + Gst) is usable and which key elements exist, and the
OpenCV video back-ends. What is absent is reported as such; ``--json`` prints the
same as one JSON object.
"""

from __future__ import annotations

import json


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("cameras", help="list cameras and capture back-ends available "
                                              "here (V4L2, Picamera2, GStreamer)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=main)


def _text(report: dict) -> str:
    out = []
    v = report["v4l2"]
    out.append("V4L2 cameras:")
    if not v["devices"]:
        out.append(f"  none ({v['note']})")
    for d in v["devices"]:
        kind = {True: "capture", False: "not a capture device", None: "?"}[d["capture"]]
        out.append(f"  {d['path']}  {d['name']}  [{kind}]"
                   + (f"  error: {d['error']}" if d["error"] else ""))
        for f in d["formats"]:
            sizes = ", ".join(f["sizes"]) or "sizes not listed"
            out.append(f"    {f['fourcc']:<4} {f['description']}: {sizes}")
    p = report["picamera2"]
    out.append("Picamera2 (libcamera) cameras:")
    if not p["cameras"]:
        out.append(f"  none ({p['note']})")
    for c in p["cameras"]:
        details = ", ".join(f"{k}={v}" for k, v in c.items() if k != "camera")
        out.append(f"  camera {c['camera']}: {details}")
    g = report["gstreamer"]
    out.append("GStreamer (PyGObject):")
    if g["version"]:
        out.append(f"  {g['version']}: {'usable' if g['available'] else 'NOT usable'}"
                   + (f" ({g['note']})" if g["note"] else ""))
        present = [k for k, ok in g["elements"].items() if ok]
        missing = [k for k, ok in g["elements"].items() if not ok]
        out.append(f"  elements present: {', '.join(present) or 'none'}")
        out.append(f"  elements absent:  {', '.join(missing) or 'none'}")
    else:
        out.append(f"  absent ({g['note']})")
    o = report["opencv"]
    if o["available"]:
        flags = ", ".join(f"{k}={'yes' if o[k] else 'no'}" for k in ("ffmpeg", "v4l2",
                                                                     "gstreamer"))
        out.append(f"OpenCV {o['version']}: {flags}")
    else:
        out.append(f"OpenCV: absent ({o['note']})")
    return "\n".join(out)


def main(args) -> int:
    from ..sources.probe import probe_all

    report = probe_all()
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(_text(report))
    return 0
