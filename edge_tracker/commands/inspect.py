"""``edge-tracker inspect MODEL``: tensors, quantization, metadata and the decoder chosen."""

from __future__ import annotations

import argparse
import json

DECODER_TYPES = ("auto", "ssd", "yolox", "yolov8", "centernet")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("inspect", help="show a model's tensors and the decoder chosen",
                              description="Print a TFLite model's inputs, outputs, "
                                          "quantization, metadata and the decoder and "
                                          "preprocessing the detector would use.")
    p.add_argument("model", help="path of a .tflite model")
    p.add_argument("--type", default="auto", choices=DECODER_TYPES,
                   help="decoder type to check (default: auto-detect)")
    p.add_argument("--labels", default=None, help="label file (default: metadata or COCO)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(func=main)


def _tensor(t) -> dict:
    d = {"name": t.name, "index": t.index, "shape": list(t.shape), "dtype": t.dtype.name}
    if t.quantized:
        d["quantization"] = {"scale": t.scale, "zero_point": t.zero_point}
    return d


def _fmt(d: dict) -> str:
    q = d.get("quantization")
    qs = f"  quant scale {q['scale']:.6g} zero {q['zero_point']}" if q else "  float"
    return f"  {d['name'] or '?'}  {d['shape']}  {d['dtype']}{qs}"


def main(args: argparse.Namespace) -> int:
    from ..detect.detector import Detector, DetectorConfig
    from ..errors import EdgeTrackerError
    from ..runtime.interpreter import load_model, runtime_name

    cfg = DetectorConfig(model=args.model, type=args.type, labels=args.labels, classes=())
    model = load_model(args.model)
    report = {"model": args.model, "runtime": runtime_name(),
              "inputs": [_tensor(t) for t in model.inputs],
              "outputs": [_tensor(t) for t in model.outputs], "metadata": model.metadata}
    error = None
    try:
        report["detector"] = Detector.from_model(model, cfg).describe()
    except EdgeTrackerError as exc:
        error = exc
        report["error"] = str(exc)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(f"model:   {args.model}\nruntime: {report['runtime']}")
        print("inputs:")
        print("\n".join(_fmt(d) for d in report["inputs"]))
        print("outputs:")
        print("\n".join(_fmt(d) for d in report["outputs"]))
        print(f"metadata: {json.dumps(model.metadata) if model.metadata else '(none)'}")
        if "detector" in report:
            det = dict(report["detector"])
            det.pop("model")
            print(f"decoder: {det.pop('decoder')}")
            print("preprocess: " + ", ".join(f"{k}={v}" for k, v in det.items()))
    if error is not None:
        raise error
    return 0
