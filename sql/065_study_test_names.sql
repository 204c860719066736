-- 065_study_test_names.sql -- a study run with --compat estudy stores Stata
-- estudy's own tests in two of the eight slots (analytics/estudy_compat.c):
-- say so where analysts read the column's meaning.
COMMENT ON COLUMN study_tests.test IS 'csect_t (Brown & Warner 1985), patell (1976), bmp (Boehmer et al. 1991), kp_patell and kp_bmp (Kolari & Pynnonen 2010), corrado_rank (Corrado 1989), gen_sign (Cowan 1992), wilcoxon; a study with compat = estudy (studies.compat) has estudy''s norm in place of csect_t and grank (Kolari & Pynnonen 2011) in place of corrado_rank, and estudy''s conventions in the others (README, the event study).';
