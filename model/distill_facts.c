/*
 * distill_facts.c -- the random study generator behind distill_random_sheet().
 *
 * Distributions (percent units) chosen to cover what AI-efficiency news did
 * in 2023-2025, including shocks like 2025-01-27: market move N(0, 1.3);
 * sector shock N(0, 3.5) with a 15% chance of a crash-sized N(0, 9); stock
 * shock N(0, 2.5); beta U(0.6, 1.8); residual s.d. U(1.2, 3.5); market
 * capitalisation log-uniform 15..3000 USD bn; estimation window mostly the
 * study's default 240 days (250..11 before the event), else 120..250, with a
 * 15% chance of a thin one (30..119 days) so caveats appear; zero to four
 * CAR windows from the study defaults and common alternatives; zero to four
 * headlines, half of them real ones from the bundled news of January 2025
 * (data/news/, numbers and punctuation included).  Sectors are the bundled
 * universe's (data/securities.csv, first word, as model/factsheet_db.c
 * writes them) plus a few more, each with up to ten tickers so a sheet's
 * sector can hold as many stocks as the demo's.  What matters is that the
 * student sees every shape of sheet the real studies produce: a shape it
 * never saw in training, it writes badly (the guard then falls back).
 */
#include "model/distill_facts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct rng {
    uint64_t s;
} rng;

/* splitmix64: reproducible across platforms, unlike rand(). */
static uint64_t rng_u64(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unif(rng *r)
{
    return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int rng_int(rng *r, int n)
{
    return (int)(rng_u64(r) % (uint64_t)n);
}

/* Box-Muller; one draw per call keeps the stream simple to reproduce. */
static double rng_normal(rng *r)
{
    double u = rng_unif(r), v = rng_unif(r);
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

typedef struct universe_entry {
    const char *ticker, *sector;
} universe_entry;

static const universe_entry universe[] = {
    {"NVDA", "Semiconductors"}, {"AVGO", "Semiconductors"}, {"TSM", "Semiconductors"},
    {"ASML", "Semiconductors"}, {"AMD", "Semiconductors"},  {"MU", "Semiconductors"},
    {"ARM", "Semiconductors"},  {"INTC", "Semiconductors"}, {"QCOM", "Semiconductors"},
    {"MRVL", "Semiconductors"}, {"MSFT", "Cloud"},          {"GOOGL", "Cloud"},
    {"META", "Cloud"},          {"AMZN", "Cloud"},          {"ORCL", "Cloud"},
    {"IBM", "Cloud"},           {"CRM", "Software"},        {"ADBE", "Software"},
    {"NOW", "Software"},        {"PLTR", "Software"},       {"NFLX", "Internet"},
    {"BABA", "Internet"},       {"VST", "Power"},           {"CEG", "Power"},
    {"NRG", "Power"},           {"TLN", "Power"},           {"SMCI", "Servers"},
    {"DELL", "Servers"},        {"HPE", "Servers"},         {"ANET", "Hardware"},
    {"VRT", "Hardware"},        {"ETN", "Hardware"},
};
#define N_UNIVERSE ((int)(sizeof universe / sizeof universe[0]))

static const char *const titles[] = {
    "DeepSeek releases R1 reasoning model trained at a fraction of the usual cost",
    "Chinese lab claims frontier-level AI model trained for under $6 million",
    "Open-weight model matches leading AI systems with far less compute",
    "New training method cuts AI chip needs, startup says",
    "AI start-up unveils efficient model that runs on older chips",
    "Research paper shows large language model trained with a tenth of the GPUs",
    "Cheap AI model tops app store rankings",
    "Tech giant announces model distillation breakthrough",
};
#define N_TITLES ((int)(sizeof titles / sizeof titles[0]))

typedef struct headline_entry {
    const char *source, *text;
} headline_entry;

/* The first eight written for the generator, the rest real (below). */
static const headline_entry heads[] = {
    {"Reuters", "Nasdaq drops as cheap Chinese AI model hits tech shares"},
    {"Bloomberg", "Chip stocks slide on fears of lower AI spending"},
    {"FT", "Investors question AI capital spending after efficiency claims"},
    {"WSJ", "Power stocks fall as data center demand doubts grow"},
    {"AP", "AI stocks rebound as analysts call sell-off overdone"},
    {"CNBC", "Efficient AI model sparks sell-off in chipmakers"},
    {"Reuters", "Tech shares mixed as traders weigh cheaper AI training"},
    {"Bloomberg", "Cloud providers say cheaper models will raise AI demand"},
    /* ...and real, from data/news/deepseek-2025-01.rss and .json (January 2025) */
    {"Reuters", "US power stocks plummet as DeepSeek raises data center demand doubts"},
    {"Longbridge", "Understanding the Market | Chip stocks generally under pressure, Hua Hong "
                   "Semiconductor down over 3%, SMIC down over 2%"},
    {"CNBC", "Nvidia drops nearly 17% as China's cheaper AI model DeepSeek sparks global tech "
             "sell-off"},
    {"Reuters", "Nasdaq, S&P 500 drop as China's DeepSeek AI model hits tech shares"},
    {"Reuters", "Nasdaq drops 3% as China's DeepSeek AI model hits tech shares"},
    {"NBC", "Nvidia loses nearly $600 billion in market value after Chinese AI startup bursts "
            "onto scene"},
    {"Bloomberg", "Nvidia's $465 bn plunge triggered by DeepSeek, largest in market history"},
    {"TipRanks", "Nvidia (NVDA) Sets New Record with $589 Billion Market Cap Loss"},
    {"DeepSeek", "今天，我们正式发布 DeepSeek-R1，并同步开源模型权重 (DeepSeek-R1 release; weights "
                 "open-sourced under MIT License) [opening sentence; no separate headline in "
                 "excerpt]"},
    {"YouTube", "This free Chinese AI just crushed OpenAI's $200 o1 model..."},
    {"Longbridge", "Nearly $600 billion evaporated! NVIDIA set a record for the largest "
                   "single-day market value loss in U.S. stock history"},
    {"EconoTimes", "US Power Stocks Tumble Amid DeepSeek AI Breakthrough"},
    {"AInvest", "DeepSeek AI Sparks $1 Trillion Market Rout, TSMC Falls 6%"},
    {"smol.ai", "DeepSeek #1 on US App Store, Nvidia stock tanks -17%"},
    {"Schaeffer's", "What to Expect After Nvidia's Major Market Cap Tumble"},
};
#define N_HEADS ((int)(sizeof heads / sizeof heads[0]))
static const char *const markets[] = {"SPY", "QQQ", "SPY", "^GSPC"};

/* A day of 2023-2025 as YYYY-MM-DD, and the day before it (for a headline
 * on the eve).  Weekends are not avoided: the date is a label here. */
static void random_date(char *out, rng *r, char *eve)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 2023 + rng_int(r, 3), m = 1 + rng_int(r, 12);
    int d = 2 + rng_int(r, mdays[m - 1] - 1); /* day >= 2 so the eve stays in the month */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
    snprintf(eve, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)(d - 1) % 100u);
}

as_err distill_random_sheet(factsheet *fs, uint64_t seed, int max_stocks)
{
    memset(fs, 0, sizeof *fs);
    rng r = {seed * 0x2545F4914F6CDD1Dull + 1};
    char eve[11];
    random_date(fs->date, &r, eve);
    fs->n_heads = rng_int(&r, 8) == 0 ? 0 : 1 + rng_int(&r, 4);
    for (int i = 0; i < fs->n_heads; i++) {
        fact_headline *h = &fs->heads[i];
        const headline_entry *he = &heads[rng_int(&r, N_HEADS)];
        memcpy(h->date, rng_int(&r, 4) ? fs->date : eve, 11);
        snprintf(h->source, sizeof h->source, "%s", he->source);
        snprintf(h->text, sizeof h->text, "%s", he->text);
    }
    /* the event's title: its top story, as the database's sheets have it, or a title */
    snprintf(fs->title, sizeof fs->title, "%s",
             fs->n_heads && rng_int(&r, 2) ? fs->heads[0].text : titles[rng_int(&r, N_TITLES)]);
    snprintf(fs->market, sizeof fs->market, "%s", markets[rng_int(&r, 4)]);
    fs->market_ret0 = 1.3 * rng_normal(&r);
    double sector_shock[8];
    for (int i = 0; i < 8; i++)
        sector_shock[i] = (rng_unif(&r) < 0.15 ? 9.0 : 3.5) * rng_normal(&r);
    int n = 1 + rng_int(&r, max_stocks < 1 ? 1 : max_stocks);
    if (n > N_UNIVERSE)
        n = N_UNIVERSE;
    int used[N_UNIVERSE] = {0};
    as_err e = AS_OK;
    for (int k = 0; k < n; k++) {
        /* stocks come in clusters, as a study's universe does: most draws
         * stay in the previous stock's sector while it has tickers left */
        int u = -1;
        if (k > 0 && rng_unif(&r) < 0.6) {
            const char *sec = fs->stocks[fs->n_stocks - 1].sector;
            int left = 0;
            for (int i = 0; i < N_UNIVERSE; i++)
                left += !used[i] && strcmp(universe[i].sector, sec) == 0;
            for (int i = 0, pick = left ? rng_int(&r, left) : -1; i < N_UNIVERSE && pick >= 0; i++)
                if (!used[i] && strcmp(universe[i].sector, sec) == 0 && pick-- == 0)
                    u = i;
        }
        while (u < 0 || used[u])
            u = rng_int(&r, N_UNIVERSE);
        used[u] = 1;
        fact_stock s = {0};
        snprintf(s.ticker, sizeof s.ticker, "%s", universe[u].ticker);
        snprintf(s.sector, sizeof s.sector, "%s", universe[u].sector);
        int si = (int)(strlen(s.sector) % 8); /* one shock per sector name */
        double beta = 0.6 + 1.2 * rng_unif(&r);
        double sd = 1.2 + 2.3 * rng_unif(&r);
        s.ar0 = sector_shock[si] + 2.5 * rng_normal(&r);
        s.ret0 = s.ar0 + beta * fs->market_ret0;
        s.t0 = s.ar0 / sd;
        double u_est = rng_unif(&r);
        s.n_est = u_est < 0.15 ? 30 + rng_int(&r, 90) : u_est < 0.75 ? 240 : 120 + rng_int(&r, 131);
        double cap = 15.0 * exp(log(200.0) * rng_unif(&r));
        s.mv_bn = s.ret0 / 100.0 * cap;
        /* the study's defaults first ([0,0] is day 0 itself and never
         * listed), then common alternatives; n_win in order from w0 */
        static const int wins[7][2] = {{-1, 1}, {-5, 5}, {0, 10}, {0, 1}, {0, 5}, {-2, 2},
                                       {-10, 10}};
        s.n_win = rng_int(&r, 5);
        if (s.n_win > FACT_MAX_WIN)
            s.n_win = FACT_MAX_WIN;
        int w0 = rng_int(&r, 2) ? 0 : rng_int(&r, 7);
        for (int w = 0; w < s.n_win; w++) {
            fact_window *fw = &s.win[w];
            fw->from = wins[(w0 + w) % 7][0];
            fw->to = wins[(w0 + w) % 7][1];
            double len = fw->to - fw->from + 1;
            fw->car = s.ar0 + sd * sqrt(len - 1) * rng_normal(&r);
            fw->t = fw->car / (sd * sqrt(len));
        }
        if ((e = factsheet_add_stock(fs, &s)) != AS_OK)
            goto fail;
    }
    factsheet_normalize(fs);
    for (int k = 0; k < fs->n_stocks; k++) {
        if (factsheet_find_sector(fs, fs->stocks[k].sector))
            continue;
        fact_sector sec = {0};
        snprintf(sec.name, sizeof sec.name, "%s", fs->stocks[k].sector);
        double sum = 0;
        for (int j = 0; j < fs->n_stocks; j++)
            if (strcmp(fs->stocks[j].sector, sec.name) == 0) {
                sum += fs->stocks[j].ar0;
                sec.n++;
            }
        sec.mean_ar0 = sum / sec.n;
        if ((e = factsheet_add_sector(fs, &sec)) != AS_OK)
            goto fail;
    }
    factsheet_normalize(fs);
    return AS_OK;
fail:
    factsheet_clear(fs);
    return e;
}
