#!/usr/bin/python3
"""ar_check.py -- the peer computation for the workbook's abnormal returns.

  /usr/bin/python3 ar_check.py WORKBOOK.xlsx TICKER MARKET EST_START EST_END

Reads the returns the workbook says it used (sheet Data: Date, Day, one
column per ticker), fits the market model R = a + b Rm + e by OLS with
numpy's least squares (an SVD solver, unlike the engine's normal equations
through LAPACK dposv; statsmodels would give the same numbers but takes
seconds to import) over relative days
EST_START..EST_END, and prints JSON {"ar0", "t0", "n"}: the day-0 abnormal
return and its t statistic with the forecast-error corrected variance
s^2 (1 + 1/M + (Rm0 - mean Rm)^2 / sum (Rm - mean Rm)^2) (MacKinlay 1997
eq. 15 for one day), s^2 with divisor M - 2.
"""
import json
import sys

import numpy as np
import openpyxl


def main():
    path, ticker, market = sys.argv[1], sys.argv[2], sys.argv[3]
    lo, hi = int(sys.argv[4]), int(sys.argv[5])
    ws = openpyxl.load_workbook(path, read_only=True)["Data"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    ci, cm, cd = head.index(ticker), head.index(market), head.index("Day")
    est = [(r[ci], r[cm]) for r in rows[1:]
           if lo <= r[cd] <= hi and r[ci] is not None and r[cm] is not None]
    y = np.array([e[0] for e in est])
    x = np.array([e[1] for e in est])
    X = np.column_stack([np.ones_like(x), x])
    (a, b), ssr, _, _ = np.linalg.lstsq(X, y, rcond=None)
    day0 = [r for r in rows[1:] if r[cd] == 0][0]
    ar0 = day0[ci] - (a + b * day0[cm])
    m = len(y)
    s2 = ssr[0] / (m - 2)
    var = s2 * (1 + 1 / m + (day0[cm] - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    json.dump({"ar0": ar0, "t0": ar0 / var ** 0.5, "n": m}, sys.stdout)


if __name__ == "__main__":
    main()
