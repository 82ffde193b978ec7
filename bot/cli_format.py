"""Command-line output people read: Chinese words, columns aligned by display width, names beside ids.

``--json`` output stays English and stable for scripts; everything here is for eyes.
"""

from __future__ import annotations

from wcwidth import wcswidth


def width(text: str) -> int:
    w = wcswidth(text)
    return w if w >= 0 else len(text)


def pad(text: str, cells: int) -> str:
    """``text`` left-aligned in ``cells`` terminal columns (a Chinese character takes two)."""
    return text + " " * max(0, cells - width(text))


def clip(text: str, cells: int) -> str:
    """At most ``cells`` columns, with "…" when cut."""
    if width(text) <= cells:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > cells - 1:
            break
        out += ch
    return out + "…"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns as wide as their widest cell (display width); the last column is not padded."""
    widths = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    for row in [headers, *rows]:
        cells = [pad(c, widths[i]) if i < len(row) - 1 else c for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def named(userid: str | None, names: dict[str, str]) -> str:
    """"张伟（zhangwei）" — a name beside its id; "-" for nobody."""
    if not userid:
        return "-"
    name = names.get(userid)
    return f"{name}（{userid}）" if name else userid
