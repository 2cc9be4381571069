"""Writing a benchmark's figures into bench/README.md between its `<!-- name:db -->` markers."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def update_readme(marker: str, block: str, heading: str = "") -> None:
    """Replace the text between the markers, or append them (after `heading`) when a bench first reports."""
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    current = README.read_text() if README.exists() else "# Benchmarks\n"
    section = f"{start}\n{block}\n{end}"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        _old, after = rest.split(end, 1)
        current = before + section + after
    else:
        current = current.rstrip("\n") + "\n\n" + (f"{heading}\n\n" if heading else "") + section + "\n"
    README.write_text(current)
