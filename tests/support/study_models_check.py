#!/usr/bin/python3
"""study_models_check.py -- the event study's per-firm results for each
normal-return model, computed with statsmodels OLS for
tests/test_study_models.c.  Shares no code with analytics/estudy_*.c or
the other reference scripts.

usage: /usr/bin/python3 study_models_check.py MODEL PRICES EVENTS MARKET [FACTORS]
  MODEL    market | market-adjusted | mean-adjusted | factor | market-log
  PRICES   long CSV date,ticker,adj_close[,close] (returns from adj_close),
           or, for factor, a wide CSV of simple returns date,T1,T2,...
  EVENTS   ticker,event_date (day 0 = first trading day on or after it)
  FACTORS  wide CSV date(YYYYMMDD),F1,F2,... of factor returns
Prints JSON {"TICKER@YYYY-MM-DD": {"ar": [AR day -5 .. +10],
             "windows": [[car, car_sd, car_t, car_p, bhar], ...]}} for the
windows [0,0] [-1,1] [-5,5] [0,10]; estimation [-250,-11] trading days.

Each model is an OLS regression in statsmodels on the estimation days
(rows with every value present):
  market, market-log  R ~ 1 + Rm   (market-log: R = ln(P_t / P_t-1))
  factor              R ~ 1 + Rm + F1 + ... + Fk
  mean-adjusted       R ~ 1
  market-adjusted     (R - Rm) ~ 1, the constant only estimating the
                      variance: AR = R - Rm, no parameter enters the AR
AR = R - fitted.  Var(CAR) = L s^2 + g' X* Cov(b) X*' g with statsmodels'
scale s^2 = SSR / (M - p) and cov_params() = s^2 (X'X)^-1, X* the event
rows, g ones (MacKinlay 1997 eq. 15; no parameter term for market-adjusted);
t = CAR / sd with M - p degrees of freedom, p the number of parameters
(1 for market-adjusted: the variance is taken about the estimation mean).
BHAR = prod(1 + R) - prod(1 + R - AR) over the window in simple returns
(Barber & Lyon 1997; log returns converted with exp(r) - 1).
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


def load(model, prices, factors):
    if model == 'factor':
        ret = pd.read_csv(prices, index_col='date').sort_index()
        fac = pd.read_csv(factors, dtype={'date': str}, skipinitialspace=True)
        fac['date'] = pd.to_datetime(fac['date'], format='%Y%m%d').dt.strftime('%Y-%m-%d')
        fac = fac.set_index('date')
        return ret, fac.reindex(ret.index)
    px = pd.read_csv(prices)
    adj = px.pivot(index='date', columns='ticker', values='adj_close').sort_index()
    if model == 'market-log':
        return np.log(adj / adj.shift(1)), None
    return adj / adj.shift(1) - 1.0, None


def main(model, prices, events, market, factors=None):
    ret, fac = load(model, prices, factors)
    dates = list(ret.index)
    out = {}
    for _, e in pd.read_csv(events).iterrows():
        t0 = next(i for i, d in enumerate(dates) if d >= e.event_date)
        y_all = ret[e.ticker]
        cols = {'const': pd.Series(1.0, index=ret.index)}
        if model in ('market', 'market-log', 'factor'):
            cols['mkt'] = ret[market]
        if model == 'factor':
            for c in fac.columns:
                cols[c] = fac[c]
        X_all = pd.DataFrame(cols)
        if model == 'market-adjusted':
            y_all = y_all - ret[market]
        est = slice(t0 + EST[0], t0 + EST[1] + 1)
        y, X = y_all.iloc[est], X_all.iloc[est]
        ok = y.notna() & X.notna().all(axis=1)
        fit = sm.OLS(y[ok].values, X[ok].values).fit()
        span = slice(t0 + LO, t0 + HI + 1)
        Xs = X_all.iloc[span].values
        if model == 'market-adjusted':
            ar = y_all.iloc[span].values
            cov = np.zeros((1, 1))
        else:
            ar = y_all.iloc[span].values - Xs @ fit.params
            cov = fit.cov_params()
        wins = []
        for (w0, w1) in WINS:
            sl = slice(w0 - LO, w1 - LO + 1)
            L = w1 - w0 + 1
            g = Xs[sl].sum(axis=0)
            var = L * fit.scale + g @ cov @ g
            car = ar[sl].sum()
            t = car / np.sqrt(var)
            r = y_all.iloc[span].values[sl] + (ret[market].iloc[span].values[sl]
                                               if model == 'market-adjusted' else 0)
            rn = r - ar[sl]
            if model == 'market-log':
                r, rn = np.exp(r) - 1, np.exp(rn) - 1
            bhar = np.prod(1 + r) - np.prod(1 + rn)
            wins.append([car, np.sqrt(var), t, 2 * stats.t.sf(abs(t), fit.df_resid), bhar])
        out[f'{e.ticker}@{dates[t0]}'] = {'ar': list(ar), 'windows': wins}
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(*sys.argv[1:])
