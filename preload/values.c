/* SPDX-License-Identifier: MIT */
/*
 * The grammar of the knobs' values: durations, fractions, seeds, counts,
 * switches, signals, sleep policies and delays, each parsed whole or
 * refused with a reason. Pure code, as config.c, which applies them.
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "fmt.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * A decimal number "D[.D]" at *sp: integer part in *ip, up to max_frac
 * fraction digits in *fp (their count in *nfrac). Leaves *sp after it.
 */
static int parse_decimal(const char **sp, uint64_t *ip, uint64_t *fp,
			 unsigned *nfrac, unsigned max_frac, const char **why)
{
	const char *s = *sp;

	*ip = 0;
	*fp = 0;
	*nfrac = 0;
	if (*s == '-') {
		*why = "negative values are not allowed";
		return -1;
	}
	if (!is_digit(*s)) {
		*why = "not a number";
		return -1;
	}
	for (; is_digit(*s); s++) {
		if (*ip > (UINT64_MAX - 9) / 10) {
			*why = "too large";
			return -1;
		}
		*ip = *ip * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.' && s[1] != '.') {
		s++;
		if (!is_digit(*s)) {
			*why = "a digit must follow the decimal point";
			return -1;
		}
		for (; is_digit(*s); s++) {
			if (*nfrac == max_frac) {
				*why = "too many decimals";
				return -1;
			}
			*fp = *fp * 10 + (uint64_t)(*s - '0');
			(*nfrac)++;
		}
	}
	*sp = s;
	return 0;
}

static uint64_t pow10u(unsigned n)
{
	uint64_t p = 1;

	while (n--)
		p *= 10;
	return p;
}

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
};

int ft_parse_duration(const char *s, int64_t *ns, const char **why)
{
	uint64_t ip, fp, unit = 0;
	unsigned nfrac, i;
	unsigned __int128 total, frac;

	if (*s == '\0') {
		*why = "empty value";
		return -1;
	}
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	if (strchr(s, ' ') || strchr(s, '\t')) {
		*why = "contains a space";
		return -1;
	}
	if (parse_decimal(&s, &ip, &fp, &nfrac, 18, why))
		return -1;
	if (*s == '\0') {
		*why = "missing unit";
		return -1;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s, units[i].name) == 0)
			unit = units[i].ns;
	if (!unit) {
		*why = (*s == '.' || is_digit(*s)) ? "not a number"
						   : "unknown unit";
		return -1;
	}
	frac = (unsigned __int128)fp * unit;
	if (frac % pow10u(nfrac)) {
		*why = "finer than 1ns";
		return -1;
	}
	total = (unsigned __int128)ip * unit + frac / pow10u(nfrac);
	if (total > INT64_MAX) {
		*why = "too large";
		return -1;
	}
	*ns = (int64_t)total;
	return 0;
}

/* Parse the fixed-point number s (at most 9 decimals) into parts per 1e9. */
static int parse_ppb(const char *s, uint64_t max_int, uint64_t *ppb,
		     const char **why)
{
	uint64_t ip, fp;
	unsigned nfrac;

	if (*s == '\0') {
		*why = "empty value";
		return -1;
	}
	if (parse_decimal(&s, &ip, &fp, &nfrac, 9, why))
		return -1;
	if (*s != '\0') {
		*why = "not a number";
		return -1;
	}
	if (ip > max_int) {
		*why = "too large";
		return -1;
	}
	*ppb = ip * FT_PPB + fp * pow10u(9 - nfrac);
	return 0;
}

int ft_parse_fraction(const char *s, uint64_t *ppb, const char **why)
{
	if (parse_ppb(s, FT_PPB, ppb, why))
		return -1;
	if (*ppb > FT_PPB) {
		*why = "greater than 1";
		return -1;
	}
	return 0;
}

int ft_parse_seed(const char *s, uint64_t *seed, const char **why)
{
	uint64_t v = 0;

	if (*s == '\0') {
		*why = "empty value";
		return -1;
	}
	for (; *s; s++) {
		if (!is_digit(*s)) {
			*why = "not a decimal integer";
			return -1;
		}
		if (v > UINT64_MAX / 10 ||
		    v * 10 > UINT64_MAX - (uint64_t)(*s - '0')) {
			*why = "too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*seed = v;
	return 0;
}

int ft_parse_leaks(const char *s, unsigned *mask, const char **why)
{
	const char *end;
	size_t n;

	*mask = 0;
	if (strcmp(s, "off") == 0)
		return 0;
	if (*s == '\0') {
		*why = "empty value";
		return -1;
	}
	for (;;) {
		end = strchr(s, ',');
		n = end ? (size_t)(end - s) : strlen(s);
		if (n == 8 && strncmp(s, "children", n) == 0) {
			*mask |= FT_LEAK_CHILDREN;
		} else if (n == 7 && strncmp(s, "threads", n) == 0) {
			*mask |= FT_LEAK_THREADS;
		} else {
			*why = "unknown kind of leak";
			return -1;
		}
		if (!end)
			return 0;
		s = end + 1;
	}
}

int ft_parse_count(const char *s, unsigned max, unsigned *n, const char **why)
{
	uint64_t v;

	if (ft_parse_seed(s, &v, why))
		return -1;
	if (v > max) {
		*why = "too large";
		return -1;
	}
	*n = (unsigned)v;
	return 0;
}

int ft_parse_switch(const char *s, int *on, const char **why)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "1") == 0) {
		*on = 1;
		return 0;
	}
	if (strcmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		*on = 0;
		return 0;
	}
	*why = "neither on nor off";
	return -1;
}

int ft_parse_timers(const char *s, int *mode, const char **why)
{
	if (strcmp(s, "off") == 0) {
		*mode = FT_TIMERS_OFF;
		return 0;
	}
	if (strcmp(s, "warp") == 0) {
		*mode = FT_TIMERS_WARP;
		return 0;
	}
	if (strcmp(s, "idle") == 0) {
		*mode = FT_TIMERS_IDLE;
		return 0;
	}
	*why = "neither off, warp nor idle";
	return -1;
}

static const struct {
	int sig;
	const char *name;
} signal_names[] = {
	{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
	{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
	{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
	{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },
	{ SIGSTKFLT, "STKFLT" }, { SIGCHLD, "CHLD" }, { SIGCONT, "CONT" },
	{ SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" },
	{ SIGTTOU, "TTOU" }, { SIGURG, "URG" }, { SIGXCPU, "XCPU" },
	{ SIGXFSZ, "XFSZ" }, { SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" },
	{ SIGWINCH, "WINCH" }, { SIGIO, "IO" }, { SIGPWR, "PWR" },
	{ SIGSYS, "SYS" },
};

const char *ft_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (signal_names[i].sig == sig)
			return signal_names[i].name;
	return NULL;
}

int ft_parse_signal(const char *s, int *sig, const char **why)
{
	unsigned n;
	size_t i;

	if (strcmp(s, "off") == 0) {
		*sig = 0;
		return 0;
	}
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	*sig = -1;
	if (is_digit(*s)) {
		if (ft_parse_count(s, NSIG - 1, &n, why))
			return -1;
		*sig = (int)n;
	} else if (strncmp(s, "RTMIN", 5) == 0 || strncmp(s, "RTMAX", 5) == 0) {
		n = 0;
		if (s[5] != '\0' &&
		    (s[5] != (s[4] == 'N' ? '+' : '-') ||
		     ft_parse_count(s + 6, NSIG, &n, why))) {
			*why = "not RTMIN+N or RTMAX-N";
			return -1;
		}
		*sig = s[4] == 'N' ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
		if (*sig < SIGRTMIN || *sig > SIGRTMAX) {
			*why = "outside the realtime signals";
			return -1;
		}
	} else {
		for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]);
		     i++)
			if (strcmp(s, signal_names[i].name) == 0)
				*sig = signal_names[i].sig;
		if (*sig < 0) {
			*why = "unknown signal";
			return -1;
		}
	}
	if (*sig == 0 || *sig == SIGKILL || *sig == SIGSTOP) {
		*why = "not a signal a handler can catch";
		return -1;
	}
	return 0;
}

#define FT_SCALE_MAX 1000000

int ft_parse_sleep(const char *s, struct ft_sleep_policy *p,
		   const char **why)
{
	const char *dots;
	char lo[64];

	memset(p, 0, sizeof(*p));
	if (strcmp(s, "off") == 0) {
		p->mode = FT_SLEEP_OFF;
		return 0;
	}
	if (s[0] == 'x') {
		p->mode = FT_SLEEP_SCALE;
		if (parse_ppb(s + 1, FT_SCALE_MAX, &p->scale_ppb, why) == 0 &&
		    p->scale_ppb <= FT_SCALE_MAX * FT_PPB)
			return 0;
		if (p->scale_ppb > FT_SCALE_MAX * FT_PPB ||
		    strcmp(*why, "too large") == 0)
			*why = "factor too large (at most x1000000)";
		return -1;
	}
	dots = strstr(s, "..");
	if (!dots) {
		p->mode = FT_SLEEP_FIXED;
		if (ft_parse_duration(s, &p->lo_ns, why))
			return -1;
		p->hi_ns = p->lo_ns;
		return 0;
	}
	p->mode = FT_SLEEP_RANGE;
	if ((size_t)(dots - s) >= sizeof(lo)) {
		*why = "range start too long";
		return -1;
	}
	memcpy(lo, s, (size_t)(dots - s));
	lo[dots - s] = '\0';
	if (ft_parse_duration(lo, &p->lo_ns, why) ||
	    ft_parse_duration(dots + 2, &p->hi_ns, why))
		return -1;
	if (p->lo_ns > p->hi_ns) {
		*why = "range start is greater than its end";
		return -1;
	}
	return 0;
}

int ft_parse_delay(const char *s, struct ft_delay *d, const char **why)
{
	struct ft_sleep_policy p;

	d->lo_ns = d->hi_ns = 0;
	if (s[0] == 'x') {
		*why = "a factor (xF) is not a delay";
		return -1;
	}
	if (ft_parse_sleep(s, &p, why))
		return -1;
	if (p.mode != FT_SLEEP_OFF) {
		d->lo_ns = p.lo_ns;
		d->hi_ns = p.hi_ns;
	}
	return 0;
}
