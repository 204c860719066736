-- 070_study_beta.sql -- the market model's slope for thinly traded stocks
-- (`aftershock study --beta`, setting study.beta; analytics/estudy_thin.c):
-- which estimator a study used, and what its alpha and beta columns mean.
-- Studies stored before this migration were all OLS and keep their keys.
ALTER TABLE studies ADD COLUMN beta_method text NOT NULL DEFAULT 'ols'
    CHECK (beta_method ~ '^(ols|scholes-williams|dimson:([1-9]|10))$'),
    ADD CONSTRAINT studies_beta_market_model CHECK (beta_method = 'ols' OR model = 'market');
COMMENT ON COLUMN studies.beta_method IS 'Slope of the market model: ols, scholes-williams (Scholes & Williams 1977: (b_-1 + b_0 + b_+1) / (1 + 2 rho_m)) or dimson:K (Dimson 1979: sum of the slopes on Rm_t-K .. Rm_t+K); with either correction alpha = mean(R) - beta mean(Rm), AR = R - alpha - beta Rm, and the forecast-error term of the CAR variance uses the estimator''s own weights (README, the event study).';
COMMENT ON COLUMN studies.study_key IS 'md5 of the settings that define the study (event date, market, model, estimation window, windows, return type, compat, minimum estimation days, sorted tickers, and the beta method when it is not ols); re-running the same study replaces its own rows.';
COMMENT ON COLUMN study_firms.alpha IS 'Intercept of the market model (daily, decimal); NULL for models without one.  With a thin-trading beta (studies.beta_method) mean(R) - beta mean(Rm) over the estimation days.';
COMMENT ON COLUMN study_firms.beta IS 'Market slope of the market model: OLS, or the Scholes-Williams or Dimson beta named in studies.beta_method.';
COMMENT ON COLUMN study_firms.sigma IS 'Residual standard deviation over the estimation window (divisor M - p, or M - 1 with compat estudy; M - 2 with a thin-trading beta).';
