#!/usr/bin/python3
"""xlsx_dump.py -- the independent reader the report tests compare against.

Reads a workbook with openpyxl (Debian python3-openpyxl; run it with
/usr/bin/python3) and prints one JSON document on stdout:

  {"sheets": [names in order],
   "properties": {"title", "subject", "creator", "keywords", "description"},
   "sheet": {NAME: {"freeze": "A2" | null, "autofilter": "A1:C9" | null,
                    "tables": [{"name", "ref"}], "charts": ["LineChart", ...],
                    "chart_series": [[{"name", "cat", "val"}, ...] per chart],
                    "cond_formats": [ranges], "widths": {"A": 12.7, ...},
                    "max_row": N, "max_column": N,
                    "rows": [[{"t": type, "v": value, "fmt": number format,
                               "bold": bool, "link": hyperlink target}]]}}}

t is openpyxl's data type: n number, s string, b boolean, d date, f formula,
e error; null cells are {"t": "null"}.  A chart series' cat and val are the
formulas of the cells it plots ("Charts!$A$3:$A$23"), its name the formula
of the cell holding it or the literal text.  Dates are ISO strings.  With
--max-rows N only the first N rows of each sheet are listed (the counts stay
exact), so a million-row file can be checked without a huge JSON.
"""
import datetime
import json
import sys

import openpyxl


def cell_json(c):
    if c.value is None:
        return {"t": "null"}
    v = c.value
    t = c.data_type
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        v = v.isoformat()
        t = "d"
    out = {"t": t, "v": v, "fmt": c.number_format}
    if c.font is not None and c.font.b:
        out["bold"] = True
    if c.hyperlink is not None:
        out["link"] = c.hyperlink.target
    return out


def ref_of(ds):
    """The cell-range formula behind a chart data source, or None."""
    if ds is None:
        return None
    for attr in ("numRef", "strRef", "multiLvlStrRef"):
        r = getattr(ds, attr, None)
        if r is not None and r.f:
            return r.f
    return None


def series_json(s):
    name = None
    if s.tx is not None:
        name = s.tx.strRef.f if s.tx.strRef is not None else s.tx.v
    return {"name": name, "cat": ref_of(s.cat), "val": ref_of(s.val)}


def main():
    path = sys.argv[1]
    max_rows = None
    if len(sys.argv) > 3 and sys.argv[2] == "--max-rows":
        max_rows = int(sys.argv[3])
    wb = openpyxl.load_workbook(path)
    p = wb.properties
    doc = {
        "sheets": wb.sheetnames,
        "properties": {"title": p.title, "subject": p.subject, "creator": p.creator,
                       "keywords": p.keywords, "description": p.description},
        "sheet": {},
    }
    for ws in wb.worksheets:
        rows = []
        for i, row in enumerate(ws.iter_rows()):
            if max_rows is not None and i >= max_rows:
                break
            rows.append([cell_json(c) for c in row])
        doc["sheet"][ws.title] = {
            "freeze": ws.freeze_panes,
            "autofilter": ws.auto_filter.ref,
            "tables": [{"name": t.name, "ref": t.ref} for t in ws.tables.values()],
            "charts": [type(ch).__name__ for ch in ws._charts],
            "chart_series": [[series_json(x) for x in ch.series] for ch in ws._charts],
            "cond_formats": [str(cf.sqref) for cf in ws.conditional_formatting],
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "max_row": ws.max_row,
            "max_column": ws.max_column,
            "rows": rows,
        }
    json.dump(doc, sys.stdout, default=str)


if __name__ == "__main__":
    main()
