#!/usr/bin/python3
"""study_bench.py -- event-study throughput: `aftershock study` against a
straightforward pandas/statsmodels implementation of the same study, on the
same synthetic data, in this one script.

Universe: NFIRMS firms x NEVENTS events (every firm in every event), daily
returns r_i = 0.0002 + beta_i r_m + e_i, market model, estimation [-250,-11],
windows [0,0] [-1,1] [-5,5] [0,10], all eight group tests (aftershock).  The
aftershock time is end to end (process start, CSV parsing, output), so it
understates the engine's own speed.  The peer (per firm-event: statsmodels
OLS, CAR with the forecast-error SD, t and p) is timed on a subset of
PEER_FE firm-events and scaled per firm-event, because on the full size it
takes hours; its CARs and t statistics are compared with aftershock's.

usage: /usr/bin/python3 bench/study_bench.py [NFIRMS NEVENTS PEER_FE]
"""
import io, os, subprocess, sys, tempfile, time
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

NF = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
NE = int(sys.argv[2]) if len(sys.argv) > 2 else 50
PEER = int(sys.argv[3]) if len(sys.argv) > 3 else 500
BIN = os.environ.get('AFTERSHOCK_BIN', './aftershock')
WINS = [(0, 0), (-1, 1), (-5, 5), (0, 10)]

rng = np.random.default_rng(20250127)
T = 260 + NE * 5 + 20
dates = pd.bdate_range('2019-01-01', periods=T).strftime('%Y-%m-%d')
rm = rng.normal(0.0004, 0.011, T)
beta = rng.uniform(0.5, 1.8, NF)
R = 0.0002 + np.outer(rm, beta) + rng.normal(0, 0.02, (T, NF))
names = [f"F{i:05d}" for i in range(NF)]
ev_days = [260 + 5 * k for k in range(NE)]

tmp = tempfile.mkdtemp(prefix='study_bench.')
wide = pd.DataFrame(R, columns=names)
wide.insert(0, 'MKT', rm)
wide.insert(0, 'date', dates)
wide.to_csv(f'{tmp}/returns.csv', index=False, float_format='%.8g')
ev = pd.DataFrame([(n, dates[d]) for d in ev_days for n in names], columns=['ticker', 'event_date'])
ev.to_csv(f'{tmp}/events.csv', index=False)
nfe = len(ev)
wide = pd.read_csv(f'{tmp}/returns.csv')   # the peer reads the very same numbers
rm = wide['MKT'].values

t = time.perf_counter()
out = subprocess.run([BIN, 'study', '--returns', '--prices', f'{tmp}/returns.csv', '--events',
                      f'{tmp}/events.csv', '--market', 'MKT', '--format', 'csv'],
                     check=True, capture_output=True, text=True).stdout
c_s = time.perf_counter() - t
proc_err = subprocess.run([BIN, 'study', '--returns', '--prices', f'{tmp}/returns.csv',
                           '--events', f'{tmp}/events.csv', '--market', 'MKT', '--format',
                           'csv'], check=True, capture_output=True, text=True).stderr
eng_s = float(proc_err.split('firm-events in ')[1].split(' s')[0])
firms_txt = out.split('\n# tests\n')[0].split('# firms\n')[1]
cres = pd.read_csv(io.StringIO(firms_txt))


def peer_one(ticker, t0):
    y = wide[ticker].values
    x = rm
    est = slice(t0 - 250, t0 - 10)
    fit = sm.OLS(y[est], sm.add_constant(x[est])).fit()
    a, b = fit.params
    res = []
    for w0, w1 in WINS:
        sl = slice(t0 + w0, t0 + w1 + 1)
        ar = y[sl] - a - b * x[sl]
        s = np.array([w1 - w0 + 1, x[sl].sum()])
        var = fit.scale * ((w1 - w0 + 1) + s @ fit.normalized_cov_params @ s)
        car = ar.sum()
        tt = car / np.sqrt(var)
        res.append((ticker, dates[t0], w0, w1, car, tt, 2 * stats.t.sf(abs(tt), fit.df_resid)))
    return res


sub = ev.iloc[:PEER]
t = time.perf_counter()
peer = []
for _, e in sub.iterrows():
    peer += peer_one(e.ticker, list(dates).index(e.event_date))
p_s = time.perf_counter() - t
peer = pd.DataFrame(peer, columns=['ticker', 'event_date', 'window_start', 'window_end',
                                   'car_peer', 't_peer', 'p_peer'])
m = peer.merge(cres, on=['ticker', 'event_date', 'window_start', 'window_end'])
dcar = np.max(np.abs(m.car - m.car_peer))
dt = np.max(np.abs(m.car_t - m.t_peer))
c_rate = nfe / c_s
p_rate = PEER / p_s
print(f"study bench: {NF} firms x {NE} events = {nfe} firm-events, 250-day estimation, "
      f"4 windows, market model")
print(f"  aftershock (end to end, all 8 tests): {c_s:.2f} s = {c_rate:,.0f} firm-events/s")
print(f"  pandas/statsmodels peer on {PEER} firm-events: {p_s:.2f} s = {p_rate:,.0f} "
      f"firm-events/s (CARs and t only; scaled per firm-event)")
print(f"  aftershock engine alone: {eng_s:.3f} s = {nfe / eng_s:,.0f} firm-events/s")
print(f"  speed ratio: {c_rate / p_rate:,.0f}x end to end, {nfe / eng_s / p_rate:,.0f}x engine")
print(f"  compared {len(m)} rows: max |dCAR| = {dcar:.2e}, max |dt| = {dt:.2e}")
sys.exit(0 if len(m) == 4 * PEER and dcar < 1e-9 and dt < 1e-6 else 1)
