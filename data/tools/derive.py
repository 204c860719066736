#!/usr/bin/python3
"""derive.py -- regenerate the derived files of data/ from ../shared/data.

What it writes (and nothing else):
  data/prices/<FILE>.csv   one Yahoo/yfinance-layout CSV per ticker
                           (Date,Open,High,Low,Close,Adj Close,Volume), values
                           copied as text from the shared long panel
  data/prices/SOURCES.csv  ticker,basis,source_file,file for each ticker
  data/news/deepseek-2025-01.rss   RSS 2.0 feed (wire and newsroom items)
  data/news/deepseek-2025-01.json  NewsAPI /v2/everything answer (the rest)

What it is not: it does not touch securities.csv or shares_outstanding.csv
(those are curated by hand from filings, see data/README.md), and it never
changes a price value: every number is the panel's text.  Output is
deterministic (same input, same bytes), so `git diff` after a re-run shows
whether anything changed.  Each file is written to a temporary name in the
same folder and renamed, so an interrupted run leaves no half-written file.

Usage (from the repository root):
    /usr/bin/python3 data/tools/derive.py [SHARED_DATA_DIR]
SHARED_DATA_DIR defaults to $AS_SHARED_DIR/data, else ../shared/data.
Only the Python standard library is used.
"""
import csv
import datetime
import email.utils
import io
import json
import os
import re
import sys
import xml.sax.saxutils as sax
from urllib.parse import urlsplit

PANEL = "prices/panel/deepseek_panel_ohlcv_2023-01-03_2025-06-30.csv"
NEWS = "news/deepseek_headlines_2025-01.csv"

# Ticker order used in every listing: the 15 stocks, then the market proxies.
TICKERS = ["NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "MSFT", "GOOGL", "META",
           "AMZN", "ORCL", "VST", "CEG", "SMCI", "ARM",
           "SPY", "QQQ", "SOXX", "SMH", "XLK", "XLU", "^GSPC"]

# News items from a wire service or a newsroom (Reuters, Bloomberg, CNBC,
# NBC, Yahoo Finance, Zhitong/Longbridge, Times of India, TipRanks) and the
# company's own announcement (DeepSeek, a press item) go to the RSS feed;
# blogs, videos, newsletters and aggregators go to the NewsAPI-shaped JSON.
# Each item is in exactly one file.  Keyed by URL, the deduplication key at
# ingest.
RSS_URLS = {
    "http://51haodu.com/t/Q1lISn!YWkVjaQ==",
    "https://au.investing.com/news/stock-market-news/nasdaq-futures-tumble-as-chinas-ai-push-rattles-big-tech-3641785",
    "https://www.kitco.com/news/off-the-wire/2025-01-27/nasdaq-sp-500-drop-chinas-deepseek-ai-model-hits-tech-shares",
    "https://www.reuters.com/technology/chinas-deepseek-sets-off-ai-market-rout-2025-01-27/",
    "https://www.cnbc.com/2025/01/27/nvidia-falls-10percent-in-premarket-trading-as-chinas-deepseek-triggers-global-tech-sell-off.html",
    "https://www.business-standard.com/world-news/nvidia-s-465-bn-plunge-triggered-by-deepseek-largest-in-market-history-125012701354_1.html",
    "https://logistics.maritimeprofessional.com/natural-gas-pipeline/2025/01/27/us-power-stocks-plummet-as-deepseek-raises-data-center-demand-doubts",
    "https://itiger.com/hant/news/2506585736",
    "https://web-origin.lbkrs.com/news/226314350",
    "https://web-origin.lbkrs.com/news/226419940",
    "https://web-origin.lbkrs.com/news/226415927",
    "https://timesofindia.indiatimes.com/articleshowprint/117612488.cms",
    "https://financialwisdomwave.com/2025/01/28/nvidia-loses-nearly-600-billion-in-market-value-after-chinese-ai-startup-bursts-onto-scene",
    "https://tipranks.com/news/nvidia-nvda-sets-new-record-with-589-billion-market-cap-loss",
}

# Item languages other than English, by URL (ISO 639-1).  The DeepSeek
# announcement's title is the Chinese opening sentence with an English gloss.
LANG = {"http://51haodu.com/t/Q1lISn!YWkVjaQ==": "zh"}

# Time-zone labels found in the shared list's `time` column, as UTC offsets
# in minutes.  AEDT is Australian Eastern Daylight Time (UTC+11, in force in
# January); IST is India Standard Time (UTC+5:30).
TZ_MINUTES = {"Z": 0, "AEDT": 11 * 60, "IST": 5 * 60 + 30, "(UTC+8)": 8 * 60}
TIME_RE = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?\s*(Z|AEDT|IST|\(UTC\+8\))")


class DeriveError(Exception):
    pass


def write_atomic(path, data):
    """Write bytes to path through a temporary file and a rename."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def derive_prices(shared, out_dir):
    rows = {t: [] for t in TICKERS}
    sources = {}
    with open(os.path.join(shared, PANEL), newline="", encoding="utf-8") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            t = r["ticker"]
            if t not in rows:
                raise DeriveError(f"{PANEL}: line {line}: ticker: unexpected '{t}'")
            key = (r["basis"], r["source_file"])
            if sources.setdefault(t, key) != key:
                raise DeriveError(f"{PANEL}: line {line}: source_file: {t} has two sources")
            rows[t].append([r["date"], r["open"], r["high"], r["low"],
                            r["close"], r["adj_close"], r["volume"]])
    os.makedirs(out_dir, exist_ok=True)
    listing = io.StringIO(newline="")
    lw = csv.writer(listing, lineterminator="\n")
    lw.writerow(["ticker", "basis", "source_file", "file"])
    for t in TICKERS:
        if not rows[t]:
            raise DeriveError(f"{PANEL}: ticker {t} has no rows")
        rows[t].sort()
        for a, b in zip(rows[t], rows[t][1:]):
            if a[0] == b[0]:
                raise DeriveError(f"{PANEL}: {t} {a[0]}: date given twice")
        name = t + ".csv"  # file named as the ticker, so a {ticker}.csv URL template finds every file
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"])
        w.writerows(rows[t])
        write_atomic(os.path.join(out_dir, name), buf.getvalue().encode())
        lw.writerow([t, sources[t][0], sources[t][1], name])
    write_atomic(os.path.join(out_dir, "SOURCES.csv"), listing.getvalue().encode())
    return {t: len(rows[t]) for t in TICKERS}


def published_utc(date, time, line):
    """date YYYY-MM-DD (local to the time's zone) + the shared list's time text
    -> aware UTC datetime.  An empty time means 00:00:00 UTC on that date."""
    d = datetime.date.fromisoformat(date)
    if not time:
        return datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc)
    m = TIME_RE.match(time)
    if not m:
        raise DeriveError(f"{NEWS}: line {line}: time: cannot read '{time}'")
    local = datetime.datetime(d.year, d.month, d.day, int(m.group(1)),
                              int(m.group(2)), int(m.group(3) or 0))
    utc = local - datetime.timedelta(minutes=TZ_MINUTES[m.group(4)])
    return utc.replace(tzinfo=datetime.timezone.utc)


def read_news(shared):
    items = []
    with open(os.path.join(shared, NEWS), newline="", encoding="utf-8") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            for field in ("date", "source", "headline", "url"):
                if not r[field].strip():
                    raise DeriveError(f"{NEWS}: line {line}: {field}: empty")
            r["published"] = published_utc(r["date"], r["time"].strip(), line)
            items.append(r)
    urls = [r["url"] for r in items]
    if len(set(urls)) != len(urls):
        raise DeriveError(f"{NEWS}: a URL is listed twice")
    missing = RSS_URLS - set(urls)
    if missing:
        raise DeriveError(f"{NEWS}: RSS_URLS names URLs not in the list: {sorted(missing)}")
    items.sort(key=lambda r: (r["published"], r["url"]))
    return items


def origin(url):
    u = urlsplit(url)
    return f"{u.scheme}://{u.netloc}/"


def build_rss(items):
    e = sax.escape
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">',
           "<channel>",
           "<title>Aftershock demo: DeepSeek shock, January 2025 (wire and newsroom items)</title>",
           # No web page corresponds to this hand-assembled feed, so the
           # channel link is a URN naming it rather than an invented URL.
           "<link>urn:aftershock:demo:deepseek-2025-01</link>",
           "<description>Real headlines about DeepSeek-R1 and the 2025-01-27 "
           "AI-stock sell-off, from the curated list in shared/data/news "
           "(see data/README.md). Times without a published clock time are "
           "00:00:00 GMT on the item's date.</description>",
           "<language>en</language>"]
    for r in items:
        out.append("<item>")
        out.append(f"<title>{e(r['headline'])}</title>")
        out.append(f"<link>{e(r['url'])}</link>")
        out.append(f'<guid isPermaLink="true">{e(r["url"])}</guid>')
        out.append(f"<pubDate>{email.utils.format_datetime(r['published'], usegmt=True)}</pubDate>")
        if r["key_numbers"].strip():
            out.append(f"<description>{e(r['key_numbers'].strip())}</description>")
        out.append(f'<source url="{e(origin(r["url"]), {chr(34): "&quot;"})}">{e(r["source"])}</source>')
        if r["url"] in LANG:
            out.append(f"<dc:language>{LANG[r['url']]}</dc:language>")
        out.append("</item>")
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out).encode()


def build_newsapi(items):
    arts = []
    for r in items:
        arts.append({
            "source": {"id": None, "name": r["source"]},
            "author": None,
            "title": r["headline"],
            "description": r["key_numbers"].strip() or None,
            "url": r["url"],
            "urlToImage": None,
            "publishedAt": r["published"].strftime("%Y-%m-%dT%H:%M:%SZ"),
            "content": None,
        })
    doc = {"status": "ok", "totalResults": len(arts), "articles": arts}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()


def main(argv):
    if len(argv) > 2:
        sys.stderr.write("usage: derive.py [SHARED_DATA_DIR]\n")
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.dirname(here)
    default = os.path.join(os.environ["AS_SHARED_DIR"], "data") if os.environ.get("AS_SHARED_DIR") \
        else os.path.join(data, "..", "..", "shared", "data")
    shared = argv[1] if len(argv) == 2 else default
    try:
        counts = derive_prices(shared, os.path.join(data, "prices"))
        items = read_news(shared)
        rss = [r for r in items if r["url"] in RSS_URLS]
        js = [r for r in items if r["url"] not in RSS_URLS]
        os.makedirs(os.path.join(data, "news"), exist_ok=True)
        write_atomic(os.path.join(data, "news", "deepseek-2025-01.rss"), build_rss(rss))
        write_atomic(os.path.join(data, "news", "deepseek-2025-01.json"), build_newsapi(js))
    except (OSError, DeriveError, ValueError, KeyError) as err:
        sys.stderr.write(f"derive.py: {err}\n")
        return 1
    print("prices: " + " ".join(f"{t}={n}" for t, n in counts.items()))
    print(f"news: {len(rss)} items in RSS, {len(js)} in NewsAPI JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
