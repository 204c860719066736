#!/usr/bin/python3
"""effbeta_reference.py -- the efficiency beta computed independently with
statsmodels, for tests/test_study_effbeta.c.  Shares no code with
analytics/estudy_effbeta.c.

usage: /usr/bin/python3 tests/support/effbeta_reference.py PRICES HEADLINES SCORES OUT
  PRICES     long CSV date,ticker,adj_close[,close] (tests/fixtures/study/deepseek_prices.csv)
  HEADLINES  ../shared/data/news/deepseek_headlines_2025-01.csv (26 real DeepSeek items)
  SCORES     written: date,score -- the number of headlines per trading session,
             a headline on a closed day (2025-01-20, Martin Luther King Day)
             counted on the next session
  OUT        written: ticker,beta,t,p_value,n

Definition (as documented in analytics/estudy_effbeta.c): market model
R = a + b Rm on the estimation window [-250,-11] trading days counted from
the first session of the period, AR_t over the period, then OLS
AR_t = c + beta score_t + u_t; t from the classical OLS standard error,
two-sided Student t p-value with n - 2 df.  Period 2025-01-02..2025-02-28,
market SPY, simple returns from adj_close.
"""
import sys
import pandas as pd
import statsmodels.api as sm

EST = (-250, -11)
PERIOD = ('2025-01-02', '2025-02-28')


def main(prices, headlines, scores_out, out):
    px = pd.read_csv(prices)
    adj = px.pivot(index='date', columns='ticker', values='adj_close').sort_index()
    ret = adj / adj.shift(1) - 1.0
    dates = list(ret.index)
    news = pd.read_csv(headlines)
    counts = {}
    for d in news['date']:
        s = next(x for x in dates if x >= d)   # next session when closed
        counts[s] = counts.get(s, 0) + 1
    score = pd.Series(0.0, index=ret.index)
    for s, c in counts.items():
        score[s] = float(c)
    with open(scores_out, 'w') as f:
        f.write('date,score\n')
        for s in sorted(counts):
            f.write(f'{s},{counts[s]}\n')
    t_from = next(i for i, x in enumerate(dates) if x >= PERIOD[0])
    t_to = max(i for i, x in enumerate(dates) if x <= PERIOD[1])
    est = ret.iloc[t_from + EST[0]: t_from + EST[1] + 1]
    per = ret.iloc[t_from: t_to + 1]
    z = score.iloc[t_from: t_to + 1].values
    with open(out, 'w') as f:
        f.write('ticker,beta,t,p_value,n\n')
        for tick in [c for c in ret.columns if c != 'SPY']:
            mm = sm.OLS(est[tick].values, sm.add_constant(est['SPY'].values)).fit()
            ar = per[tick].values - (mm.params[0] + mm.params[1] * per['SPY'].values)
            fit = sm.OLS(ar, sm.add_constant(z)).fit()
            f.write(f'{tick},{fit.params[1]!r},{fit.tvalues[1]!r},{fit.pvalues[1]!r},{len(ar)}\n')


if __name__ == '__main__':
    main(*sys.argv[1:5])
