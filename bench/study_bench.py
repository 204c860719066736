#!/usr/bin/python3
"""study_bench.py -- event-study throughput: `aftershock study` against a
straightforward pandas/statsmodels/scipy implementation of the same study,
on the same synthetic data, in this one script.

Universe: NFIRMS firms x NEVENTS events (every firm in every event), daily
returns r_i = 0.0002 + beta_i r_m + e_i, market model, estimation [-250,-11],
windows [0,0] [-1,1] [-5,5] [0,10].

Two peer scopes, both the way an analyst would write them (one statsmodels
OLS per firm-event, a dict for the date look-up, no deliberate slowness):
  car   OLS, CAR, its forecast-error SD (MacKinlay 1997 eq. 15), t and p.
  full  car + BHAR + the eight group tests aftershock reports, per group
        ("all" and one per event date), with the formulas and libraries of
        tests/support/study_reference.py (numpy.corrcoef per event date for
        the Kolari-Pynnonen correlation, scipy rankdata, ttest_1samp,
        wilcoxon).
aftershock always runs its full scope (all eight tests, BHAR, ranks), so
"aftershock vs peer car" understates the like-for-like ratio.

The peers take hours on the full size, so they run on PEER_FE firm-events
(10 firms per event date, spread over all dates) and are scaled per
firm-event.  For the full peer that scaling is generous to the peer: its
corrcoef over a date's firms is quadratic in their number.  aftershock also
runs on that same subset, and every CAR, t and group statistic is compared.

Timing: aftershock end to end (process start, CSV parsing, output) and its
engine alone (from its stderr note), RUNS runs each, medians; peers PRUNS
runs, medians.  Wall and CPU time are both reported: on a shared machine
the wall clock counts other people's work too, CPU time does not.

usage: /usr/bin/python3 bench/study_bench.py [NFIRMS NEVENTS PEER_FE RUNS PRUNS]
"""
import io, os, re, resource, subprocess, sys, tempfile, time
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

NF = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
NE = int(sys.argv[2]) if len(sys.argv) > 2 else 50
PEER = int(sys.argv[3]) if len(sys.argv) > 3 else 500
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 5
PRUNS = int(sys.argv[5]) if len(sys.argv) > 5 else 3
BIN = os.environ.get('AFTERSHOCK_BIN', './aftershock')
WINS = [(0, 0), (-1, 1), (-5, 5), (0, 10)]
LO, HI = -5, 10
TESTS = ['csect_t', 'patell', 'bmp', 'kp_patell', 'kp_bmp', 'corrado_rank', 'gen_sign',
         'wilcoxon']

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
sub = ev.iloc[::max(1, nfe // PEER)].iloc[:PEER]
sub.to_csv(f'{tmp}/events_sub.csv', index=False)
wide = pd.read_csv(f'{tmp}/returns.csv')   # the peers read the very same numbers
rm = wide['MKT'].values
date_index = {d: i for i, d in enumerate(dates)}


def aftershock(events):
    """One run: (wall, cpu, engine wall, engine cpu, stdout)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([BIN, 'study', '--returns', '--prices', f'{tmp}/returns.csv', '--events',
                        events, '--market', 'MKT', '--format', 'csv'],
                       check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    m = re.search(r'firm-events in ([0-9.]+) s \(engine; ([0-9.]+) s CPU\)', p.stderr)
    return wall, cpu, float(m.group(1)), float(m.group(2)), p.stdout


def sections(out):
    firms = out.split('\n# tests\n')[0].split('# firms\n')[1]
    tests = out.split('\n# tests\n')[1].split('\n\n')[0]
    return pd.read_csv(io.StringIO(firms)), pd.read_csv(io.StringIO(tests))


def peer_firm(ticker, t0, full):
    y = wide[ticker].values
    est = slice(t0 - 250, t0 - 10)
    fit = sm.OLS(y[est], sm.add_constant(rm[est])).fit()
    a, b = fit.params
    rows, f = [], {}
    if full:
        span = slice(t0 + LO, t0 + HI + 1)
        ar_span = y[span] - a - b * rm[span]
        f = {'resid': fit.resid, 'ar': ar_span, 'df': fit.df_resid, 't0': t0,
             'pos': np.mean(fit.resid > 0), 'car': {}, 'scar': {}}
    for w0, w1 in WINS:
        sl = slice(t0 + w0, t0 + w1 + 1)
        ar = y[sl] - a - b * rm[sl]
        s = np.array([w1 - w0 + 1, rm[sl].sum()])
        var = fit.scale * ((w1 - w0 + 1) + s @ fit.normalized_cov_params @ s)
        car = ar.sum()
        tt = car / np.sqrt(var)
        rows.append((ticker, dates[t0], w0, w1, car, tt, 2 * stats.t.sf(abs(tt), fit.df_resid)))
        if full:
            f['bhar'] = np.prod(1 + y[sl]) - np.prod(1 + y[sl] - ar)
            f['car'][(w0, w1)] = car
            f['scar'][(w0, w1)] = tt
    return rows, f


def peer_groups(groups):
    """The eight tests per group and window, as tests/support/study_reference.py."""
    rows = []
    for g, mem in groups.items():
        n = len(mem)
        # Kolari & Pynnonen (2010): mean of the n(n-1) residual correlations,
        # pairs with different event dates at 0 (README, "The event study")
        num = 0.0
        for t0 in {f['t0'] for f in mem}:
            blk = [f['resid'] for f in mem if f['t0'] == t0]
            if len(blk) > 1:
                num += np.corrcoef(np.array(blk)).sum() - len(blk)
        rbar = num / (n * (n - 1))
        adj = np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
        U = np.array([stats.rankdata(np.concatenate([f['resid'], f['ar']])) /
                      (len(f['resid']) + len(f['ar']) + 1) - 0.5 for f in mem])
        Ubar = U.mean(axis=0)
        SU = np.sqrt(np.mean(Ubar ** 2))
        L1 = len(mem[0]['resid'])
        for w0, w1 in WINS:
            cars = np.array([f['car'][(w0, w1)] for f in mem])
            scars = np.array([f['scar'][(w0, w1)] for f in mem])
            dfs = np.array([f['df'] for f in mem])
            ct = stats.ttest_1samp(cars, 0.0)
            bmp = stats.ttest_1samp(scars, 0.0)
            z = scars.sum() / np.sqrt(np.sum(dfs / (dfs - 2.0)))
            tr = Ubar[L1 + w0 - LO: L1 + w1 - LO + 1].sum() / (np.sqrt(w1 - w0 + 1) * SU)
            ph = np.mean([f['pos'] for f in mem])
            gz = ((cars > 0).sum() - n * ph) / np.sqrt(n * ph * (1 - ph))
            wx = stats.wilcoxon(cars, correction=False, mode='approx')
            res = {'csect_t': (ct.statistic, ct.pvalue), 'bmp': (bmp.statistic, bmp.pvalue),
                   'kp_bmp': (bmp.statistic * adj,
                              2 * stats.t.sf(abs(bmp.statistic * adj), n - 1)),
                   'patell': (z, 2 * stats.norm.sf(abs(z))),
                   'kp_patell': (z * adj, 2 * stats.norm.sf(abs(z * adj))),
                   'corrado_rank': (tr, 2 * stats.norm.sf(abs(tr))),
                   'gen_sign': (gz, 2 * stats.norm.sf(abs(gz))),
                   'wilcoxon': (np.nan, wx.pvalue)}   # scipy reports W: p compared
            for name, (st, p) in res.items():
                rows.append((g, name, w0, w1, cars.mean(), st, p))
    return rows


def peer(full):
    t, c = time.perf_counter(), time.process_time()
    rows, firms = [], {}
    for e in sub.itertuples():
        r, f = peer_firm(e.ticker, date_index[e.event_date], full)
        rows += r
        if full:
            firms.setdefault(e.event_date, []).append(f)
    grows = []
    if full:
        groups = {'all': [f for d in sorted(firms) for f in firms[d]]}
        if len(firms) > 1:
            for d in sorted(firms):
                groups['event:' + d] = firms[d]
        grows = peer_groups(groups)
    return time.perf_counter() - t, time.process_time() - c, rows, grows


med = np.median
runs = [aftershock(f'{tmp}/events.csv') for _ in range(RUNS)]
a_wall, a_cpu = med([r[0] for r in runs]), med([r[1] for r in runs])
e_wall, e_cpu = med([r[2] for r in runs]), med([r[3] for r in runs])
pc = [peer(False) for _ in range(PRUNS)]
pf = [peer(True) for _ in range(PRUNS)]
pc_wall, pc_cpu = med([r[0] for r in pc]), med([r[1] for r in pc])
pf_wall, pf_cpu = med([r[0] for r in pf]), med([r[1] for r in pf])

# Agreement: the full-size run's CARs on the subset, and a subset run's
# group statistics against the full peer's.
cres, _ = sections(runs[0][4])
pcar = pd.DataFrame(pc[0][2], columns=['ticker', 'event_date', 'window_start', 'window_end',
                                       'car_peer', 't_peer', 'p_peer'])
m = pcar.merge(cres, on=['ticker', 'event_date', 'window_start', 'window_end'])
dcar = np.max(np.abs(m.car - m.car_peer))
dt = np.max(np.abs(m.car_t - m.t_peer))
dp = np.max(np.abs(m.car_p - m.p_peer))
_, stests = sections(aftershock(f'{tmp}/events_sub.csv')[4])
pt = pd.DataFrame(pf[0][3], columns=['group', 'test', 'window_start', 'window_end',
                                     'estimate_peer', 'stat_peer', 'p_peer'])
mt = pt.merge(stests, on=['group', 'test', 'window_start', 'window_end'])
rel = lambda a, b: np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
dstat = np.nanmax(rel(mt.statistic, mt.stat_peer))
dpv = np.nanmax(np.abs(mt.p_value - mt.p_peer))
ngroups = mt.group.nunique()

fe = lambda s: nfe / s
pe = lambda s: PEER / s
print(f"study bench: {NF} firms x {NE} events = {nfe} firm-events, 250-day estimation, "
      f"4 windows, market model; medians of {RUNS} aftershock and {PRUNS} peer runs")
print(f"  aftershock end to end (all 8 tests): {a_wall:.2f} s wall = {fe(a_wall):,.0f} "
      f"firm-events/s; {a_cpu:.2f} s CPU = {fe(a_cpu):,.0f}/s")
print(f"  aftershock engine alone:             {e_wall:.3f} s wall = {fe(e_wall):,.0f} "
      f"firm-events/s; {e_cpu:.3f} s CPU = {fe(e_cpu):,.0f}/s")
print(f"  peer car (OLS, CAR, t, p) on {PEER}:   {pc_wall:.2f} s wall = {pe(pc_wall):,.0f} "
      f"firm-events/s; {pc_cpu:.2f} s CPU = {pe(pc_cpu):,.0f}/s")
print(f"  peer full (+BHAR, 8 tests) on {PEER}:  {pf_wall:.2f} s wall = {pe(pf_wall):,.0f} "
      f"firm-events/s; {pf_cpu:.2f} s CPU = {pe(pf_cpu):,.0f}/s")
for label, p_wall, p_cpu in (('full scope (like for like)', pf_wall, pf_cpu),
                             ('aftershock full vs peer car', pc_wall, pc_cpu)):
    print(f"  ratio, {label}: end to end {fe(a_wall) / pe(p_wall):,.0f}x wall "
          f"{fe(a_cpu) / pe(p_cpu):,.0f}x CPU; engine {fe(e_wall) / pe(p_wall):,.0f}x wall "
          f"{fe(e_cpu) / pe(p_cpu):,.0f}x CPU")
print(f"  agreement, {len(m)} firm-window rows: max |dCAR| = {dcar:.2e}, max |dt| = {dt:.2e}, "
      f"max |dp| = {dp:.2e}")
print(f"  agreement, {len(mt)} group-test rows ({ngroups} groups x 4 windows x 8 tests): "
      f"max relative d(statistic) = {dstat:.2e}, max |dp| = {dpv:.2e}")
ok = (len(m) == 4 * PEER and dcar < 1e-9 and dt < 1e-6 and dp < 1e-9 and
      len(mt) == len(pt) and dstat < 1e-6 and dpv < 1e-9)
sys.exit(0 if ok else 1)
