/* SPDX-License-Identifier: MIT */
/*
 * Parsing and validation of the FLAKETRAP_* knobs, strict: a value that does
 * not parse whole is an error, never a silent default. Pure code (no
 * allocation, no globals written), shared by the library and the tool.
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "config.h"
#include "fmt.h"

const struct ft_knob ft_knobs[FT_NKNOBS] = {
#define FT_KNOB(field, name, kind, def, form, help) \
	[FT_KNOB_##field] = { name, kind, def, form, help },
#include "config.def"
#undef FT_KNOB
};

/* FLAKETRAP_LIB and FLAKETRAP_JEMALLOC tell the tool where the libraries
 * are; the tool sets FLAKETRAP_TIMERS_TREE for the warp object. */
const char *const ft_other_names[] = { "LIB", "JEMALLOC", "TIMERS_TREE",
				       NULL };

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

const char *const ft_delay_names[FT_NDELAYS] = {
	[FT_DELAY_WAITPID] = "waitpid",
	[FT_DELAY_EXIT] = "exit",
	[FT_DELAY_EXIT_LATE] = "exit_late",
	[FT_DELAY_THREAD] = "thread",
	[FT_DELAY_FORK_CHILD] = "fork_child",
	[FT_DELAY_FORK_PARENT] = "fork_parent",
};

/* The list a pattern knob fills; NULL for any other knob. */
static struct ft_patterns *patterns_of(struct ft_config *cfg, int knob)
{
	switch (knob) {
	case FT_KNOB_sleep_only:
		return &cfg->sleep_only;
	case FT_KNOB_sleep_skip:
		return &cfg->sleep_skip;
	case FT_KNOB_chaos_only:
		return &cfg->chaos_only;
	case FT_KNOB_chaos_skip:
		return &cfg->chaos_skip;
	}
	return NULL;
}

const char *ft_config_text(const struct ft_config *cfg, int knob)
{
	const struct ft_patterns *ps =
		patterns_of((struct ft_config *)cfg, knob);

	/* An unset list's text is never written: its pages stay untouched. */
	if (ps)
		return ps->n ? ps->text : "";
	return cfg->text[knob];
}

int ft_knob_find(const char *name, size_t len)
{
	int i;

	for (i = 0; i < FT_NKNOBS; i++)
		if (strlen(ft_knobs[i].name) == len &&
		    memcmp(ft_knobs[i].name, name, len) == 0)
			return i;
	return -1;
}

static int is_other_name(const char *name, size_t len)
{
	int i;

	for (i = 0; ft_other_names[i]; i++)
		if (strlen(ft_other_names[i]) == len &&
		    memcmp(ft_other_names[i], name, len) == 0)
			return 1;
	return 0;
}

/* An empty list, without writing the arrays it does not use. */
static void clear_patterns(struct ft_patterns *ps)
{
	ps->n = 0;
	ps->globs = 0;
}

/* Edit distance of a[0..alen) and b, for "did you mean"; capped length. */
static unsigned edit_distance(const char *a, size_t alen, const char *b)
{
	unsigned row[64], i, j, diag, up, best;
	size_t blen = strlen(b);

	if (alen > 63 || blen > 63)
		return 99;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= alen; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= blen; j++) {
			up = row[j];
			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[blen];
}

static void knob_error(struct ft_buf *b, const char *var, size_t namelen,
		       const char *value, const char *why, int knob)
{
	ft_buf_str(b, "flaketrap: ");
	ft_buf_mem(b, var, namelen);
	ft_buf_char(b, '=');
	ft_buf_quoted(b, value);
	ft_buf_str(b, ": ");
	ft_buf_str(b, why);
	ft_buf_str(b, "; expected ");
	ft_buf_str(b, ft_knobs[knob].form);
	if (ft_knobs[knob].kind == FT_KIND_SLEEP ||
	    ft_knobs[knob].kind == FT_KIND_DURATION)
		ft_buf_str(b, " (DUR: a number and a unit ns, us, ms or s,"
			      " as 1ns or 0.5s)");
}

static void unknown_error(struct ft_buf *b, const char *var, size_t namelen,
			  const char *value)
{
	const char *suffix = var + strlen(FT_ENV_PREFIX);
	size_t slen = namelen - strlen(FT_ENV_PREFIX);
	const char *best = NULL;
	unsigned d, bestd = 99;
	int i;

	for (i = 0; i < FT_NKNOBS; i++) {
		d = edit_distance(suffix, slen, ft_knobs[i].name);
		if (d < bestd) {
			bestd = d;
			best = ft_knobs[i].name;
		}
	}
	ft_buf_str(b, "flaketrap: unknown variable ");
	ft_buf_mem(b, var, namelen);
	ft_buf_char(b, '=');
	ft_buf_quoted(b, value);
	if (best && bestd <= 3 && bestd < strlen(best)) {
		ft_buf_str(b, "; did you mean " FT_ENV_PREFIX);
		ft_buf_str(b, best);
		ft_buf_str(b, "?");
	} else {
		ft_buf_str(b, "; known:");
		for (i = 0; i < FT_NKNOBS; i++) {
			ft_buf_str(b, " " FT_ENV_PREFIX);
			ft_buf_str(b, ft_knobs[i].name);
		}
	}
}

static void copy_text(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= FT_TEXT_MAX)
		n = FT_TEXT_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int set_knob(struct ft_config *cfg, int knob, const char *value,
		    const char **why)
{
	struct ft_patterns *ps = patterns_of(cfg, knob);

	if (ps)
		return ft_patterns_parse(value, ps, why);
	switch (knob) {
	case FT_KNOB_sleep:
		return ft_parse_sleep(value, &cfg->sleep, why);
	case FT_KNOB_sleep_min:
		return ft_parse_duration(value, &cfg->sleep_min_ns, why);
	case FT_KNOB_sleep_prob:
		return ft_parse_fraction(value, &cfg->sleep_prob_ppb, why);
	case FT_KNOB_seed:
		cfg->seed_given = 1;
		return ft_parse_seed(value, &cfg->seed, why);
	case FT_KNOB_log:
		if (*value == '\0') {
			*why = "empty value";
			return -1;
		}
		if (strlen(value) >= FT_PATH_MAX) {
			*why = "path too long";
			return -1;
		}
		strcpy(cfg->log_dir, value);
		return 0;
	case FT_KNOB_leaks:
		return ft_parse_leaks(value, &cfg->leaks, why);
	case FT_KNOB_backtrace:
		return ft_parse_count(value, FT_BACKTRACE_MAX, &cfg->backtrace,
				      why);
	case FT_KNOB_crash:
		return ft_parse_switch(value, &cfg->crash, why);
	case FT_KNOB_stack_signal:
		return ft_parse_signal(value, &cfg->stack_signal, why);
	case FT_KNOB_stack_timeout:
		return ft_parse_duration(value, &cfg->stack_timeout_ns, why);
	case FT_KNOB_stack_requests:
		return ft_parse_switch(value, &cfg->stack_requests, why);
	case FT_KNOB_waitpid_delay:
		return ft_parse_delay(value, &cfg->delay[FT_DELAY_WAITPID], why);
	case FT_KNOB_exit_delay:
		return ft_parse_delay(value, &cfg->delay[FT_DELAY_EXIT], why);
	case FT_KNOB_exit_delay_late:
		return ft_parse_delay(value, &cfg->delay[FT_DELAY_EXIT_LATE],
				      why);
	case FT_KNOB_thread_delay:
		return ft_parse_delay(value, &cfg->delay[FT_DELAY_THREAD], why);
	case FT_KNOB_fork_delay:
		return ft_parse_delay(value, &cfg->delay[FT_DELAY_FORK_CHILD],
				      why);
	case FT_KNOB_fork_delay_parent:
		return ft_parse_delay(value, &cfg->delay[FT_DELAY_FORK_PARENT],
				      why);
	case FT_KNOB_timers:
		return ft_parse_timers(value, &cfg->timers, why);
	case FT_KNOB_timer_grace:
		return ft_parse_duration(value, &cfg->timer_grace_ns, why);
	case FT_KNOB_timer_guard:
		return ft_parse_duration(value, &cfg->timer_guard_ns, why);
	case FT_KNOB_chaos:
		return ft_parse_switch(value, &cfg->chaos, why);
	case FT_KNOB_chaos_budget:
		return ft_parse_fraction(value, &cfg->chaos_budget_ppb, why);
	case FT_KNOB_chaos_max:
		if (ft_parse_duration(value, &cfg->chaos_max_ns, why))
			return -1;
		if (cfg->chaos_max_ns < 1000000) {
			*why = "shorter than the ladder's first rung, 1ms";
			return -1;
		}
		return 0;
	case FT_KNOB_chaos_trace:
		return ft_parse_switch(value, &cfg->chaos_trace, why);
	}
	*why = "unknown knob";
	return -1;
}

int ft_config_parse(struct ft_config *cfg, char *const *envp,
		    char *err, size_t errlen)
{
	const size_t plen = strlen(FT_ENV_PREFIX);
	int seen[FT_NKNOBS] = { 0 };
	const char *why, *eq, *name;
	struct ft_buf b;
	size_t namelen;
	int i, knob;

	ft_buf_init(&b, err, errlen);
	memset(cfg, 0, offsetof(struct ft_config, sleep_only));
	for (i = 0; i < FT_NKNOBS; i++)
		if (patterns_of(cfg, i))
			clear_patterns(patterns_of(cfg, i));
	for (i = 0; i < FT_NKNOBS; i++) {
		copy_text(cfg->text[i], ft_knobs[i].def);
		if (ft_knobs[i].kind != FT_KIND_SEED &&
		    ft_knobs[i].kind != FT_KIND_PATH &&
		    ft_knobs[i].kind != FT_KIND_PATTERNS &&
		    set_knob(cfg, i, ft_knobs[i].def, &why))
			return -1;	/* a broken default: caught by u-config */
	}
	for (; envp && *envp; envp++) {
		if (strncmp(*envp, FT_ENV_PREFIX, plen) != 0)
			continue;
		eq = strchr(*envp, '=');
		if (!eq)
			continue;
		name = *envp + plen;
		namelen = (size_t)(eq - name);
		knob = ft_knob_find(name, namelen);
		if (knob < 0) {
			if (is_other_name(name, namelen))
				continue;
			unknown_error(&b, *envp, plen + namelen, eq + 1);
			return -1;
		}
		/* getenv() semantics: the first of duplicate entries counts. */
		if (seen[knob]++)
			continue;
		if (set_knob(cfg, knob, eq + 1, &why)) {
			knob_error(&b, *envp, plen + namelen, eq + 1, why,
				   knob);
			return -1;
		}
		copy_text(cfg->text[knob], eq + 1);
	}
	return 0;
}
