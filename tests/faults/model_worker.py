"""Child process for model fuzzing: a corrupt .tflite may crash the native interpreter,
which must not take pytest down with it.

Protocol: one file path per stdin line; one JSON line per case on stdout:
{"load": "ok"|"clear"|"other", "msg": ..., "invoke": "ok"|"error"|"skipped", "invoke_msg": ...}
A crash shows as EOF on stdout (the parent restarts the worker and counts it).
"""

from __future__ import annotations

import json
import sys
import traceback


def main() -> int:
    import numpy as np

    from edge_tracker.errors import EdgeTrackerError
    from edge_tracker.runtime import load_model

    out = sys.stdout
    for line in sys.stdin:
        path = line.rstrip("\n")
        rec = {"load": "ok", "msg": "", "invoke": "skipped", "invoke_msg": ""}
        model = None
        try:
            model = load_model(path)
        except EdgeTrackerError as exc:
            rec["load"], rec["msg"] = ("clear" if str(exc).strip() else "unclear"), str(exc)
        except Exception as exc:  # noqa: BLE001 - reported to the parent as a finding
            rec["load"] = "other"
            rec["msg"] = f"{type(exc).__name__}: {exc} | " + \
                "".join(traceback.format_exception(exc)[-2:])
        if model is not None:
            # Informational: does a model that loads also run (zeros in every input)?
            try:
                for i, t in enumerate(model.inputs):
                    model.set_input(np.zeros(t.shape, t.dtype), i)
                model.invoke()
                model.get_outputs()
                rec["invoke"] = "ok"
            except Exception as exc:  # noqa: BLE001 - recorded, not raised
                rec["invoke"], rec["invoke_msg"] = "error", f"{type(exc).__name__}: {exc}"[:300]
        out.write(json.dumps(rec) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
