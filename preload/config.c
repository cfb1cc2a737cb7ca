/* SPDX-License-Identifier: MIT */
/*
 * Parsing and validation of the FLAKETRAP_* knobs, strict: a value that does
 * not parse whole is an error, never a silent default; the values' grammar
 * is values.c's. Pure code (no allocation, no globals written), shared by
 * the library and the tool.
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
	case FT_KNOB_sleep_wrappers:
		return &cfg->sleep_wrappers;
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
	case FT_KNOB_python_hook:
		return ft_parse_switch(value, &cfg->python_hook, why);
	case FT_KNOB_stack_signal:
		return ft_parse_signal(value, &cfg->stack_signal, why);
	case FT_KNOB_stack_timeout:
		return ft_parse_duration(value, &cfg->stack_timeout_ns, why);
	case FT_KNOB_stacks_per_site:
		return ft_parse_count(value, FT_STACKS_PER_SITE_MAX,
				      &cfg->stacks_per_site, why);
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
	case FT_KNOB_python:
		return ft_parse_switch(value, &cfg->python, why);
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
