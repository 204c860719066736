#!/usr/bin/python3
"""estudy_check.py -- Stata estudy's event study (estudy.ado 2.1.2, 16 Sep
2021; Pacicco, Vena & Venegoni, Stata Journal 18(2) 2018 and 21(1) 2021)
worked in numpy/pandas/scipy from the ado's formulas, for
tests/test_study_compat.c, which compares `aftershock study --compat estudy`
with it.  Stata is not available here; this is a second, independent
reading of the same ado (it shares no code with analytics/estudy_*.c).

usage: /usr/bin/python3 estudy_check.py MODEL PRICES EVENTS MARKET EST0:EST1 W0:W1 [W0:W1 ...]
  MODEL   SIM, MAM, HMM, or MFM:FACTORS (wide CSV date(YYYYMMDD),F1,... of
          factor returns; the index list is the market and the factors)
  PRICES  long CSV date,ticker,adj_close (the ado's `price` option), or
          returns:PATH, a wide CSV date,T1,T2,... of returns (no `price`)
  EVENTS  ticker,event_date[,sector]
Prints JSON {"firms": {"T@DAY0": {"car": [...], "car_sd": [...], "car_t":
[...], "car_p": [...]}}, "groups": {NAME: {"rbar": r, "windows": [{"estimate":
caar, TEST: [stat, p], ...}]}}} for the groups all, event:DAY0 (when there
are several) and sector:NAME, DAY0 the session a row's day 0 (or, for a
weekend date, its day +1) falls on.

The ado, single index model (modtype SIM), as read:
  returns     ln(p / p[_n-1]) on adjacent rows of the date variable
  event time  rows counted from the event date's row; a Saturday/Sunday
              date is replaced by the Monday after it (which must be in the
              data), numbered +1, the Friday -1 (no day 0)
  AR          SIM, MFM: `regress` over the estimation rows, `predict, resid`;
              MAM: R - Rm; HMM: R - r(mean) of R over the estimation rows
  variance    r(Var) of AR over the estimation rows, m = r(N)
  CAR         r(sum) of AR over the window's rows, num = r(N)
  Var(CAR)    SIM: variance (num + num^2/m + (sum_window (Rm - mean Rm))^2 /
              (Var(Rm) n_m)), mean, Var (divisor n_m - 1), n_m of the index
              over the estimation rows; HMM: variance num (1 + num/m);
              MAM, MFM: variance num.  p from t with m - k - 1 df, k the
              number of indexes (1 for HMM)
  group CAAR  sum over the window of ln(rowmean(exp(AR)))
  Norm        CAAR / sqrt(sum Var(CAR_i) / n^2), t with m_grp - k - 1 df
  Patell      sum SCAR / sqrt(sum (m - k' - 1)/(m - k' - 3)), normal, k' = 1
              except MFM (k)
  ADJPatell   Patell / sqrt(1 + (n - 1) rho), normal; rho the mean of the
              pairwise `corr` of AR over the estimation rows, values < 1
  BMP         sqrt(n) mean(SCAR) / sd(SCAR), normal; KP: x sqrt((1 - rho)
              / (1 + (n - 1) rho)), normal
  Wilcoxon    sum over firms with CAR >= 0 of rank(|CAR|) among the firm's
              |AR| of the estimation rows and |CAR|; (W - n(n+1)/4) /
              sqrt(n(n+1)(2n+1)/24), normal
  GRANK       U = rank/(L1 + 1) - 1/2 of AR/sqrt(variance) over the
              estimation rows and SCAR/sd(SCAR) on the row after them;
              Ubar per row; S = sqrt(sum (n_t/n) Ubar^2 / L1); Z = Ubar_cum/S;
              t = Z sqrt((L1 - 2)/(L1 - 1 - Z^2)), L1 - 1 df
"""
import json
import sys
import warnings

import numpy as np
import pandas as pd
from scipy import stats


def event_rows(dates, date):
    """Calendar row of day 0 (or day +1) and whether day 0 is missing."""
    d = pd.Timestamp(date)
    if date in dates:
        return dates.index(date), False
    dow = (d.dayofweek + 1) % 7          # Stata dow(): 0 Sunday .. 6 Saturday
    if dow not in (0, 6):
        raise SystemExit(f'{date}: not in the data (estudy stops here)')
    monday = (d + pd.Timedelta(days=1 if dow == 0 else 2)).strftime('%Y-%m-%d')
    return dates.index(monday), True


def rel_day(c, t0, no_day0):
    r = c - t0
    return r + 1 if no_day0 and r >= 0 else r


def main(model, prices, events, market, est, wins):
    warnings.simplefilter('ignore')
    model, _, facpath = model.partition(':')
    if prices.startswith('returns:'):
        ret = pd.read_csv(prices[8:], index_col='date').sort_index()
    else:
        px = pd.read_csv(prices)
        adj = px.pivot(index='date', columns='ticker', values='adj_close').sort_index()
        ret = np.log(adj / adj.shift(1))
    dates = list(ret.index)
    idx = [ret[market].values]
    if model == 'MFM':
        fac = pd.read_csv(facpath, dtype={'date': str})
        fac['date'] = pd.to_datetime(fac['date'], format='%Y%m%d').dt.strftime('%Y-%m-%d')
        fac = fac.set_index('date').reindex(ret.index)
        idx += [fac[c].values for c in fac.columns]
    nind = len(idx) if model in ('SIM', 'MFM', 'MAM') else 1   # the ado's aux_nind
    k_pat = len(idx) if model == 'MFM' else 1              # its exp_vars
    lo, hi = est
    L1 = hi - lo + 1
    ev = pd.read_csv(events)
    firms = []
    for _, e in ev.iterrows():
        t0, gap = event_rows(dates, e.event_date)
        rel = np.array([rel_day(c, t0, gap) for c in range(len(dates))])
        y, x = ret[e.ticker].values, ret[market].values
        est_rows = (rel >= lo) & (rel <= hi)
        if model in ('SIM', 'MFM'):
            Z = np.column_stack([np.ones(len(y))] + idx)
            ok = est_rows & ~np.isnan(y) & ~np.isnan(Z).any(axis=1)
            b = np.linalg.lstsq(Z[ok], y[ok], rcond=None)[0]
            ar = y - Z @ b                            # NAN where any is
        elif model == 'MAM':
            ar = y - x
        else:
            ar = y - np.nanmean(y[est_rows])
        est_ar = ar[est_rows]
        variance = np.nanvar(est_ar, ddof=1)
        m = np.sum(~np.isnan(est_ar))
        xm = x[est_rows][~np.isnan(x[est_rows])]
        mean_m, var_m, n_m = xm.mean(), xm.var(ddof=1), len(xm)
        f = {'key': f'{e.ticker}@{dates[t0]}', 'sector': e.get('sector'), 'day0': dates[t0],
             'gap': gap, 'rel': rel, 'ar': ar, 'variance': variance, 'm': m,
             'est_by_pos': np.array([ar[rel == d][0] if np.any(rel == d) else np.nan
                                     for d in range(lo, hi + 1)]),
             'car': [], 'sd': [], 't': [], 'p': []}
        for (w0, w1) in wins:
            inw = (rel >= w0) & (rel <= w1)
            car = np.nansum(ar[inw])
            num = np.sum(~np.isnan(ar[inw]))
            if model == 'SIM':
                dev = np.nansum(x[inw] - mean_m) ** 2
                var = variance * (num + num ** 2 / m + dev / (var_m * n_m))
            elif model == 'HMM':
                var = variance * num * (1 + num / m)
            else:
                var = variance * num
            sd = np.sqrt(var)
            t = car / sd
            f['car'].append(car if num else np.nan)
            f['sd'].append(sd if num else np.nan)
            f['t'].append(t if num else np.nan)
            f['p'].append(2 * stats.t.sf(abs(t), m - nind - 1) if num else np.nan)
        firms.append(f)

    groups = {'all': firms}
    days = sorted({f['day0'] for f in firms})
    if len(days) > 1:
        for d in days:
            groups['event:' + d] = [f for f in firms if f['day0'] == d]
    for s in sorted({f['sector'] for f in firms if isinstance(f['sector'], str)}):
        groups['sector:' + s] = [f for f in firms if f['sector'] == s]

    out_g = {}
    for name, mem in groups.items():
        n_all = len(mem)
        E = pd.DataFrame(np.array([f['est_by_pos'] for f in mem]).T)
        C = E.corr().values                          # pairwise complete, Pearson
        low = C[np.tril_indices(n_all, -1)]
        low = low[low < 1]
        rho = low.mean() if len(low) else np.nan
        m_grp = int(np.sum(E.notna().any(axis=1)))
        gw = []
        for k, (w0, w1) in enumerate(wins):
            caar, days = 0.0, 0
            for d in range(w0, w1 + 1):
                v = [f['ar'][f['rel'] == d][0] for f in mem if np.any(f['rel'] == d)]
                v = [a for a in v if not np.isnan(a)]
                if v:
                    caar += np.log(np.mean(np.exp(v)))
                    days += 1
            if not days:      # estudy prints 0 for an empty window; both report it
                caar = np.nan  # missing here (the README says so)
            sel = [f for f in mem if not np.isnan(f['car'][k])]
            n = len(sel)
            out = {'estimate': caar}
            if n < 2:
                gw.append(out)
                continue
            car = np.array([f['car'][k] for f in sel])
            sd = np.array([f['sd'][k] for f in sel])
            scar = car / sd
            ms = np.array([f['m'] for f in sel], float)
            zn = caar / np.sqrt(np.sum(sd ** 2) / n ** 2)
            out['norm'] = [zn, 2 * stats.t.sf(abs(zn), m_grp - nind - 1)]
            zp = scar.sum() / np.sqrt(np.sum((ms - k_pat - 1) / (ms - k_pat - 3)))
            out['patell'] = [zp, 2 * stats.norm.sf(abs(zp))]
            za = zp / np.sqrt(1 + (n - 1) * rho)
            out['kp_patell'] = [za, 2 * stats.norm.sf(abs(za))]
            zb = np.sqrt(n) * scar.mean() / scar.std(ddof=1)
            out['bmp'] = [zb, 2 * stats.norm.sf(abs(zb))]
            zk = zb * np.sqrt((1 - rho) / (1 + (n - 1) * rho))
            out['kp_bmp'] = [zk, 2 * stats.norm.sf(abs(zk))]
            W = 0.0
            for f, c in zip(sel, car):
                vals = np.abs(np.append(f['est_by_pos'][~np.isnan(f['est_by_pos'])], c))
                if c >= 0:
                    W += stats.rankdata(vals)[-1]
            zw = (W - n * (n + 1) / 4) / np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
            out['wilcoxon'] = [zw, 2 * stats.norm.sf(abs(zw))]
            csd = scar.std(ddof=1)
            U = np.full((n, L1 + 1), np.nan)
            for i, f in enumerate(sel):
                v = np.append(f['est_by_pos'] / np.sqrt(f['variance']), scar[i] / csd)
                okv = ~np.isnan(v)
                U[i, okv] = stats.rankdata(v[okv]) / (L1 + 1) - 0.5
            cnt = np.sum(~np.isnan(U), axis=0)
            ub = np.nanmean(U, axis=0)
            S = np.sqrt(np.nansum(cnt / n * ub ** 2) / L1)
            z = ub[L1] / S
            tg = z * np.sqrt((L1 - 2) / (L1 - 1 - z * z))
            out['grank'] = [tg, 2 * stats.t.sf(abs(tg), L1 - 1)]
            gw.append(out)
        out_g[name] = {'rbar': rho, 'windows': gw}
    doc = {'firms': {f['key']: {'car': f['car'], 'car_sd': f['sd'], 'car_t': f['t'],
                                'car_p': f['p'], 'n_est': int(f['m'])} for f in firms},
           'groups': out_g}
    json.dump(no_nan(doc), sys.stdout)


def no_nan(v):
    """NaN as JSON null, numpy scalars as Python numbers."""
    if isinstance(v, dict):
        return {k: no_nan(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [no_nan(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    return v


if __name__ == '__main__':
    a = sys.argv
    main(a[1], a[2], a[3], a[4], tuple(int(v) for v in a[5].split(':')),
         [tuple(int(v) for v in s.split(':')) for s in a[6:]])
