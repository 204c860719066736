/*
 * cmd_study.c -- `aftershock study`: options in, analytics/estudy_* called,
 * results out.  File mode (--prices/--events) reads CSV files and touches no
 * database; database mode (--event DATE, --efficiency) reads prices from
 * PostgreSQL and stores the results (analytics/study_db.c).  Both print the
 * same output.  Business logic lives in analytics/; this file parses, wires
 * and reports.
 */
#include "analytics/estudy.h"
#include "analytics/estudy_csv.h"
#include "analytics/estudy_write.h"
#include "analytics/study_db.h"
#include "cli/cli.h"
#include "common/db.h"
#include "common/msg.h"

#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void study_usage(FILE *out)
{
    fprintf(out,
        "usage: aftershock study --prices FILE --events FILE --market TICKER [options]\n"
        "       aftershock study --event DATE [--tickers T,...|--all] [--market SPY] [options]\n"
        "       aftershock study --efficiency --from DATE --to DATE [--tickers T,...|--all]\n"
        "\n"
        "Event study: abnormal returns beyond the market, per firm and per group.\n"
        "\n"
        "database mode (prices.adj_close for returns, close x shares_outstanding for\n"
        "market values, securities.sector for groups; results stored in studies,\n"
        "study_firms, ... in one transaction, replacing the same study's rows):\n"
        "  --event DATE         day 0 (a non-trading date moves to the next session)\n"
        "  --tickers T,...      firms (upper-cased); default --all\n"
        "  --all                every security of kind 'stock'\n"
        "  --market TICKER      market proxy (default SPY)\n"
        "  --efficiency         efficiency beta over --from..--to against\n"
        "                       v_daily_announcement_score, stored in study_efficiency\n"
        "file inputs:\n"
        "  --prices FILE        long CSV date,ticker,price (or adj_close[,close]), or\n"
        "                       wide CSV date,TICK1,TICK2,...\n"
        "  --returns            the cells are returns (long: date,ticker,return)\n"
        "  --events FILE        ticker,event_date[,sector][,shares]; a non-trading\n"
        "                       date moves to the next session (day 0)\n"
        "  --market TICKER      market proxy series (e.g. SPY)\n"
        "  --factors FILE       wide CSV date,F1,...: extra regressors (factor model);\n"
        "                       used as given (no risk-free subtraction, no rescaling)\n"
        "  --scores FILE        date,score: AI-efficiency announcement scores; adds the\n"
        "                       efficiency beta of every event firm over --from..--to\n"
        "  --from DATE --to DATE  period of the efficiency beta\n"
        "settings:\n"
        "  --estimation A:B     estimation window in trading days (default -250:-11)\n"
        "  --window A:B         event window, repeatable (default 0:0 -1:1 -5:5 0:10)\n"
        "  --model M            market (default) | market-adjusted | mean-adjusted | factor\n"
        "  --beta B             the market model's slope: ols (default) | scholes-williams\n"
        "                       (Scholes & Williams 1977) | dimson[:K] (Dimson 1979, K\n"
        "                       leads and lags, default 1), for thinly traded stocks;\n"
        "                       AR = R - alpha* - beta* Rm, forecast-error term from the\n"
        "                       estimator's own weights (README)\n"
        "  --log                log returns (default simple)\n"
        "  --min-obs N          fewest estimation days for a firm (default 100)\n"
        "  --compat estudy      Stata estudy 2.1.2's conventions: log returns of adjacent\n"
        "                       sessions, its weekend rule, variance /(M-1), its CAR\n"
        "                       variance, t with M-k-1 df, its group tests (norm and\n"
        "                       grank in the csect_t and corrado_rank slots; README)\n"
        "  --format F           table (default) | csv | json\n"
        "\n"
        "CSV output has sections '# firms' (ticker,event_date,window_start,window_end,\n"
        "car,car_sd,car_t,car_p,bhar,mv_change_bn,n_est,n_est_missing,n_est_zero,\n"
        "n_event_missing,status), '# tests' (group,test,window_start,window_end,\n"
        "estimate,statistic,p_value,n; tests csect_t patell bmp kp_patell kp_bmp\n"
        "corrado_rank gen_sign wilcoxon), with sectors '# sectors' (sector,event_date,\n"
        "window_start,window_end,n,mv_change_bn), with --scores '# efficiency'\n"
        "(ticker,beta,t,p_value,n).  Returns are decimals.\n"
        "\n"
        "exit codes: 0 ok, 1 bad data or failure, 2 usage, 3 database unreachable\n");
}

/* The database mode's options after parsing. */
typedef struct study_db_args {
    const char *event, *tickers, *from, *to, *market;
    int all, efficiency;
    estudy_format fmt;
} study_db_args;

/* "nvda,AMD" -> {"NVDA", "AMD"}: heap array of heap strings (split_free). */
static char **tickers_split(const char *s, int *n)
{
    *n = 1;
    for (const char *c = s; *c; c++)
        *n += *c == ',';
    char **v = calloc((size_t)*n, sizeof *v);
    if (!v)
        return NULL;
    const char *start = s;
    for (int i = 0; i < *n; i++) {
        const char *end = strchr(start, ',');
        size_t len = end ? (size_t)(end - start) : strlen(start);
        if (!(v[i] = strndup(start, len))) {
            for (int k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return NULL;
        }
        for (char *c = v[i]; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        start = end ? end + 1 : start + len;
    }
    return v;
}

static void split_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static int study_db_mode(cli_ctx *ctx, const study_db_args *a, const estudy_config *cfg)
{
    if (a->event && a->efficiency) {
        as_error("study: --event and --efficiency are separate runs; give one");
        return AS_EXIT_USAGE;
    }
    if (!a->event && !a->efficiency) {
        as_error("study: database mode needs --event DATE or --efficiency (see -h)");
        return AS_EXIT_USAGE;
    }
    if (a->tickers && a->all) {
        as_error("study: give --tickers or --all, not both");
        return AS_EXIT_USAGE;
    }
    if (a->efficiency && (!a->from || !a->to)) {
        as_error("study: --efficiency needs --from DATE and --to DATE");
        return AS_EXIT_USAGE;
    }
    int ntick = 0;
    char **tick = NULL;
    if (a->tickers && !(tick = tickers_split(a->tickers, &ntick))) {
        as_error("study: no memory");
        return AS_EXIT_FAILURE;
    }
    study_db_opts o = {.event_date = a->event, .tickers = (const char *const *)tick,
                       .ntickers = ntick, .all = !a->tickers, .market = a->market,
                       .cfg = *cfg};
    PGconn *db = NULL;
    study_db_run run = {0};
    estudy_panel panel = {0};
    estudy_effbeta *eff = NULL;
    int *eff_firm = NULL, neff = 0;
    as_err err = db_connect(&db, ctx->db_opt, 0);
    if (err)
        goto done;
    if (a->efficiency) {
        if ((err = study_efficiency_db(&panel, &eff, &eff_firm, &neff, db, &o, a->from, a->to)))
            goto done;
        as_note("efficiency beta: %d firms, %s..%s, stored in study_efficiency", neff, a->from,
                a->to);
        estudy_result none = {0};
        estudy_report rep = {.r = &none, .panel = &panel, .eff = eff, .eff_firm = eff_firm,
                             .neff = neff};
        err = estudy_write(stdout, a->fmt, &rep);
        goto done;
    }
    if ((err = study_run_db(&run, db, &o)))
        goto done;
    int nskip = 0;
    for (int e = 0; e < run.nevents; e++)
        nskip += run.res.firm[e].status != ESTUDY_OK;
    if (nskip)
        as_warn("%d of %d firms have no result (see the status column)", nskip, run.nevents);
    as_note("study %lld stored: %d firms, day 0 = first session on or after %s", run.study_id,
            run.nevents, a->event);
    estudy_report rep = {.r = &run.res, .panel = &run.panel, .events = run.events,
                         .sectors = (const char *const *)run.sectors, .nsectors = run.nsectors};
    err = estudy_write(stdout, a->fmt, &rep);
done:
    study_db_run_free(&run);
    estudy_panel_free(&panel);
    free(eff);
    free(eff_firm);
    split_free(tick, ntick);
    db_close(db);
    return err ? as_error_last(err) : cli_finish(AS_EXIT_OK);
}

int cmd_study(cli_ctx *ctx, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        study_usage(stdout);
        return cli_finish(AS_EXIT_OK);
    }
    enum { O_PRICES = 256, O_EVENTS, O_MARKET, O_FACTORS, O_RETURNS, O_EST, O_WIN,
           O_MODEL, O_LOG, O_FORMAT, O_COMPAT, O_MINOBS, O_SCORES, O_FROM, O_TO,
           O_EVENT, O_TICKERS, O_ALL, O_EFF, O_BETA };
    static const struct option opts[] = {
        {"prices", required_argument, 0, O_PRICES}, {"events", required_argument, 0, O_EVENTS},
        {"market", required_argument, 0, O_MARKET}, {"factors", required_argument, 0, O_FACTORS},
        {"returns", no_argument, 0, O_RETURNS}, {"estimation", required_argument, 0, O_EST},
        {"window", required_argument, 0, O_WIN}, {"model", required_argument, 0, O_MODEL},
        {"log", no_argument, 0, O_LOG}, {"format", required_argument, 0, O_FORMAT},
        {"compat", required_argument, 0, O_COMPAT}, {"min-obs", required_argument, 0, O_MINOBS},
        {"scores", required_argument, 0, O_SCORES}, {"from", required_argument, 0, O_FROM},
        {"to", required_argument, 0, O_TO}, {"event", required_argument, 0, O_EVENT},
        {"tickers", required_argument, 0, O_TICKERS}, {"all", no_argument, 0, O_ALL},
        {"efficiency", no_argument, 0, O_EFF}, {"beta", required_argument, 0, O_BETA},
        {0, 0, 0, 0}};
    const char *prices = NULL, *events_path = NULL, *market_name = NULL, *factors = NULL;
    const char *scores_path = NULL, *from_s = NULL, *to_s = NULL;
    const char *event_s = NULL, *tickers_s = NULL;
    int all = 0, efficiency = 0;
    int is_returns = 0, log_returns = 0, nwin_given = 0;
    estudy_format fmt = ESTUDY_FORMAT_TABLE;
    estudy_config cfg;
    estudy_config_default(&cfg);
    as_err err = AS_OK;
    long v;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_PRICES: prices = optarg; break;
        case O_EVENTS: events_path = optarg; break;
        case O_MARKET: market_name = optarg; break;
        case O_FACTORS: factors = optarg; break;
        case O_RETURNS: is_returns = 1; break;
        case O_LOG: log_returns = 1; break;
        case O_SCORES: scores_path = optarg; break;
        case O_FROM: from_s = optarg; break;
        case O_TO: to_s = optarg; break;
        case O_EVENT: event_s = optarg; break;
        case O_TICKERS: tickers_s = optarg; break;
        case O_ALL: all = 1; break;
        case O_EFF: efficiency = 1; break;
        case O_EST: {
            estudy_window w;
            if ((err = estudy_window_parse(&w, "--estimation", optarg)))
                return as_error_last(err);
            cfg.est_start = w.start;
            cfg.est_end = w.end;
            break;
        }
        case O_WIN:
            if (nwin_given == ESTUDY_MAX_WINDOWS) {
                as_error("--window: at most %d windows", ESTUDY_MAX_WINDOWS);
                return AS_EXIT_USAGE;
            }
            if ((err = estudy_window_parse(&cfg.windows[nwin_given], "--window", optarg)))
                return as_error_last(err);
            cfg.nwindows = ++nwin_given;
            break;
        case O_MODEL:
            if (strcmp(optarg, "market") == 0)
                cfg.model = ESTUDY_MODEL_MARKET;
            else if (strcmp(optarg, "market-adjusted") == 0)
                cfg.model = ESTUDY_MODEL_MARKET_ADJUSTED;
            else if (strcmp(optarg, "mean-adjusted") == 0)
                cfg.model = ESTUDY_MODEL_MEAN_ADJUSTED;
            else if (strcmp(optarg, "factor") == 0)
                cfg.model = ESTUDY_MODEL_FACTOR;
            else {
                as_error("--model: '%s' is not market, market-adjusted, mean-adjusted or "
                         "factor", optarg);
                return AS_EXIT_USAGE;
            }
            break;
        case O_FORMAT:
            if (strcmp(optarg, "table") == 0)
                fmt = ESTUDY_FORMAT_TABLE;
            else if (strcmp(optarg, "csv") == 0)
                fmt = ESTUDY_FORMAT_CSV;
            else if (strcmp(optarg, "json") == 0)
                fmt = ESTUDY_FORMAT_JSON;
            else {
                as_error("--format: '%s' is not table, csv or json", optarg);
                return AS_EXIT_USAGE;
            }
            break;
        case O_COMPAT:
            if (strcmp(optarg, "estudy") != 0) {
                as_error("--compat: '%s' is not 'estudy'", optarg);
                return AS_EXIT_USAGE;
            }
            cfg.compat = ESTUDY_COMPAT_STATA_ESTUDY;
            break;
        case O_BETA:
            if ((err = estudy_beta_parse(&cfg, "--beta", optarg)))
                return as_error_last(err);
            break;
        case O_MINOBS:
            if (cli_parse_int("--min-obs", optarg, 3, 100000, &v))
                return AS_EXIT_USAGE;
            cfg.min_est_obs = (int)v;
            break;
        default:
            as_error("study: unknown or incomplete option '%s' (see `aftershock study -h`)",
                     argv[optind - 1]);
            return AS_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        as_error("study: unexpected argument '%s'", argv[optind]);
        return AS_EXIT_USAGE;
    }
    if (cfg.beta != ESTUDY_BETA_OLS) {
        if (cfg.model != ESTUDY_MODEL_MARKET) {
            as_error("--beta: Scholes-Williams and Dimson betas are for the market model, "
                     "not --model %s", cfg.model == ESTUDY_MODEL_FACTOR ? "factor"
                     : cfg.model == ESTUDY_MODEL_MEAN_ADJUSTED ? "mean-adjusted"
                                                               : "market-adjusted");
            return AS_EXIT_USAGE;
        }
        if (cfg.compat == ESTUDY_COMPAT_STATA_ESTUDY) {
            as_error("--beta: Stata estudy has no thin-trading beta; --compat estudy takes "
                     "--beta ols");
            return AS_EXIT_USAGE;
        }
        if (efficiency || scores_path) {
            as_error("--beta: the efficiency beta's market model is OLS; run it without "
                     "--beta");
            return AS_EXIT_USAGE;
        }
    }
    if (event_s || efficiency || tickers_s || all) {
        if (prices || events_path || factors || scores_path || is_returns) {
            as_error("study: --prices, --events, --factors, --scores and --returns are file "
                     "mode; --event, --efficiency, --tickers and --all are database mode");
            return AS_EXIT_USAGE;
        }
        cfg.log_returns = log_returns || cfg.compat == ESTUDY_COMPAT_STATA_ESTUDY;
        study_db_args a = {.event = event_s, .tickers = tickers_s, .all = all,
                           .efficiency = efficiency, .from = from_s, .to = to_s,
                           .market = market_name ? market_name : "SPY", .fmt = fmt};
        return study_db_mode(ctx, &a, &cfg);
    }
    if (!prices || !events_path || (!market_name && cfg.model != ESTUDY_MODEL_MEAN_ADJUSTED)) {
        as_error("study: --prices, --events and --market are required (see -h)");
        return AS_EXIT_USAGE;
    }
    if (cfg.model == ESTUDY_MODEL_FACTOR && !factors) {
        as_error("study: --model factor needs --factors FILE");
        return AS_EXIT_USAGE;
    }
    if (scores_path && (!from_s || !to_s)) {
        as_error("study: --scores needs --from DATE and --to DATE");
        return AS_EXIT_USAGE;
    }
    /* estudy computes ln(P_t/P_t-1) from prices; reproduce it. */
    if (cfg.compat == ESTUDY_COMPAT_STATA_ESTUDY && !is_returns)
        log_returns = 1;
    cfg.log_returns = log_returns;

    estudy_panel panel = {0};
    estudy_event *events = NULL;
    char **sectors = NULL;
    int nevents = 0, nsectors = 0, nmoved = 0, nfac = 0;
    int *facidx = NULL, *eff_firm = NULL;
    double *score = NULL;
    estudy_effbeta *eff = NULL;
    estudy_result res = {0};
    int neff = 0;

    int ret_flags = (log_returns ? ESTUDY_RET_LOG : 0) |
                    (cfg.compat == ESTUDY_COMPAT_STATA_ESTUDY ? ESTUDY_RET_NO_GAPS : 0);
    if ((err = estudy_csv_load_panel(&panel, prices, is_returns, ret_flags, factors, &nfac)))
        goto done;
    int market = -1;
    if (market_name && (market = estudy_panel_find(&panel, market_name)) < 0) {
        err = as_fail(AS_ERR_NOT_FOUND, "'%s': market '%s' is not a series in the file",
                      prices, market_name);
        goto done;
    }
    if (cfg.model == ESTUDY_MODEL_FACTOR && nfac > ESTUDY_MAX_FACTORS) {
        err = as_fail(AS_ERR_USAGE, "'%s': %d factor columns, at most %d", factors, nfac,
                      ESTUDY_MAX_FACTORS);
        goto done;
    }
    facidx = malloc((size_t)(nfac + 1) * sizeof *facidx);
    if (!facidx) {
        err = as_fail(AS_ERR_NOMEM, "study: no memory");
        goto done;
    }
    for (int i = 0; i < nfac; i++)
        facidx[i] = panel.nseries - nfac + i;
    if ((err = estudy_csv_load_events(&events, &nevents, &sectors, &nsectors, &nmoved,
                                      events_path, &panel, cfg.compat)))
        goto done;
    if (nmoved && cfg.compat == ESTUDY_COMPAT_STATA_ESTUDY)
        as_note("%d event date(s) fell on a weekend: the Monday is day +1 and there is no "
                "day 0, as in Stata estudy", nmoved);
    else if (nmoved)
        as_note("%d event date(s) were not trading days and moved to the next session",
                nmoved);
    struct timespec ts0, ts1, cs0, cs1;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cs0);
    err = estudy_run(&res, &panel, events, nevents, &cfg, market, facidx,
                     cfg.model == ESTUDY_MODEL_FACTOR ? nfac : 0,
                     (const char *const *)sectors, nsectors);
    if (err)
        goto done;
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cs1);
    /* The engine's own time, without parsing and output: what bench/ reads.
     * CPU time beside wall time, because on a shared machine the wall
     * clock also counts other people's work. */
    as_note("study: %d firm-events in %.3f s (engine; %.3f s CPU)", nevents,
            (double)(ts1.tv_sec - ts0.tv_sec) + 1e-9 * (double)(ts1.tv_nsec - ts0.tv_nsec),
            (double)(cs1.tv_sec - cs0.tv_sec) + 1e-9 * (double)(cs1.tv_nsec - cs0.tv_nsec));
    int nskip = 0, nmiss = 0, nzero = 0;
    for (int e = 0; e < nevents; e++) {
        nskip += res.firm[e].status != ESTUDY_OK;
        nmiss += res.firm[e].n_est_missing + res.firm[e].n_event_missing;
        nzero += res.firm[e].n_est_zero;
    }
    if (nskip)
        as_warn("%d of %d firm-events have no result (see the status column)", nskip, nevents);
    if (nmiss || nzero)
        as_note("missing returns: %d firm-days; zero returns (thin trading): %d firm-days",
                nmiss, nzero);

    if (scores_path) {
        int32_t d0, d1;
        if (estudy_date_parse(&d0, from_s, strlen(from_s)) ||
            estudy_date_parse(&d1, to_s, strlen(to_s))) {
            err = as_fail(AS_ERR_USAGE, "--from/--to: expected YYYY-MM-DD");
            goto done;
        }
        int from = -1, to = -1;
        for (int t = 0; t < panel.ndates; t++) {
            if (from < 0 && panel.dates[t] >= d0)
                from = t;
            if (panel.dates[t] <= d1)
                to = t;
        }
        if (from < 0 || to < from) {
            err = as_fail(AS_ERR_RANGE, "--from %s --to %s: no trading days in the data",
                          from_s, to_s);
            goto done;
        }
        if ((err = estudy_csv_load_scores(&score, scores_path, &panel)))
            goto done;
        eff = calloc((size_t)nevents, sizeof *eff);
        eff_firm = calloc((size_t)nevents, sizeof *eff_firm);
        if (!eff || !eff_firm) {
            err = as_fail(AS_ERR_NOMEM, "study: no memory");
            goto done;
        }
        for (int e = 0; e < nevents; e++) {
            int dup = 0;
            for (int i = 0; i < neff && !dup; i++)
                dup = eff_firm[i] == events[e].firm;
            if (dup)
                continue;
            eff_firm[neff] = events[e].firm;
            if ((err = estudy_efficiency_beta(&eff[neff], &panel, events[e].firm, market,
                                              score, from, to, &cfg)))
                goto done;
            neff++;
        }
    }
    estudy_report rep = {.r = &res, .panel = &panel, .events = events,
                         .sectors = (const char *const *)sectors, .nsectors = nsectors,
                         .eff = eff, .eff_firm = eff_firm, .neff = neff};
    err = estudy_write(stdout, fmt, &rep);

done:
    estudy_result_free(&res);
    estudy_panel_free(&panel);
    estudy_csv_free_sectors(sectors, nsectors);
    free(events);
    free(facidx);
    free(score);
    free(eff);
    free(eff_firm);
    return err ? as_error_last(err) : AS_EXIT_OK;
}
