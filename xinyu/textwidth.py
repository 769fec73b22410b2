"""Padding for terminal tables where a Chinese character takes two columns."""

import unicodedata


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
