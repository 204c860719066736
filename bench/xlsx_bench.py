#!/usr/bin/python3
"""xlsx_bench.py -- the peer side of bench/xlsx_bench.sh: the same sheet as
bench/xlsx_bench.c written by Python XlsxWriter (Debian python3-xlsxwriter)
in its constant_memory mode; prints "WALL CPU": elapsed and process CPU
seconds from Workbook() to close().

  /usr/bin/python3 bench/xlsx_bench.py OUT.xlsx ROWS
"""
import datetime
import sys
import time

import xlsxwriter


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    t0, c0 = time.monotonic(), time.process_time()
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    ws = wb.add_worksheet("Result")
    bold = wb.add_format({"bold": True})
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(["id", "a", "b", "c", "d", "s1", "s2", "s3", "d1", "d2"]):
        ws.write_string(0, c, h, bold)
    for r in range(1, rows + 1):
        ws.write_number(r, 0, r)
        for c in range(1, 5):
            ws.write_number(r, c, r * c * 0.25)
        for c in range(5, 8):
            ws.write_string(r, c, "row %d col %d" % (r, c))
        for c in range(8, 10):
            ws.write_datetime(r, c, datetime.datetime(2020 + r % 5, 1 + r % 12, 1 + r % 28), date)
    ws.autofilter(0, 0, rows, 9)
    wb.close()
    print("%.4f %.4f" % (time.monotonic() - t0, time.process_time() - c0))


if __name__ == "__main__":
    main()
