"""Write the tool reference (every option of every tool, on both faces) from the catalogue.

    python scripts/reference.py            # rewrite the generated block of docs/reference.md
    python scripts/reference.py --check    # exit 1 when docs/reference.md is out of date

The options are declared once (the tools' Options models); this keeps the documentation of
the CLI flags and the MCP parameters true by generating it from the same declaration.
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "reference.md"
START, END = "<!-- generated: scripts/reference.py -->", "<!-- /generated -->"


def _type(annotation) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("NoneType", "null").replace("|", "\\|")


def _default(info) -> str:
    if info.default_factory is not None:
        value = info.default_factory()
        return ", ".join(value) if value else "—"
    return "—" if info.default in (None, "") else f"`{info.default}`"


def _bounds(info, mcp_param) -> tuple[str, str]:
    def text(meta_items) -> str:
        parts = []
        for meta in meta_items:
            for key, sign in (
                ("ge", "≥"),
                ("gt", ">"),
                ("le", "≤"),
                ("lt", "<"),
                ("max_length", "items ≤"),
            ):
                if getattr(meta, key, None) is not None:
                    value = getattr(meta, key)
                    shown = f"{value:,}" if float(value).is_integer() else f"{value:g}"
                    parts.append(f"{sign} {shown.removesuffix('.0')}")
        return ", ".join(parts)

    cli = text(info.metadata)
    if mcp_param is None:
        return cli, "(CLI only)"
    fields = typing.get_args(mcp_param.annotation)[1:]
    return cli, text([m for f in fields for m in getattr(f, "metadata", [])])


def generate() -> str:
    from sre_latency.server.tools import parameters
    from sre_latency.tools import CATALOGUE
    from sre_latency.tools.options import face_of, fields_for, option_label

    out = [START, ""]
    for spec in CATALOGUE:
        module = spec.module
        options = module.OPTIONS
        faces = " and ".join(f"`{spec.command}`" if f == "cli" else f"MCP `{spec.name}`"
                             for f in spec.faces)  # fmt: skip
        out += [f"### {spec.title} — {faces}", "", module.DESCRIPTION.replace("\n", " "), ""]
        out += ["| option | CLI | type | default | bounds (CLI) | bounds (MCP) | description |",
                "|---|---|---|---|---|---|---|"]  # fmt: skip
        mcp = {p.name: p for p in parameters(options)} if "mcp" in spec.faces else {}
        for name in sorted(options.model_fields, key=lambda n: n.startswith("emulator_")):
            info = options.model_fields[name]
            face = face_of(options, name)
            on_cli = "cli" in spec.faces and name in fields_for(options, "cli")
            flag = option_label(name, "cli", options) if on_cli else "(MCP only)"
            if on_cli and face.flags and not face.positional:
                flag = (
                    ", ".join([*face.flags, option_label(name, "cli")])
                    if f"-{name}" not in face.flags
                    else face.flags[0]
                )
            cli_bounds, mcp_bounds = _bounds(info, mcp.get(name) if "mcp" in spec.faces else None)
            if "mcp" not in spec.faces:
                mcp_bounds = "—"
            why = f" (only on the {face.only} face: {face.why_only})" if face.only else ""
            out.append(f"| `{name}` | `{flag}` | {_type(info.annotation)} | {_default(info)} | "
                       f"{cli_bounds} | {mcp_bounds} | {info.description}{why} |")  # fmt: skip
        if spec.long_run:
            out.append("| `max_seconds` | (MCP only) | float | `45.0` | — | ≥ 0, ≤ 3600 | answer "
                       "after at most this many seconds; the run goes on in the server |")  # fmt: skip
        out.append("")
    return "\n".join([*out, END])


def main() -> int:
    text = DOC.read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = head + generate() + tail
    if "--check" in sys.argv:
        if new != text:
            print(f"{DOC} is out of date: run python scripts/reference.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
