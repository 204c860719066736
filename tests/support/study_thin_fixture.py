#!/usr/bin/python3
"""study_thin_fixture.py -- makes thinly traded-looking price series out of
real ones, for tests/test_study_beta.c.  Writes
tests/fixtures/study/thin_prices.csv from deepseek_prices.csv (real adjusted
closes, see test_study_reference.c).

usage: /usr/bin/python3 study_thin_fixture.py IN.csv OUT.csv

Kept as they are: SPY, MU, VST.  Added: MU_THIN and VST_THIN, the same
closes made stale the way a stock that does not trade every day reports
them: on day i (0-based over the file's dates, i >= 1) with
(37 i) mod 100 < 35 the close is the previous reported close (no trade: a
zero return, the move lumped into the next trade's return), and with
(53 i) mod 100 < 4 there is no row at all (a gap: a missing return, the
next one spans the gap).  Deterministic, about 35 % stale days and 4 %
gaps.  Columns date,ticker,adj_close,close (close = adj_close for the
added series: they get no market value).
"""
import csv
import sys


def main(src, dst):
    rows = list(csv.DictReader(open(src)))
    keep = {'SPY', 'MU', 'VST'}
    dates = sorted({r['date'] for r in rows})
    out = [r for r in rows if r['ticker'] in keep]
    for base in ('MU', 'VST'):
        px = {r['date']: r['adj_close'] for r in rows if r['ticker'] == base}
        last = None
        for i, d in enumerate(dates):
            if d not in px:
                continue
            if i >= 1 and (53 * i) % 100 < 4:
                continue
            p = last if (i >= 1 and (37 * i) % 100 < 35 and last) else px[d]
            last = p
            out.append({'date': d, 'ticker': base + '_THIN', 'adj_close': p, 'close': p})
    out.sort(key=lambda r: (r['ticker'], r['date']))
    with open(dst, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['date', 'ticker', 'adj_close', 'close'],
                           lineterminator='\n')
        w.writeheader()
        w.writerows(out)


if __name__ == '__main__':
    main(*sys.argv[1:])
