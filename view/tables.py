"""Plain-text result tables, printed the same way by `make demo` and the cloud
operator command line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def format_value(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e15 else f"{value:.3e}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_table(columns: list[str], rows: list[tuple], *, max_width: int = 32, max_rows: int = 20) -> str:
    """A plain-text table like the Athena console's results pane."""
    shown = rows[:max_rows]
    cells = [[format_value(v) for v in row] for row in shown]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(col)] + [len(row[i]) for row in cells]) for i, col in enumerate(columns)]

    def line(values):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    separator = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [separator, line(columns), separator, *(line(row) for row in cells), separator]
    if len(rows) > max_rows:
        out.append(f"({len(rows)} rows, first {max_rows} shown)")
    else:
        out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)
