-- 010_study.sql -- the event study's results in the database: one row per
-- study in `studies`, its firms, windows, daily abnormal-return path, group
-- tests and the returns it used; the efficiency beta per ticker and period.
-- Written by `aftershock study --event` / `--efficiency` (analytics/study_db.c)
-- in one transaction; a study run again with the same settings keeps its id
-- and replaces its own rows (studies.study_key), so nothing is duplicated.
-- Not here: prices and securities (001_core.sql), announcement scores
-- (020_events.sql), report layout (030-039).
--
-- Example queries (psql, or `aftershock sql "..."` as the analyst role):
--
--   -- Biggest losers of the DeepSeek shock, day 0, with significance stars
--   SELECT ticker, sector, round(100 * day0_return, 2) AS ret_pct,
--          round(100 * ar_0_0, 2) AS ar_pct, stars_0_0, round(mv_change_bn, 1) AS bn
--   FROM v_event_impact WHERE event_date = '2025-01-27' ORDER BY ar_0_0 LIMIT 5;
--
--   -- Market value lost per sector on day 0 and over [-1,+1]
--   SELECT sector, n_firms, round(mv_change_bn_0_0) AS day0_bn,
--          round(mv_change_bn_m1_1) AS m1_1_bn, round(100 * mean_ar_0_0, 2) AS mean_ar_pct
--   FROM v_sector_impact WHERE event_date = '2025-01-27' ORDER BY day0_bn;
--
--   -- Is the group's CAR significant by every test?
--   SELECT test, window_start, window_end, round(100 * caar, 3) AS caar_pct, statistic, p_value
--   FROM v_study_tests WHERE event_date = '2025-01-27' AND grp = 'all' ORDER BY window_start, test;
--
--   -- CAR path of NVDA for a chart, day -10..+10
--   SELECT day, date, round(100 * car, 2) AS car_pct FROM v_car_path
--   WHERE event_date = '2025-01-27' AND ticker = 'NVDA' ORDER BY day;
--
--   -- Which stocks react most to AI-efficiency announcements?
--   SELECT ticker, beta, t, p_value, n FROM study_efficiency
--   WHERE period_from = '2025-01-02' ORDER BY beta;

CREATE TABLE studies (
    id              bigserial PRIMARY KEY,
    study_key       text NOT NULL UNIQUE,
    event_date      date NOT NULL,
    day0_date       date NOT NULL,
    market          text,
    model           text NOT NULL CHECK (model IN ('market', 'market-adjusted', 'mean-adjusted', 'factor')),
    est_start       integer NOT NULL,
    est_end         integer NOT NULL CHECK (est_start <= est_end),
    windows         text[] NOT NULL,
    return_type     text NOT NULL CHECK (return_type IN ('simple', 'log')),
    compat          text NOT NULL CHECK (compat IN ('native', 'estudy')),
    min_est_obs     integer NOT NULL,
    tickers         text[] NOT NULL,
    parameters      jsonb NOT NULL,
    n_firms         integer NOT NULL,
    n_ok            integer NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX studies_event_date_idx ON studies (event_date);
COMMENT ON TABLE studies IS 'One row per event study run from the database: its settings; the results are in study_firms, study_firm_windows, study_ar, study_tests and study_returns.';
COMMENT ON COLUMN studies.id IS 'Surrogate key; kept when the same study (same study_key) is run again.';
COMMENT ON COLUMN studies.study_key IS 'md5 of the settings that define the study (event date, market, model, estimation window, windows, return type, compat, minimum estimation days, sorted tickers); re-running the same study replaces its own rows.';
COMMENT ON COLUMN studies.event_date IS 'Event date as asked for.';
COMMENT ON COLUMN studies.day0_date IS 'Trading session used as day 0: the event date, or the next session when the event date was not one.';
COMMENT ON COLUMN studies.market IS 'Market proxy ticker (SPY, ^GSPC); NULL for the mean-adjusted model.';
COMMENT ON COLUMN studies.model IS 'Normal-return model: market (OLS R = a + b Rm), market-adjusted (AR = R - Rm), mean-adjusted, factor.';
COMMENT ON COLUMN studies.est_start IS 'First day of the estimation window, in trading days relative to day 0 (default -250).';
COMMENT ON COLUMN studies.est_end IS 'Last day of the estimation window (default -11).';
COMMENT ON COLUMN studies.windows IS 'Event windows as START:END trading days, inclusive (default 0:0, -1:1, -5:5, 0:10).';
COMMENT ON COLUMN studies.return_type IS 'simple (P_t/P_t-1 - 1) or log returns, from prices.adj_close.';
COMMENT ON COLUMN studies.compat IS 'Variance conventions: native (MacKinlay 1997) or estudy (Stata estudy 2.1.2).';
COMMENT ON COLUMN studies.min_est_obs IS 'Fewest usable estimation days for a firm to get a result.';
COMMENT ON COLUMN studies.tickers IS 'Firms studied, sorted.';
COMMENT ON COLUMN studies.parameters IS 'Every setting as JSON, including the canonical text the study_key hashes.';
COMMENT ON COLUMN studies.n_firms IS 'Firms in the study.';
COMMENT ON COLUMN studies.n_ok IS 'Firms with a result (status ok).';
COMMENT ON COLUMN studies.created_at IS 'When the study was last run.';

CREATE TABLE study_firms (
    study_id        bigint NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    ticker          text NOT NULL,
    sector          text,
    status          text NOT NULL,
    alpha           double precision,
    beta            double precision,
    sigma           double precision,
    n_est           integer NOT NULL,
    n_est_missing   integer NOT NULL,
    n_est_zero      integer NOT NULL,
    n_event_missing integer NOT NULL,
    day0_return     double precision,
    ar_day0         double precision,
    ar_day0_sd      double precision,
    close_before    double precision,
    close_day0      double precision,
    mv_change_bn    double precision,
    shares          bigint,
    shares_as_of    date,
    PRIMARY KEY (study_id, ticker)
);
COMMENT ON TABLE study_firms IS 'One row per study and firm: the normal-return model, day-0 reaction and market-value change.';
COMMENT ON COLUMN study_firms.study_id IS 'The study (studies.id).';
COMMENT ON COLUMN study_firms.ticker IS 'Firm.';
COMMENT ON COLUMN study_firms.sector IS 'securities.sector at the time of the run; the group of the sector tests.';
COMMENT ON COLUMN study_firms.status IS 'ok, or why the firm has no result: window outside data, too few estimation days, singular regressors, no market returns.';
COMMENT ON COLUMN study_firms.alpha IS 'Intercept of the market model (daily, decimal); NULL for models without one.';
COMMENT ON COLUMN study_firms.beta IS 'Market slope of the market model.';
COMMENT ON COLUMN study_firms.sigma IS 'Residual standard deviation over the estimation window (divisor M - p, or M - 1 with compat estudy).';
COMMENT ON COLUMN study_firms.n_est IS 'Estimation days used.';
COMMENT ON COLUMN study_firms.n_est_missing IS 'Estimation days with a missing firm return.';
COMMENT ON COLUMN study_firms.n_est_zero IS 'Estimation days with a return of exactly 0 (thin trading).';
COMMENT ON COLUMN study_firms.n_event_missing IS 'Days of the event windows with a missing abnormal return.';
COMMENT ON COLUMN study_firms.day0_return IS 'Raw return of day 0 from adjusted closes, decimal (NVDA 2025-01-27: -0.16968).';
COMMENT ON COLUMN study_firms.ar_day0 IS 'Abnormal return of day 0, decimal.';
COMMENT ON COLUMN study_firms.ar_day0_sd IS 'Forecast-error corrected standard deviation of the day-0 AR (Patell 1976).';
COMMENT ON COLUMN study_firms.close_before IS 'Traded close of the session before day 0 (unadjusted).';
COMMENT ON COLUMN study_firms.close_day0 IS 'Traded close of day 0 (unadjusted).';
COMMENT ON COLUMN study_firms.mv_change_bn IS 'Day-0 market-value change in $bn: shares x (close_day0 - close_before) / 1e9.';
COMMENT ON COLUMN study_firms.shares IS 'Shares outstanding used (latest shares_outstanding.as_of on or before the event date); NULL when unknown.';
COMMENT ON COLUMN study_firms.shares_as_of IS 'as_of date of that share count.';

CREATE TABLE study_firm_windows (
    study_id      bigint NOT NULL,
    ticker        text NOT NULL,
    window_start  integer NOT NULL,
    window_end    integer NOT NULL,
    car           double precision,
    car_sd        double precision,
    car_t         double precision,
    car_p         double precision,
    bhar          double precision,
    mv_change_bn  double precision,
    PRIMARY KEY (study_id, ticker, window_start, window_end),
    FOREIGN KEY (study_id, ticker) REFERENCES study_firms (study_id, ticker) ON DELETE CASCADE
);
COMMENT ON TABLE study_firm_windows IS 'One row per study, firm and event window: cumulative and buy-and-hold abnormal returns with their test.';
COMMENT ON COLUMN study_firm_windows.study_id IS 'The study.';
COMMENT ON COLUMN study_firm_windows.ticker IS 'Firm.';
COMMENT ON COLUMN study_firm_windows.window_start IS 'First day of the window, trading days relative to day 0.';
COMMENT ON COLUMN study_firm_windows.window_end IS 'Last day of the window, inclusive.';
COMMENT ON COLUMN study_firm_windows.car IS 'Cumulative abnormal return over the window, decimal.';
COMMENT ON COLUMN study_firm_windows.car_sd IS 'Standard deviation of the CAR, forecast-error corrected (MacKinlay 1997 eq. 15).';
COMMENT ON COLUMN study_firm_windows.car_t IS 'car / car_sd.';
COMMENT ON COLUMN study_firm_windows.car_p IS 'Two-sided p-value of car_t, Student t with the residual degrees of freedom.';
COMMENT ON COLUMN study_firm_windows.bhar IS 'Buy-and-hold abnormal return over the window (Barber & Lyon 1997), decimal.';
COMMENT ON COLUMN study_firm_windows.mv_change_bn IS 'Market-value change in $bn: shares x (traded close at window end - close before the window) / 1e9.';

CREATE TABLE study_ar (
    study_id  bigint NOT NULL,
    ticker    text NOT NULL,
    day       integer NOT NULL,
    date      date NOT NULL,
    ret       double precision,
    ar        double precision,
    ar_sd     double precision,
    car       double precision,
    PRIMARY KEY (study_id, ticker, day),
    FOREIGN KEY (study_id, ticker) REFERENCES study_firms (study_id, ticker) ON DELETE CASCADE
);
COMMENT ON TABLE study_ar IS 'Daily abnormal returns per study and firm over days -10..+10 (wider when a window is): the CAR path the reports chart.';
COMMENT ON COLUMN study_ar.study_id IS 'The study.';
COMMENT ON COLUMN study_ar.ticker IS 'Firm.';
COMMENT ON COLUMN study_ar.day IS 'Trading day relative to day 0.';
COMMENT ON COLUMN study_ar.date IS 'The trading date of that day.';
COMMENT ON COLUMN study_ar.ret IS 'Raw return of the day, decimal (as used by the study: simple or log).';
COMMENT ON COLUMN study_ar.ar IS 'Abnormal return, decimal; NULL when missing.';
COMMENT ON COLUMN study_ar.ar_sd IS 'Forecast-error corrected standard deviation of the AR (Patell 1976 eq. 5).';
COMMENT ON COLUMN study_ar.car IS 'Cumulative AR from the first day of the path through this day; a missing AR adds nothing.';

CREATE TABLE study_tests (
    study_id      bigint NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    grp           text NOT NULL,
    test          text NOT NULL,
    window_start  integer NOT NULL,
    window_end    integer NOT NULL,
    estimate      double precision,
    statistic     double precision,
    p_value       double precision,
    n             integer NOT NULL,
    kp_rbar       double precision,
    PRIMARY KEY (study_id, grp, test, window_start, window_end)
);
COMMENT ON TABLE study_tests IS 'Group tests of the cumulative average abnormal return (CAAR): per study, group, test and window.';
COMMENT ON COLUMN study_tests.study_id IS 'The study.';
COMMENT ON COLUMN study_tests.grp IS 'Group: all, event:YYYY-MM-DD (several event dates), sector:NAME.';
COMMENT ON COLUMN study_tests.test IS 'csect_t (Brown & Warner 1985), patell (1976), bmp (Boehmer et al. 1991), kp_patell and kp_bmp (Kolari & Pynnonen 2010), corrado_rank (Corrado 1989), gen_sign (Cowan 1992), wilcoxon.';
COMMENT ON COLUMN study_tests.window_start IS 'First day of the window.';
COMMENT ON COLUMN study_tests.window_end IS 'Last day of the window.';
COMMENT ON COLUMN study_tests.estimate IS 'The group''s CAAR over the window, decimal.';
COMMENT ON COLUMN study_tests.statistic IS 'Test statistic (t or z).';
COMMENT ON COLUMN study_tests.p_value IS 'Two-sided p-value.';
COMMENT ON COLUMN study_tests.n IS 'Firm-events the test used.';
COMMENT ON COLUMN study_tests.kp_rbar IS 'Kolari-Pynnonen average cross-correlation of the group''s estimation residuals.';

CREATE TABLE study_returns (
    study_id   bigint NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    ticker     text NOT NULL,
    role       text NOT NULL CHECK (role IN ('firm', 'market')),
    date       date NOT NULL,
    day        integer NOT NULL,
    adj_close  double precision,
    close      double precision,
    ret        double precision,
    PRIMARY KEY (study_id, ticker, date)
);
COMMENT ON TABLE study_returns IS 'The prices and returns a study used, estimation window through the last event day, for firms and the market: the report''s Data sheet.';
COMMENT ON COLUMN study_returns.study_id IS 'The study.';
COMMENT ON COLUMN study_returns.ticker IS 'Firm or market proxy.';
COMMENT ON COLUMN study_returns.role IS 'firm or market.';
COMMENT ON COLUMN study_returns.date IS 'Trading date (the study''s calendar: dates any of its series traded).';
COMMENT ON COLUMN study_returns.day IS 'Trading day relative to day 0.';
COMMENT ON COLUMN study_returns.adj_close IS 'prices.adj_close; NULL when the series has no row that day.';
COMMENT ON COLUMN study_returns.close IS 'prices.close (traded, unadjusted).';
COMMENT ON COLUMN study_returns.ret IS 'Return used, from adj_close: over a gap it spans from the last observed price (multi-day), NULL on a missing day.';

CREATE TABLE study_efficiency (
    period_from   date NOT NULL,
    period_to     date NOT NULL,
    market        text NOT NULL,
    est_start     integer NOT NULL,
    est_end       integer NOT NULL,
    ticker        text NOT NULL,
    status        text NOT NULL,
    beta          double precision,
    t             double precision,
    p_value       double precision,
    n             integer NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_from, period_to, market, est_start, est_end, ticker)
);
COMMENT ON TABLE study_efficiency IS 'Efficiency beta: OLS slope of a stock''s daily market-model abnormal return on the day''s AI-efficiency announcement score (v_daily_announcement_score), over a period; which stocks react most to such announcements.';
COMMENT ON COLUMN study_efficiency.period_from IS 'First date of the regression period.';
COMMENT ON COLUMN study_efficiency.period_to IS 'Last date of the period.';
COMMENT ON COLUMN study_efficiency.market IS 'Market proxy of the market model.';
COMMENT ON COLUMN study_efficiency.est_start IS 'Estimation window of the market model, trading days relative to period_from.';
COMMENT ON COLUMN study_efficiency.est_end IS 'Last estimation day relative to period_from.';
COMMENT ON COLUMN study_efficiency.ticker IS 'Stock.';
COMMENT ON COLUMN study_efficiency.status IS 'ok, or why there is no beta (too few estimation days, singular regressors: no score variation).';
COMMENT ON COLUMN study_efficiency.beta IS 'Slope b of AR_t = a + b score_t + u_t (AR decimal per score point).';
COMMENT ON COLUMN study_efficiency.t IS 't statistic of b (classical OLS standard error, divisor n - 2).';
COMMENT ON COLUMN study_efficiency.p_value IS 'Two-sided p-value of t, Student t with n - 2 degrees of freedom.';
COMMENT ON COLUMN study_efficiency.n IS 'Days in the regression.';
COMMENT ON COLUMN study_efficiency.created_at IS 'When the beta was last computed.';

-- Views for ad-hoc SQL.  Window columns are named by their bounds: _0_0 is
-- [0,0], _m1_1 is [-1,+1], _m5_5 [-5,+5], _0_10 [0,+10] (the defaults); a
-- study without such a window shows NULL there.
CREATE FUNCTION study_stars(p double precision) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p IS NULL THEN NULL WHEN p < 0.01 THEN '***' WHEN p < 0.05 THEN '**'
                WHEN p < 0.10 THEN '*' ELSE '' END
$$;
COMMENT ON FUNCTION study_stars(double precision) IS 'Significance stars of a two-sided p-value: *** < 1%, ** < 5%, * < 10%.';

CREATE VIEW v_event_impact AS
SELECT s.id AS study_id, s.event_date, s.day0_date, s.market, s.model,
       f.ticker, sec.name, f.sector, f.status, f.beta,
       f.day0_return, f.ar_day0, f.mv_change_bn,
       w00.car AS ar_0_0, w00.car_t AS t_0_0, w00.car_p AS p_0_0, study_stars(w00.car_p) AS stars_0_0,
       w11.car AS car_m1_1, w11.car_t AS t_m1_1, w11.car_p AS p_m1_1, study_stars(w11.car_p) AS stars_m1_1,
       w55.car AS car_m5_5, w55.car_t AS t_m5_5, w55.car_p AS p_m5_5, study_stars(w55.car_p) AS stars_m5_5,
       w010.car AS car_0_10, w010.car_t AS t_0_10, w010.car_p AS p_0_10, study_stars(w010.car_p) AS stars_0_10,
       w010.bhar AS bhar_0_10, w11.mv_change_bn AS mv_change_bn_m1_1
FROM studies s
JOIN study_firms f ON f.study_id = s.id
LEFT JOIN securities sec ON sec.ticker = f.ticker
LEFT JOIN study_firm_windows w00 ON w00.study_id = s.id AND w00.ticker = f.ticker AND w00.window_start = 0 AND w00.window_end = 0
LEFT JOIN study_firm_windows w11 ON w11.study_id = s.id AND w11.ticker = f.ticker AND w11.window_start = -1 AND w11.window_end = 1
LEFT JOIN study_firm_windows w55 ON w55.study_id = s.id AND w55.ticker = f.ticker AND w55.window_start = -5 AND w55.window_end = 5
LEFT JOIN study_firm_windows w010 ON w010.study_id = s.id AND w010.ticker = f.ticker AND w010.window_start = 0 AND w010.window_end = 10;
COMMENT ON VIEW v_event_impact IS 'One row per study and firm: sector, day-0 raw return and AR, CARs of the default windows with t, p and stars (*** 1%, ** 5%, * 10%), BHAR over [0,+10] and market-value change ($bn, day 0 and [-1,+1]).';

CREATE VIEW v_sector_impact AS
SELECT s.id AS study_id, s.event_date, s.market, coalesce(f.sector, '(none)') AS sector,
       count(*) AS n_firms, count(*) FILTER (WHERE f.status = 'ok') AS n_ok,
       avg(f.day0_return) AS mean_day0_return,
       avg(w00.car) AS mean_ar_0_0, avg(w11.car) AS mean_car_m1_1,
       avg(w55.car) AS mean_car_m5_5, avg(w010.car) AS mean_car_0_10,
       sum(f.mv_change_bn) AS mv_change_bn_0_0, sum(w11.mv_change_bn) AS mv_change_bn_m1_1,
       sum(w010.mv_change_bn) AS mv_change_bn_0_10
FROM studies s
JOIN study_firms f ON f.study_id = s.id
LEFT JOIN study_firm_windows w00 ON w00.study_id = s.id AND w00.ticker = f.ticker AND w00.window_start = 0 AND w00.window_end = 0
LEFT JOIN study_firm_windows w11 ON w11.study_id = s.id AND w11.ticker = f.ticker AND w11.window_start = -1 AND w11.window_end = 1
LEFT JOIN study_firm_windows w55 ON w55.study_id = s.id AND w55.ticker = f.ticker AND w55.window_start = -5 AND w55.window_end = 5
LEFT JOIN study_firm_windows w010 ON w010.study_id = s.id AND w010.ticker = f.ticker AND w010.window_start = 0 AND w010.window_end = 10
GROUP BY s.id, s.event_date, s.market, coalesce(f.sector, '(none)');
COMMENT ON VIEW v_sector_impact IS 'Per study and sector: firms, mean day-0 return, mean AR/CARs of the default windows, summed market-value change ($bn). Sector tests are in v_study_tests (grp sector:NAME).';

CREATE VIEW v_study_tests AS
SELECT s.id AS study_id, s.event_date, s.market, s.model, t.grp, t.test, t.window_start, t.window_end,
       t.estimate AS caar, t.statistic, t.p_value, study_stars(t.p_value) AS stars, t.n, t.kp_rbar
FROM studies s
JOIN study_tests t ON t.study_id = s.id;
COMMENT ON VIEW v_study_tests IS 'Group tests with the study''s event date and significance stars.';

CREATE VIEW v_car_path AS
SELECT s.id AS study_id, s.event_date, a.ticker, f.sector, a.day, a.date, a.ret, a.ar, a.ar_sd, a.car
FROM studies s
JOIN study_ar a ON a.study_id = s.id
JOIN study_firms f ON f.study_id = a.study_id AND f.ticker = a.ticker;
COMMENT ON VIEW v_car_path IS 'Daily AR and cumulative AR per study and firm, day -10..+10 at least: the CAR path chart.';

GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;
