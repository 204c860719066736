#!/usr/bin/python3
"""study_beta_check.py -- the market model with a thin-trading beta,
computed from the published formulas with statsmodels OLS and numpy, for
tests/test_study_beta.c.  Shares no code with analytics/estudy_*.c.

usage: /usr/bin/python3 study_beta_check.py METHOD PRICES EVENTS MARKET
  METHOD   scholes-williams | dimson[:K] (K leads and lags, default 1)
  PRICES   long CSV date,ticker,adj_close[,close]; simple returns from
           adj_close, a missing close makes that day's return missing and
           the next one spans the gap (P_t / last observed P - 1)
  EVENTS   ticker,event_date (day 0 = first date of the file on or after it)
Prints JSON {"TICKER@YYYY-MM-DD": {"alpha", "beta", "sigma2", "n_est",
"ar": [AR day -5 .. +10], "windows": [[car, car_sd, car_t, car_p, bhar],
...]}} for the windows [0,0] [-1,1] [-5,5] [0,10]; estimation [-250,-11].

Estimation rows: days -250..-11 with the firm's return and the market's
returns Rm_{t-K} .. Rm_{t+K} (K = 1 for Scholes-Williams), the leads and
lags taken from the file's dates around the window.
  Scholes & Williams (1977): b_k = statsmodels OLS slope of R_t on
    [1, Rm_{t+k}], k = -1, 0, 1, on those rows; rho_m = numpy.corrcoef of
    Rm_{t-1} and Rm_t on them; beta = (b_-1 + b_0 + b_1) / (1 + 2 rho_m).
  Dimson (1979): beta = sum of the slopes of one statsmodels OLS of R_t on
    [1, Rm_{t-K}, ..., Rm_{t+K}].
  Both: alpha = mean(R) - beta mean(Rm_t) (Scholes & Williams eq. 13);
  AR = R - alpha - beta Rm_t; sigma2 = sum AR^2 / (M - 2) on the rows.
Forecast-error term: (alpha, beta) is linear in the firm's returns, so the
weight matrix W (M x 2) is found by running the same estimator on each unit
vector e_1 .. e_M as the firm's returns (statsmodels fits a matrix of
right-hand sides at once); Var(CAR) = sigma2 (L + g' W'W g), g the sum of
(1, Rm_t) over the window days with an AR, L their number; t with M - 2 df.
BHAR = prod(1 + R) - prod(1 + R - AR) over the window (Barber & Lyon 1997).
"""
import json
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

EST = (-250, -11)
WINS = [(0, 0), (-1, 1), (-5, 5), (0, 10)]
LO, HI = -5, 10


def estimator(method, K, Y, lagged):
    """(alpha, beta) for each column of Y (M x n) given the market's
    columns lagged[k] = Rm_{t+k}, k = -K..K (each length M)."""
    x0 = lagged[0]
    if method == 'scholes-williams':
        b = sum(sm.OLS(Y, sm.add_constant(lagged[k])).fit().params[1] for k in (-1, 0, 1))
        rho = np.corrcoef(lagged[-1], lagged[0])[0, 1]
        beta = b / (1 + 2 * rho)
    else:
        Z = sm.add_constant(np.column_stack([lagged[k] for k in range(-K, K + 1)]))
        beta = sm.OLS(Y, Z).fit().params[1:].sum(axis=0)
    alpha = Y.mean(axis=0) - beta * x0.mean()
    return alpha, beta


def main(method, prices, events, market):
    K = int(method.split(':')[1]) if method.startswith('dimson:') else 1
    method = method.split(':')[0]
    px = pd.read_csv(prices)
    adj = px.pivot(index='date', columns='ticker', values='adj_close').sort_index()
    ret = adj / adj.ffill().shift(1) - 1.0
    ret[adj.isna()] = np.nan
    dates = list(ret.index)
    rm_all = ret[market].values
    out = {}
    for _, e in pd.read_csv(events).iterrows():
        t0 = next(i for i, d in enumerate(dates) if d >= e.event_date)
        y_all = ret[e.ticker].values
        rows = []
        for t in range(t0 + EST[0], t0 + EST[1] + 1):
            lagok = all(0 <= t + k < len(dates) and not np.isnan(rm_all[t + k])
                        for k in range(-K, K + 1))
            if lagok and not np.isnan(y_all[t]):
                rows.append(t)
        rows = np.array(rows)
        M = len(rows)
        lagged = {k: rm_all[rows + k] for k in range(-K, K + 1)}
        a, b = estimator(method, K, y_all[rows][:, None], lagged)
        a, b = np.atleast_1d(a)[0], np.atleast_1d(b)[0]
        wa, wb = estimator(method, K, np.eye(M), lagged)
        W = np.column_stack([wa, wb])
        V = W.T @ W
        resid = y_all[rows] - a - b * rm_all[rows]
        s2 = resid @ resid / (M - 2)
        span = np.arange(t0 + LO, t0 + HI + 1)
        ar = y_all[span] - a - b * rm_all[span]
        wins = []
        for (w0, w1) in WINS:
            d = span[w0 - LO:w1 - LO + 1]
            arw = ar[w0 - LO:w1 - LO + 1]
            ok = ~np.isnan(arw)
            L = ok.sum()
            if L == 0:  # no AR in the window (a gap): no result
                wins.append([None] * 5)
                continue
            g = np.array([L, rm_all[d][ok].sum()])
            var = s2 * (L + g @ V @ g)
            car = arw[ok].sum()
            t = car / np.sqrt(var)
            r = y_all[d][ok]
            bhar = np.prod(1 + r) - np.prod(1 + r - arw[ok])
            wins.append([car, np.sqrt(var), t, 2 * stats.t.sf(abs(t), M - 2), bhar])
        out[f'{e.ticker}@{dates[t0]}'] = {
            'alpha': a, 'beta': b, 'sigma2': s2, 'n_est': M,
            'ar': [None if np.isnan(v) else v for v in ar], 'windows': wins}
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(*sys.argv[1:])
