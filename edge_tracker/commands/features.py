"""``edge-tracker features MODEL``: list a model's intermediate 4-D tensors (name, shape)
to choose the teacher feature map for distillation (``distill --teacher-feature NAME``)."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("features", help="list a TFLite model's feature-map tensors",
                              description=__doc__)
    p.add_argument("model", help="a .tflite file")
    p.add_argument("--grep", default=None, help="only names containing this text")
    p.set_defaults(func=main)


def main(args) -> int:
    from ..distill.teacher_features import list_feature_tensors, open_teacher

    model = open_teacher(args.model)
    rows = list_feature_tensors(model)
    for f in rows:
        if args.grep and args.grep not in f.name:
            continue
        print(f"{f.index:5d}  {list(f.shape)!s:22s} {f.dtype:8s} {f.name}")
    return 0
