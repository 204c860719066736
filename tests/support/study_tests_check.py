#!/usr/bin/python3
"""study_tests_check.py -- the event study's group statistics written out
from the papers' formulas with numpy and scipy, for tests/test_study_tests.c.

It shares no code with analytics/estudy_*.c nor with study_reference.py:
the market model is numpy.linalg.lstsq (an SVD solver), the CAR variance is
the matrix form of MacKinlay (1997) eq. 15 built explicitly, correlations
are numpy.corrcoef, ranks scipy.stats.rankdata, tails scipy.stats.

usage: /usr/bin/python3 study_tests_check.py RETURNS T0 EST_START EST_END W0:W1 [W0:W1 ...]
  RETURNS  wide CSV date,MKT,F0,F1,... of simple returns, one row per day
  T0       0-based row of day 0 (every firm shares it)
Prints JSON: {"rbar": r, "firms": [{"car": [..], "car_sd": [..]}],
              "tests": [{test: [statistic, p_value, n], ...} per window]}.

Formulas (per firm i: M estimation days, p = 2 regressors, L window days):
  AR_it = R_it - a_i - b_i Rm_t  (OLS on the estimation window)
  s_i^2 = sum e^2 / (M - 2)                          (CLM 1997 eq. 4.4.10)
  Var(CAR_i) = s_i^2 g' (I + X*(X'X)^-1 X*') g       (MacKinlay 1997 eq. 15,
               X* the event rows [1, Rm_t], g a vector of L ones)
  SCAR_i = CAR_i / sqrt(Var(CAR_i))                  (Kolari & Pynnonen 2010, sec. 1)
  csect_t  = mean CAR / (sd(CAR) / sqrt n), t(n-1)   (Brown & Warner 1985)
  patell   = sum SCAR / sqrt(sum (M-2)/(M-4)), N(0,1)  (Patell 1976)
  bmp      = mean SCAR / (sd(SCAR) / sqrt n), t(n-1) (Boehmer, Musumeci & Poulsen 1991)
  rbar     = mean off-diagonal correlation of the estimation residuals
  kp_*     = statistic * sqrt((1 - rbar) / (1 + (n-1) rbar))
                                                     (Kolari & Pynnonen 2010)
  corrado  = sum_{t in window} Ubar_t / (sqrt(L) S_U), N(0,1), where
             U_it = rank_it / (T_i + 1) - 1/2 over the firm's estimation and
             event days, Ubar_t its cross-sectional mean, S_U^2 = mean of
             Ubar_t^2 over all T days          (Corrado 1989; Corrado &
             Zivney 1992; Campbell & Wasley 1993 for windows)
  gen_sign = (w - n phat) / sqrt(n phat (1 - phat)), N(0,1), w = firms with
             CAR > 0, phat = mean share of positive estimation ARs (Cowan 1992)
  wilcoxon = (W+ - n(n+1)/4) / sqrt(n(n+1)(2n+1)/24 - sum(t^3 - t)/48),
             zeros dropped, average ranks for ties  (Wilcoxon 1945; the tie
             term from Lehmann 1975); p cross-checked with scipy's wilcoxon
"""
import json
import warnings
import sys

import numpy as np
from scipy import stats


def main(path, t0, est0, est1, wins):
    warnings.simplefilter("ignore")  # scipy: "sample size too small" for n < 10
    data = np.genfromtxt(path, delimiter=',', names=True)
    names = data.dtype.names
    rm = data['MKT']
    firms = [n for n in names if n not in ('date', 'MKT')]
    lo = min(w[0] for w in wins)
    hi = max(w[1] for w in wins)
    est = slice(t0 + est0, t0 + est1 + 1)
    span = np.arange(t0 + lo, t0 + hi + 1)
    res, ars, cars, scars, dfs, pos, out_firms = [], [], [], [], [], [], []
    for f in firms:
        y = data[f][est]
        X = np.column_stack([np.ones(len(y)), rm[est]])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        e = y - X @ beta
        M = len(y)
        s2 = e @ e / (M - 2)
        V = np.linalg.inv(X.T @ X)
        ar = data[f][span] - (beta[0] + beta[1] * rm[span])
        c_, sd_, sc_ = [], [], []
        for (w0, w1) in wins:
            rows = np.arange(t0 + w0, t0 + w1 + 1)
            Xs = np.column_stack([np.ones(len(rows)), rm[rows]])
            g = np.ones(len(rows))
            var = s2 * g @ (np.eye(len(rows)) + Xs @ V @ Xs.T) @ g
            car = ar[w0 - lo: w1 - lo + 1].sum()
            c_.append(car)
            sd_.append(np.sqrt(var))
            sc_.append(car / np.sqrt(var))
        res.append(e)
        ars.append(ar)
        cars.append(c_)
        scars.append(sc_)
        dfs.append(M - 2)
        pos.append(np.mean(e > 0))
        out_firms.append({'car': c_, 'car_sd': sd_})
    n = len(firms)
    R = np.array(res)
    C = np.corrcoef(R)
    rbar = (C.sum() - n) / (n * (n - 1))
    kp = np.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    cars, scars, dfs = np.array(cars), np.array(scars), np.array(dfs, float)
    U = []
    for i in range(n):
        v = np.concatenate([R[i], ars[i]])
        U.append(stats.rankdata(v) / (len(v) + 1) - 0.5)
    Ubar = np.array(U).mean(axis=0)
    SU = np.sqrt(np.mean(Ubar ** 2))
    L1 = R.shape[1]
    phat = np.mean(pos)
    tests = []
    for k, (w0, w1) in enumerate(wins):
        c, s = cars[:, k], scars[:, k]
        out = {}
        t = c.mean() / (c.std(ddof=1) / np.sqrt(n))
        out['csect_t'] = [t, 2 * stats.t.sf(abs(t), n - 1), n]
        z = s.sum() / np.sqrt(np.sum(dfs / (dfs - 2)))
        out['patell'] = [z, 2 * stats.norm.sf(abs(z)), n]
        b = s.mean() / (s.std(ddof=1) / np.sqrt(n))
        out['bmp'] = [b, 2 * stats.t.sf(abs(b), n - 1), n]
        out['kp_patell'] = [z * kp, 2 * stats.norm.sf(abs(z * kp)), n]
        out['kp_bmp'] = [b * kp, 2 * stats.t.sf(abs(b * kp), n - 1), n]
        L = w1 - w0 + 1
        tr = Ubar[L1 + w0 - lo: L1 + w1 - lo + 1].sum() / (np.sqrt(L) * SU)
        out['corrado_rank'] = [tr, 2 * stats.norm.sf(abs(tr)), n]
        w = np.sum(c > 0)
        gz = (w - n * phat) / np.sqrt(n * phat * (1 - phat))
        out['gen_sign'] = [gz, 2 * stats.norm.sf(abs(gz)), n]
        nz = c[c != 0]
        m = len(nz)
        rk = stats.rankdata(np.abs(nz))
        wplus = rk[nz > 0].sum()
        _, cnt = np.unique(np.abs(nz), return_counts=True)
        var = m * (m + 1) * (2 * m + 1) / 24 - np.sum(cnt ** 3 - cnt) / 48
        wz = (wplus - m * (m + 1) / 4) / np.sqrt(var)
        wp = 2 * stats.norm.sf(abs(wz))
        sp = stats.wilcoxon(nz, correction=False, mode='approx').pvalue
        assert abs(sp - wp) <= 1e-12 + 1e-9 * wp, (sp, wp)
        out['wilcoxon'] = [wz, wp, m]
        tests.append(out)
    json.dump({'rbar': rbar, 'firms': out_firms, 'tests': tests}, sys.stdout)


if __name__ == '__main__':
    a = sys.argv
    main(a[1], int(a[2]), int(a[3]), int(a[4]),
         [tuple(int(x) for x in s.split(':')) for s in a[5:]])
