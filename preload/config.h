/* SPDX-License-Identifier: MIT */
/*
 * Parsing and validation of the FLAKETRAP_* knobs. Pure: no allocation, no
 * global state, no wrapper, so the tool and the unit tests link it as is.
 */
#ifndef FT_CONFIG_H
#define FT_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "pattern.h"

#define FT_ENV_PREFIX "FLAKETRAP_"

enum ft_knob_kind {
	FT_KIND_SLEEP,
	FT_KIND_DURATION,
	FT_KIND_FRACTION,
	FT_KIND_SEED,
	FT_KIND_PATH,
	FT_KIND_LEAKS,
	FT_KIND_COUNT,
	FT_KIND_SWITCH,
	FT_KIND_SIGNAL,
	FT_KIND_DELAY,
	FT_KIND_TIMERS,
	FT_KIND_PATTERNS,
};

enum ft_knob_id {
#define FT_KNOB(field, name, kind, def, form, help) FT_KNOB_##field,
#include "config.def"
#undef FT_KNOB
	FT_NKNOBS
};

struct ft_knob {
	const char *name;	/* without the FLAKETRAP_ prefix */
	enum ft_knob_kind kind;
	const char *def;
	const char *form;
	const char *help;
};

extern const struct ft_knob ft_knobs[FT_NKNOBS];

/* FLAKETRAP_* names that are not knobs but are ours (read by the tool). */
extern const char *const ft_other_names[];

enum ft_sleep_mode {
	FT_SLEEP_OFF,
	FT_SLEEP_FIXED,		/* every sleep lasts lo_ns */
	FT_SLEEP_RANGE,		/* uniform in [lo_ns, hi_ns] */
	FT_SLEEP_SCALE,		/* scale_ppb / 1e9 times the request */
};

struct ft_sleep_policy {
	enum ft_sleep_mode mode;
	int64_t lo_ns;
	int64_t hi_ns;
	uint64_t scale_ppb;
};

/* A delay injected at one point: uniform in [lo_ns, hi_ns]; off when hi_ns
 * is 0. */
struct ft_delay {
	int64_t lo_ns;
	int64_t hi_ns;
};

/* The points where a delay can be injected; the log's names for them. */
enum ft_delay_kind {
	FT_DELAY_WAITPID,
	FT_DELAY_EXIT,
	FT_DELAY_EXIT_LATE,
	FT_DELAY_THREAD,
	FT_DELAY_FORK_CHILD,
	FT_DELAY_FORK_PARENT,
	FT_NDELAYS
};
extern const char *const ft_delay_names[FT_NDELAYS];

#define FT_PPB 1000000000ULL
#define FT_LEAK_CHILDREN 1u
#define FT_LEAK_THREADS 2u
#define FT_BACKTRACE_MAX 64
#define FT_STACKS_PER_SITE_MAX 1000000
#define FT_PATH_MAX 3072
#define FT_TEXT_MAX 96
#define FT_TIMERS_OFF 0
#define FT_TIMERS_WARP 1
#define FT_TIMERS_IDLE 2

struct ft_config {
	struct ft_sleep_policy sleep;
	int64_t sleep_min_ns;
	uint64_t sleep_prob_ppb;	/* 0 .. FT_PPB */
	uint64_t seed;
	int seed_given;
	char log_dir[FT_PATH_MAX];	/* empty: no log */
	unsigned log_file_mode;		/* 0600, and the read bits the
					 * directory gives group and others */
	/* Another user's directory this process cannot write to (a child
	 * started with subprocess's user=): records lost quietly. */
	int log_unreachable;
	unsigned leaks;			/* FT_LEAK_* bits */
	unsigned backtrace;		/* frames, 0 .. FT_BACKTRACE_MAX */
	int crash;
	int python_hook;
	int stack_signal;		/* 0: off */
	int64_t stack_timeout_ns;
	unsigned stacks_per_site;	/* 0: no limit */
	int stack_requests;
	struct ft_delay delay[FT_NDELAYS];
	int timers;			/* FT_TIMERS_* */
	int64_t timer_grace_ns;
	int64_t timer_guard_ns;
	int chaos;
	uint64_t chaos_budget_ppb;	/* 0 .. FT_PPB */
	int64_t chaos_max_ns;		/* 1 ms at least */
	int chaos_trace;
	int python;
	/* The text each knob had (its default when unset), for the log. */
	char text[FT_NKNOBS][FT_TEXT_MAX];
	/*
	 * Last, and only their counts cleared before a parse: 56 KiB
	 * that every process would otherwise write (page faults) at start.
	 */
	struct ft_patterns sleep_only;	/* n == 0: unset */
	struct ft_patterns sleep_skip;
	struct ft_patterns chaos_only;
	struct ft_patterns chaos_skip;
	struct ft_patterns sleep_wrappers;
};

/*
 * Each parser reads the whole string s and returns 0, or -1 with *why set to
 * a short static reason.
 */
int ft_parse_duration(const char *s, int64_t *ns, const char **why);
int ft_parse_sleep(const char *s, struct ft_sleep_policy *p, const char **why);
int ft_parse_fraction(const char *s, uint64_t *ppb, const char **why);
int ft_parse_seed(const char *s, uint64_t *seed, const char **why);
int ft_parse_leaks(const char *s, unsigned *mask, const char **why);
int ft_parse_count(const char *s, unsigned max, unsigned *n, const char **why);
/* DUR, A..B or off; "0" and "0..0" are off too. */
int ft_parse_delay(const char *s, struct ft_delay *d, const char **why);
int ft_parse_switch(const char *s, int *on, const char **why);
/* "off", "warp" or "idle": FT_TIMERS_OFF, _WARP or _IDLE. */
int ft_parse_timers(const char *s, int *mode, const char **why);
/* A catchable signal: name with or without SIG, RTMIN+N, RTMAX-N, a number,
 * or "off" (0). */
int ft_parse_signal(const char *s, int *sig, const char **why);
/* "SEGV" for SIGSEGV; NULL for a signal without a fixed name. */
const char *ft_signal_name(int sig);

/*
 * Fill cfg from an environment array (NULL-terminated "NAME=value" strings).
 * Returns 0, or -1 with one line (no newline) in err: the variable, the
 * value, what is wrong and the expected form. Unknown FLAKETRAP_* names are
 * errors, with the closest known name suggested.
 */
int ft_config_parse(struct ft_config *cfg, char *const *envp,
		    char *err, size_t errlen);

/*
 * The text knob had, whole (text[] is cut at FT_TEXT_MAX; a list of
 * patterns is not); "" for a pattern knob that is unset.
 */
const char *ft_config_text(const struct ft_config *cfg, int knob);

/* ASCII lower case, for knob names turned into keys and options. */
static inline char ft_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The knob called FLAKETRAP_<name>, or -1. */
int ft_knob_find(const char *name, size_t len);

#endif
