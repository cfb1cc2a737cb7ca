/* SPDX-License-Identifier: MIT */
/* Unit tests of the knob parser (preload/config.c), good and bad inputs. */
#include <stdlib.h>

#include "config.h"
#include "tap.h"

static const struct {
	const char *in;
	int ok;
	int64_t ns;
} durations[] = {
	{ "1ns", 1, 1 },
	{ "0", 1, 0 },
	{ "0ns", 1, 0 },
	{ "0.5s", 1, 500000000 },
	{ "1.5ms", 1, 1500000 },
	{ "100ms", 1, 100000000 },
	{ "250us", 1, 250000 },
	{ "2s", 1, 2000000000 },
	{ "0.000000001s", 1, 1 },
	{ "1.000us", 1, 1000 },
	{ "9223372036s", 1, 9223372036000000000LL },
	{ "9223372036854775807ns", 1, INT64_MAX },
	{ "9223372036854775808ns", 0, 0 },	/* overflow */
	{ "9223372037s", 0, 0 },		/* overflow */
	{ "99999999999999999999999s", 0, 0 },	/* huge */
	{ "", 0, 0 },				/* empty */
	{ " 1ms", 0, 0 },			/* spaces */
	{ "1ms ", 0, 0 },
	{ "1 ms", 0, 0 },
	{ "-1ms", 0, 0 },			/* negative */
	{ "1e999", 0, 0 },
	{ "1e3ms", 0, 0 },
	{ "1.5.5ms", 0, 0 },
	{ "5", 0, 0 },				/* missing unit */
	{ "1.5", 0, 0 },
	{ "5m", 0, 0 },				/* unknown unit */
	{ "5h", 0, 0 },
	{ "5MS", 0, 0 },
	{ "5sec", 0, 0 },
	{ "NaN", 0, 0 },
	{ "nan", 0, 0 },
	{ "inf", 0, 0 },
	{ "0x10ms", 0, 0 },
	{ ".5s", 0, 0 },
	{ "1.ms", 0, 0 },
	{ "0.5ns", 0, 0 },			/* finer than 1 ns */
	{ "\xc3\xa9" "1ms", 0, 0 },		/* non-ASCII */
	{ "1\xc2\xb5s", 0, 0 },			/* µs is not a unit */
	{ "+1ms", 0, 0 },
	{ "ms", 0, 0 },
};

static const struct {
	const char *in;
	int ok;
	enum ft_sleep_mode mode;
	int64_t lo, hi;
	uint64_t scale;
} sleeps[] = {
	{ "off", 1, FT_SLEEP_OFF, 0, 0, 0 },
	{ "1ns", 1, FT_SLEEP_FIXED, 1, 1, 0 },
	{ "100ms", 1, FT_SLEEP_FIXED, 100000000, 100000000, 0 },
	{ "0", 1, FT_SLEEP_FIXED, 0, 0, 0 },
	{ "1ms..5ms", 1, FT_SLEEP_RANGE, 1000000, 5000000, 0 },
	{ "0..1s", 1, FT_SLEEP_RANGE, 0, 1000000000, 0 },
	{ "1.5ms..2ms", 1, FT_SLEEP_RANGE, 1500000, 2000000, 0 },
	{ "2ms..2ms", 1, FT_SLEEP_RANGE, 2000000, 2000000, 0 },
	{ "x2", 1, FT_SLEEP_SCALE, 0, 0, 2000000000 },
	{ "x0.01", 1, FT_SLEEP_SCALE, 0, 0, 10000000 },
	{ "x0", 1, FT_SLEEP_SCALE, 0, 0, 0 },
	{ "x1000000", 1, FT_SLEEP_SCALE, 0, 0, 1000000000000000ULL },
	{ "x1000001", 0, 0, 0, 0, 0 },
	{ "x1000000.5", 0, 0, 0, 0, 0 },
	{ "x999999.999999999", 1, FT_SLEEP_SCALE, 0, 0, 999999999999999ULL },
	{ "x", 0, 0, 0, 0, 0 },
	{ "x-1", 0, 0, 0, 0, 0 },
	{ "x1.0000000001", 0, 0, 0, 0, 0 },
	{ "xNaN", 0, 0, 0, 0, 0 },
	{ "x2ms", 0, 0, 0, 0, 0 },
	{ "5..1ms", 0, 0, 0, 0, 0 },		/* missing unit on A */
	{ "5ms..1ms", 0, 0, 0, 0, 0 },		/* A > B */
	{ "1ms..", 0, 0, 0, 0, 0 },
	{ "..1ms", 0, 0, 0, 0, 0 },
	{ "1ms...2ms", 0, 0, 0, 0, 0 },
	{ "1ms..2ms..3ms", 0, 0, 0, 0, 0 },
	{ "OFF", 0, 0, 0, 0, 0 },
	{ "on", 0, 0, 0, 0, 0 },
	{ "", 0, 0, 0, 0, 0 },
};

static const struct {
	const char *in;
	int ok;
	uint64_t ppb;
} fractions[] = {
	{ "0", 1, 0 }, { "1", 1, FT_PPB }, { "0.5", 1, 500000000 },
	{ "1.0", 1, FT_PPB }, { "0.000000001", 1, 1 },
	{ "0.25", 1, 250000000 }, { "1.000000001", 0, 0 }, { "2", 0, 0 },
	{ "-0.5", 0, 0 }, { "50%", 0, 0 }, { "", 0, 0 }, { ".5", 0, 0 },
	{ "0.5 ", 0, 0 }, { "0.0000000001", 0, 0 }, { "nan", 0, 0 },
};

static const struct {
	const char *in;
	int ok;
	uint64_t seed;
} seeds[] = {
	{ "0", 1, 0 }, { "42", 1, 42 },
	{ "18446744073709551615", 1, UINT64_MAX },
	{ "18446744073709551616", 0, 0 }, { "-1", 0, 0 }, { "0x10", 0, 0 },
	{ "", 0, 0 }, { "1 ", 0, 0 }, { "random", 0, 0 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_parsers(void)
{
	const char *why;
	size_t i;

	for (i = 0; i < N(durations); i++) {
		int64_t ns = -7;
		int r = ft_parse_duration(durations[i].in, &ns, &why);

		if (durations[i].ok) {
			is_int(r, 0, "duration '%s' parses", durations[i].in);
			is_int(ns, durations[i].ns, "duration '%s' value",
			       durations[i].in);
		} else {
			is_int(r, -1, "duration '%s' is rejected",
			       durations[i].in);
		}
	}
	for (i = 0; i < N(sleeps); i++) {
		struct ft_sleep_policy p;
		int r = ft_parse_sleep(sleeps[i].in, &p, &why);

		if (!sleeps[i].ok) {
			is_int(r, -1, "sleep '%s' is rejected", sleeps[i].in);
			continue;
		}
		is_int(r, 0, "sleep '%s' parses", sleeps[i].in);
		ok(p.mode == sleeps[i].mode && p.lo_ns == sleeps[i].lo &&
			   p.hi_ns == sleeps[i].hi &&
			   p.scale_ppb == sleeps[i].scale,
		   "sleep '%s' value", sleeps[i].in);
	}
	for (i = 0; i < N(fractions); i++) {
		uint64_t ppb = 7;
		int r = ft_parse_fraction(fractions[i].in, &ppb, &why);

		is_int(r, fractions[i].ok ? 0 : -1, "fraction '%s' %s",
		       fractions[i].in,
		       fractions[i].ok ? "parses" : "is rejected");
		if (fractions[i].ok)
			is_u64(ppb, fractions[i].ppb, "fraction '%s' value",
			       fractions[i].in);
	}
	for (i = 0; i < N(seeds); i++) {
		uint64_t s = 7;
		int r = ft_parse_seed(seeds[i].in, &s, &why);

		is_int(r, seeds[i].ok ? 0 : -1, "seed '%s' %s", seeds[i].in,
		       seeds[i].ok ? "parses" : "is rejected");
		if (seeds[i].ok)
			is_u64(s, seeds[i].seed, "seed '%s' value",
			       seeds[i].in);
	}
}

static int parse_env(const char **env, struct ft_config *cfg, char *err,
		     size_t errlen)
{
	return ft_config_parse(cfg, (char *const *)env, err, errlen);
}

static void test_config(void)
{
	struct ft_config cfg;
	char err[1024];
	const char *defaults[] = { "HOME=/root", NULL };
	const char *good[] = { "FLAKETRAP_SLEEP=1ms..2ms", "FLAKETRAP_SLEEP_MIN=5us",
			 "FLAKETRAP_SLEEP_PROB=0.5", "FLAKETRAP_SEED=99",
			 "FLAKETRAP_LOG=/tmp/x", "FLAKETRAP_LIB=/l.so",
			 "PATH=/bin", NULL };
	const char *typo[] = { "FLAKETRAP_SLEP=1ns", NULL };
	const char *typo2[] = { "FLAKETRAP_SLEEP_PORB=1", NULL };
	const char *unknown[] = { "FLAKETRAP_XYZZY=1", NULL };
	const char *bad[] = { "FLAKETRAP_SLEEP=5..1ms", NULL };
	const char *badmin[] = { "FLAKETRAP_SLEEP_MIN=1", NULL };
	const char *emptylog[] = { "FLAKETRAP_LOG=", NULL };
	const char *dup[] = { "FLAKETRAP_SLEEP=off", "FLAKETRAP_SLEEP=junk", NULL };
	const char *nonascii[] = { "FLAKETRAP_SEED=\x01\xff", NULL };
	const char *warp[] = { "FLAKETRAP_TIMERS=warp",
			       "FLAKETRAP_TIMER_GRACE=0", NULL };
	const char *badwarp[] = { "FLAKETRAP_TIMERS=on", NULL };

	is_int(parse_env(defaults, &cfg, err, sizeof(err)), 0, "no knob set");
	ok(cfg.sleep.mode == FT_SLEEP_FIXED && cfg.sleep.lo_ns == 1,
	   "default sleep is 1ns");
	is_u64(cfg.sleep_prob_ppb, FT_PPB, "default probability is 1");
	is_int(cfg.sleep_min_ns, 0, "default minimum is 0");
	is_int(cfg.seed_given, 0, "no seed by default");
	is_str(cfg.log_dir, "", "no log by default");
	is_str(cfg.text[FT_KNOB_sleep], "1ns", "default text kept for the log");

	is_int(parse_env(good, &cfg, err, sizeof(err)), 0, "every knob set");
	ok(cfg.sleep.mode == FT_SLEEP_RANGE && cfg.sleep.hi_ns == 2000000,
	   "range read");
	is_int(cfg.sleep_min_ns, 5000, "minimum read");
	is_u64(cfg.sleep_prob_ppb, FT_PPB / 2, "probability read");
	ok(cfg.seed_given && cfg.seed == 99, "seed read");
	is_str(cfg.log_dir, "/tmp/x", "log read");
	is_str(cfg.text[FT_KNOB_sleep], "1ms..2ms", "text kept");

	is_int(parse_env(typo, &cfg, err, sizeof(err)), -1, "typo rejected");
	is_str(err, "flaketrap: unknown variable FLAKETRAP_SLEP='1ns'; "
		    "did you mean FLAKETRAP_SLEEP?", "typo message");
	is_int(parse_env(typo2, &cfg, err, sizeof(err)), -1,
	       "second typo rejected");
	ok(strstr(err, "did you mean FLAKETRAP_SLEEP_PROB?") != NULL,
	   "closest name suggested: %s", err);
	is_int(parse_env(unknown, &cfg, err, sizeof(err)), -1,
	       "unknown name rejected");
	ok(strstr(err, "known: FLAKETRAP_SLEEP ") != NULL,
	   "far name lists the known ones: %s", err);
	is_int(parse_env(bad, &cfg, err, sizeof(err)), -1, "bad value");
	ok(strncmp(err, "flaketrap: FLAKETRAP_SLEEP='5..1ms': ", 37) == 0 &&
		   strstr(err, "expected DUR, A..B, xF or off") &&
		   !strchr(err, '\n'),
	   "one line naming variable, value and form: %s", err);
	is_int(parse_env(badmin, &cfg, err, sizeof(err)), -1, "bad minimum");
	ok(strstr(err, "missing unit") != NULL, "says why: %s", err);
	is_int(parse_env(emptylog, &cfg, err, sizeof(err)), -1,
	       "empty log rejected");
	is_int(parse_env(dup, &cfg, err, sizeof(err)), 0,
	       "first of duplicates wins, as getenv");
	is_int(cfg.sleep.mode, FT_SLEEP_OFF, "first duplicate used");
	is_int(parse_env(nonascii, &cfg, err, sizeof(err)), -1,
	       "control and non-ASCII bytes rejected");
	ok(strstr(err, "'\\x01\\xff'") != NULL, "and shown escaped: %s", err);
	is_int(parse_env(defaults, &cfg, err, sizeof(err)), 0, "defaults again");
	ok(cfg.timers == FT_TIMERS_OFF && cfg.timer_grace_ns == 1000000,
	   "timers off, grace 1ms by default");
	is_int(parse_env(warp, &cfg, err, sizeof(err)), 0, "warp read");
	ok(cfg.timers == FT_TIMERS_WARP && cfg.timer_grace_ns == 0,
	   "warp with no grace");
	is_int(parse_env(badwarp, &cfg, err, sizeof(err)), -1, "bad timers");
	ok(strstr(err, "neither off, warp nor idle; expected off, warp or idle") != NULL,
	   "says why and what: %s", err);
	is_int(parse_env(bad, &cfg, err, 16), -1, "small error buffer");
	is_int((int)strlen(err), 15, "message cut, still terminated");
}

static const struct {
	const char *in;
	int ok;
	int64_t lo, hi;
} delays[] = {
	{ "off", 1, 0, 0 },
	{ "0", 1, 0, 0 },
	{ "0..0", 1, 0, 0 },
	{ "100ms", 1, 100000000, 100000000 },
	{ "0..200ms", 1, 0, 200000000 },
	{ "50ms..100ms", 1, 50000000, 100000000 },
	{ "x2", 0, 0, 0 },
	{ "", 0, 0, 0 },
	{ "5", 0, 0, 0 },
	{ "2ms..1ms", 0, 0, 0 },
	{ "1ms..", 0, 0, 0 },
	{ "on", 0, 0, 0 },
};

static void test_delays(void)
{
	const char *why;
	size_t i;

	for (i = 0; i < N(delays); i++) {
		struct ft_delay d = { 7, 7 };
		int r = ft_parse_delay(delays[i].in, &d, &why);

		if (!delays[i].ok) {
			is_int(r, -1, "delay '%s' is rejected", delays[i].in);
			continue;
		}
		is_int(r, 0, "delay '%s' parses", delays[i].in);
		ok(d.lo_ns == delays[i].lo && d.hi_ns == delays[i].hi,
		   "delay '%s' value", delays[i].in);
	}
}

int main(void)
{
	test_parsers();
	test_delays();
	test_config();
	return done_testing();
}
