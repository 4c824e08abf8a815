"""Bring deploy/config.example.yaml in line with the code's config defaults.

    .venv/bin/python deploy/sync_config_example.py [--check]

Every key line keeps its comment; its value is rewritten to the current default unless
the line's comment contains ``# example`` (a deliberate example value). Keys the code
no longer has are removed; keys the example lacks are appended to their section with a
``TODO`` comment (write a real one). ``--check`` only reports (exit 1 if out of date).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from edge_tracker.config import AppConfig
from edge_tracker.configbase import to_dict

EXAMPLE = Path(__file__).resolve().parent / "config.example.yaml"
KEY = re.compile(r"^(\s*)([A-Za-z_]\w*):(.*)$")


def flow(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text[:-4].strip() if text.endswith("...") else text


def same(text: str, default) -> bool:
    """The YAML value ``text`` equals ``default`` (floats to 1e-6 relative)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if isinstance(default, tuple):
        default = list(default)
    if isinstance(default, float) and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return abs(value - default) <= 1e-6 * max(1.0, abs(default))
    return value == default


def leaves(d: dict, prefix: tuple = ()) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(leaves(v, prefix + (k,)))
        else:
            out[prefix + (k,)] = v
    return out


def sync(lines: list[str], defaults: dict) -> tuple[list[str], list[str]]:
    flat = leaves(defaults)
    out, notes, stack, seen = [], [], [], set()
    section_end: dict[tuple, int] = {}
    for line in lines:
        m = KEY.match(line)
        if not m or line.lstrip().startswith("#"):
            out.append(line)
            continue
        indent, key, rest = len(m.group(1)), m.group(2), m.group(3)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = tuple(k for _, k in stack) + (key,)
        value, sep, comment = rest.partition(" #")
        if not value.strip() and path not in flat:  # a section header
            stack.append((indent, key))
            out.append(line)
            continue
        if path not in flat:
            notes.append(f"removed {'.'.join(path)} (no longer a config key)")
            continue
        seen.add(path)
        if "example" not in comment and not same(value, flat[path]):
            new = f"{m.group(1)}{key}: {flow(flat[path])}"
            if sep:
                col = len(line) - len(rest) + len(value) + 1  # where the '#' was
                new = new.ljust(max(col, len(new) + 1)) + "#" + comment
            notes.append(f"{'.'.join(path)}: {value.strip()} -> {flow(flat[path])}")
            line = new
        out.append(line)
        section_end[path[:-1]] = len(out)
    for path in sorted(set(flat) - seen, key=lambda p: -section_end.get(p[:-1], len(out))):
        at = section_end.get(path[:-1], len(out))
        pad = "  " * (len(path) - 1)
        out.insert(at, f"{pad}{path[-1]}: {flow(flat[path])}  # TODO: describe (new key)")
        notes.append(f"added {'.'.join(path)}")
    return out, notes


def main(argv: list[str]) -> int:
    lines = EXAMPLE.read_text().splitlines()
    new, notes = sync(lines, to_dict(AppConfig()))
    for n in notes:
        print(n)
    if "--check" in argv:
        return 1 if notes else 0
    EXAMPLE.write_text("\n".join(new) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
