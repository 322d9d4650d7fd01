"""The recall board as a table for reporting up the chain: CSV and XLSX, in the reader's language,
times in Beijing time. The figures are the board's (as it stood at the time asked for); nothing is
counted here."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from seaLink.domain.recall_judge import FLAGS, LINES
from seaLink.services.training import csv_cell
from seaLink.texts import beijing_time, position, word

GRID_COLUMNS = ("total", *LINES, "done", "persons_aboard", "persons_ashore", *FLAGS)
BOAT_COLUMNS = (
    "grid", "vessel_id", "hull_name", "line", "flags", "source", "answer", "port", "distance_nm",
    "eta", "position", "fix_time", "fix_age", "link", "contact", "persons_aboard",
    "persons_ashore", "done",
)  # fmt: skip


def _col(key: str, lang: str) -> str:
    return word("recall_col", key, lang)


def _time(iso: str | None) -> str:
    return beijing_time(datetime.fromisoformat(iso)) if iso else ""


def heading(board: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """What the report is of: the order, its deadline and shelter, the time it stood at."""
    return [
        (_col("title", lang).format(id=board["broadcast_id"]), ""),
        (_col("as_of", lang), _time(board["at"])),
        (_col("deadline", lang), _time(board["deadline"])),
        (_col("shelter", lang), board.get("shelter") or ""),
        (_col("complete_at", lang), _time(board.get("complete_at"))),
    ]


def grid_rows(board: dict[str, Any], lang: str) -> list[list[Any]]:
    head = [_col("grid", lang), *(word("recall_line", k, lang) for k in GRID_COLUMNS)]
    rows = [[g["grid_id"], *(g.get(k, 0) for k in GRID_COLUMNS)] for g in board["grids"]]
    rows.append([_col("all", lang), *(board["total"].get(k, 0) for k in GRID_COLUMNS)])
    return [head, *rows]


def boat_rows(board: dict[str, Any], lang: str) -> list[list[Any]]:
    yes, no = _col("yes", lang), _col("no", lang)
    out: list[list[Any]] = [[_col(k, lang) for k in BOAT_COLUMNS]]
    for v in board["vessels"]:
        age = v.get("fix_age_s")
        out.append([
            v["grid_id"], v["vessel_id"], v["hull_name"], word("recall_line", v["line"], lang),
            "、".join(word("recall_line", f, lang) for f in v["flags"]),
            word("recall_source", v["source"], lang),
            word("recall_answer", v["answer"] or "none", lang), v["port"] or "",
            "" if v["distance_nm"] is None else v["distance_nm"], _time(v["eta"]),
            position(v["lat"], v["lon"]) if v["lat"] is not None else "", _time(v["fix_ts"]),
            "" if age is None else round(age / 60), word("link", v["link"], lang) if v["link"] else "",
            v["contact_state"] or "", v["persons_aboard"],
            "" if v["persons_ashore"] is None else v["persons_ashore"], yes if v["done"] else no,
        ])  # fmt: skip
    return out


def to_csv(board: dict[str, Any], lang: str) -> str:
    """The summary per grid, a blank line, then one line per boat. With a BOM: Excel on a
    Chinese Windows reads UTF-8 only so."""
    out = io.StringIO()
    w = csv.writer(out)
    for label, value in heading(board, lang):
        w.writerow([label, value])
    w.writerow([])
    for row in grid_rows(board, lang):
        w.writerow([csv_cell(c) for c in row])
    w.writerow([])
    for row in boat_rows(board, lang):
        w.writerow([csv_cell(c) for c in row])
    return "\ufeff" + out.getvalue()


def to_xlsx(board: dict[str, Any], lang: str) -> bytes:
    """Two sheets: the summary (heading and the grids' lines) and the boats."""
    from openpyxl import Workbook  # imported here: only an export needs it
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = _col("summary", lang)
    for label, value in heading(board, lang):
        summary.append([label, value])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append([])
    first = summary.max_row + 1
    for row in grid_rows(board, lang):
        summary.append([csv_cell(c) for c in row])
    for cell in summary[first]:
        cell.font = Font(bold=True)
    boats = wb.create_sheet(_col("boats", lang))
    for row in boat_rows(board, lang):
        boats.append([csv_cell(c) for c in row])
    for cell in boats[1]:
        cell.font = Font(bold=True)
    boats.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
