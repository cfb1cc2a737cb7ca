/* SPDX-License-Identifier: MIT */
/*
 * The options of `flaketrap run`, shared by run, loop and bisect: one per
 * knob (generated from preload/config.def) and the run options proper
 * (--fail-on-leak, --grace, ...). A command that takes them builds its
 * getopt_long table with ft_runopt_table, hands each option it does not
 * know itself to ft_runopt_handle, and sets up the environment of CMD with
 * ft_runopt_environment. A new knob or run option added here reaches
 * every command without an edit there.
 */
#ifndef FT_RUNOPT_H
#define FT_RUNOPT_H

#include <getopt.h>
#include <stdio.h>

#include "../preload/config.h"
#include "options.h"

/* The virtual clock's object, found beside libflaketrap.so. */
#define FT_WARP_NAME "libflaketrap-warp.so"
/* Chaos mode's object, found there too. */
#define FT_CHAOS_NAME "libflaketrap-chaos.so"

/* Entries ft_runopt_table adds to a getopt_long table, at most. */
#define FT_RUNOPT_ENTRIES (FT_NKNOBS + 8)
/* Options kept to be given again to `flaketrap run` (reproduce.sh). */
#define FT_RUNOPT_REPLAY_MAX 16

struct ft_runopt {
	int fail_on_leak;
	int keep_log;
	int junk;		/* --junk: jemalloc with junk filling */
	int allow_unloaded;	/* a run without the library may pass */
	int bare_switch;	/* a switch knob given alone, or -1 */
	const char *grace_text;	/* --grace as given, for messages */
	long long grace_ms;
	/*
	 * The run options given that are not knobs (knobs travel in the
	 * environment), as "--name" or "--name=value", in order.
	 */
	char *replay[FT_RUNOPT_REPLAY_MAX];
	size_t nreplay;
};

void ft_runopt_init(struct ft_runopt *o);
/* Frees what the options kept. */
void ft_runopt_free(struct ft_runopt *o);

/*
 * Appends the run options to the getopt_long table opts at *n (room for
 * FT_RUNOPT_ENTRIES more). Their values are at or above 0x10000, clear of
 * any short option.
 */
void ft_runopt_table(struct option *opts, size_t *n);

/*
 * Handles the option getopt_long returned as c, with its argument: 1 when
 * it was a run option (a knob option sets FLAKETRAP_<NAME>, which wins over
 * the environment), 0 when it is none, -1 after an error message naming
 * cmd ("flaketrap loop").
 */
int ft_runopt_handle(struct ft_runopt *o, int c, const char *arg,
		     const char *cmd);

/*
 * A --timeout=DUR of loop and bisect: 0 and *ns set, or -1 after a message
 * naming cmd ("flaketrap loop"). Zero is refused: it would time out every
 * run at once.
 */
int ft_parse_timeout(const char *cmd, const char *arg, int64_t *ns);

/*
 * A run of CMD in which no process wrote a record: 0 with
 * --allow-unloaded, else 125 after one line naming cmd and what ran.
 */
int ft_runopt_unloaded(const struct ft_runopt *o, const char *cmd,
		       const char *what);

/*
 * CMD's first word name, checked against a switch given alone before it:
 * `--chaos off -- CMD` would run `off`. 0, or 125 after a message naming
 * cmd ("flaketrap loop").
 */
int ft_runopt_check_command(const struct ft_runopt *o, const char *cmd,
			    const char *name);

/* The help of every run option, knobs first. */
void ft_runopt_usage(FILE *f);
/* Their names alone, wrapped (loop's and bisect's help point to run's). */
void ft_runopt_usage_names(FILE *f);

/*
 * After the options: checks every FLAKETRAP_* variable with the library's
 * own parser (into *cfg), finds the library and puts it first in
 * LD_PRELOAD: after libflaketrap-chaos.so when cfg->chaos is on and
 * libflaketrap-warp.so when cfg->timers is warp, before
 * jemalloc with --junk, then the entries that were there (any copy of ours
 * dropped); turns ASan's link order check off in ASAN_OPTIONS unless it is
 * set there. Returns 0, or 125 after a message on stderr.
 */
int ft_runopt_environment(struct ft_runopt *o, struct ft_config *cfg);

/*
 * --version: the version, and the library the commands would preload
 * (found as ft_runopt_environment finds it), on stdout.
 */
void ft_print_version(void);

/* The library's path, once ft_runopt_environment has found it. */
const char *ft_runopt_library(void);

/*
 * Sets FLAKETRAP_SEED to a random seed when it is unset. Returns the seed
 * in use.
 */
unsigned long long ft_ensure_seed(void);

/* A random 64-bit number (getrandom, else the clock and the pid). */
unsigned long long ft_random_u64(void);

#endif
