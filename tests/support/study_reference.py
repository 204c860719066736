#!/usr/bin/python3
"""study_reference.py -- an independent event study with statsmodels, numpy
and scipy, used to produce the expected values tests/test_study_*.c compare
the C engine with.  It shares no code with analytics/estudy_*.c: OLS is
statsmodels', (X'X)^-1 is statsmodels' normalized_cov_params, ranks are
scipy.stats.rankdata, the residual cross-correlation is numpy.corrcoef over
each event date's residual matrix (the C code uses a sum-of-unit-vectors
identity; pairs with different dates count as 0),
the t and normal tails are scipy's.

usage: /usr/bin/python3 tests/support/study_reference.py PRICES EVENTS OUT
  PRICES  long CSV date,ticker,adj_close[,close]
  EVENTS  ticker,event_date,sector,shares
  OUT     CSV: kind,key,window_start,window_end,name,value
Settings are the engine's defaults: market SPY, simple returns from
adj_close, estimation [-250,-11], windows [0,0] [-1,1] [-5,5] [0,10].
"""
import sys
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

EST = (-250, -11)
WINS = [(0, 0), (-1, 1), (-5, 5), (0, 10)]
LO, HI = min(w[0] for w in WINS), max(w[1] for w in WINS)


def main(prices, events, out):
    px = pd.read_csv(prices)
    adj = px.pivot(index='date', columns='ticker', values='adj_close').sort_index()
    close = px.pivot(index='date', columns='ticker', values='close').sort_index()
    ret = adj / adj.shift(1) - 1.0
    dates = list(ret.index)
    ev = pd.read_csv(events)
    rows = []
    firms = []
    for _, e in ev.iterrows():
        t0 = dates.index(e.event_date)
        est = ret.iloc[t0 + EST[0]: t0 + EST[1] + 1]
        y, x = est[e.ticker].values, est['SPY'].values
        fit = sm.OLS(y, sm.add_constant(x)).fit()
        a, b = fit.params
        s2 = fit.scale                  # ssr / (n - 2)
        V = fit.normalized_cov_params   # (X'X)^-1
        span = ret.iloc[t0 + LO: t0 + HI + 1]
        ar = span[e.ticker].values - (a + b * span['SPY'].values)
        key = f"{e.ticker}@{e.event_date}"
        rows += [('firm', key, 0, 0, 'alpha', a), ('firm', key, 0, 0, 'beta', b),
                 ('firm', key, 0, 0, 'sigma2', s2)]
        for d in range(len(ar)):
            rows.append(('ar', key, LO + d, LO + d, 'ar', ar[d]))
        res = {'key': key, 'sector': e.sector, 't0': t0, 'resid': fit.resid,
               'ar': ar, 'df': len(y) - 2,
               'pos': np.mean(fit.resid > 0), 'car': {}, 'scar': {}}
        for (w0, w1) in WINS:
            sl = slice(w0 - LO, w1 - LO + 1)
            L = w1 - w0 + 1
            s = np.array([L, span['SPY'].values[sl].sum()])
            var = s2 * (L + s @ V @ s)
            car = ar[sl].sum()
            t = car / np.sqrt(var)
            rn = (span[e.ticker].values - ar)[sl]
            bhar = np.prod(1 + span[e.ticker].values[sl]) - np.prod(1 + rn)
            mv = e.shares * (close[e.ticker].iloc[t0 + w1] - close[e.ticker].iloc[t0 + w0 - 1]) / 1e9
            for n_, v in (('car', car), ('car_sd', np.sqrt(var)), ('car_t', t),
                          ('car_p', 2 * stats.t.sf(abs(t), len(y) - 2)), ('bhar', bhar),
                          ('mv_change_bn', mv)):
                rows.append(('window', key, w0, w1, n_, v))
            res['car'][(w0, w1)] = car
            res['scar'][(w0, w1)] = t
        firms.append(res)

    groups = {'all': firms}
    days = sorted({f['key'].split('@')[1] for f in firms})
    if len(days) > 1:
        for d in days:
            groups['event:' + d] = [f for f in firms if f['key'].endswith(d)]
    for s in sorted({f['sector'] for f in firms}):
        groups['sector:' + s] = [f for f in firms if f['sector'] == s]
    for g, mem in groups.items():
        n = len(mem)
        if n > 1:
            # Kolari & Pynnonen (2010): the mean of the n(n-1) off-diagonal
            # residual correlations, pairs of firm-events with different day 0
            # counted as 0 (their residuals are different calendar days)
            num = 0.0
            for d in sorted({f['key'].split('@')[1] for f in mem}):
                blk = [f['resid'] for f in mem if f['key'].endswith(d)]
                if len(blk) > 1:
                    C = np.corrcoef(np.array(blk))
                    num += C.sum() - len(blk)
            rbar = num / (n * (n - 1))
        else:
            rbar = np.nan
        rows.append(('group', g, 0, 0, 'rbar', rbar))
        # Corrado ranks over estimation + event span, per firm
        U = []
        for f in mem:
            v = np.concatenate([f['resid'], f['ar']])
            U.append(stats.rankdata(v) / (len(v) + 1) - 0.5)
        Ubar = np.mean(np.array(U), axis=0)
        SU = np.sqrt(np.mean(Ubar ** 2))
        L1 = len(mem[0]['resid'])
        for (w0, w1) in WINS:
            cars = np.array([f['car'][(w0, w1)] for f in mem])
            scars = np.array([f['scar'][(w0, w1)] for f in mem])
            dfs = np.array([f['df'] for f in mem])
            out_ = {'estimate': cars.mean()}
            if n > 1:
                out_['csect_t'] = stats.ttest_1samp(cars, 0.0)
                bmp = stats.ttest_1samp(scars, 0.0)
                out_['bmp'] = bmp
                adj = np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
                out_['kp_bmp'] = (bmp.statistic * adj, 2 * stats.t.sf(abs(bmp.statistic * adj), n - 1))
            z = scars.sum() / np.sqrt(np.sum(dfs / (dfs - 2.0)))
            out_['patell'] = (z, 2 * stats.norm.sf(abs(z)))
            if n > 1:
                out_['kp_patell'] = (z * adj, 2 * stats.norm.sf(abs(z * adj)))
            sl = slice(L1 + w0 - LO, L1 + w1 - LO + 1)
            tr = Ubar[sl].sum() / (np.sqrt(w1 - w0 + 1) * SU)
            out_['corrado_rank'] = (tr, 2 * stats.norm.sf(abs(tr)))
            ph = np.mean([f['pos'] for f in mem])
            gz = ((cars > 0).sum() - n * ph) / np.sqrt(n * ph * (1 - ph))
            out_['gen_sign'] = (gz, 2 * stats.norm.sf(abs(gz)))
            wx = stats.wilcoxon(cars, correction=False, mode='approx')
            out_['wilcoxon'] = (np.nan, wx.pvalue)
            rows.append(('test', g, w0, w1, 'estimate', out_['estimate']))
            for name, val in out_.items():
                if name == 'estimate':
                    continue
                st, p = val[0], val[1]
                rows.append(('test', g, w0, w1, name + '.stat', st))
                rows.append(('test', g, w0, w1, name + '.p', p))
    pd.DataFrame(rows, columns=['kind', 'key', 'window_start', 'window_end', 'name',
                                'value']).to_csv(out, index=False, float_format='%.12g')


if __name__ == '__main__':
    main(*sys.argv[1:4])
