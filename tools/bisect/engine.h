/* SPDX-License-Identifier: MIT */
/*
 * The delta-debugging engine of `flaketrap bisect`: shrinks a list of
 * items (test cases, sleep sites, ...) to a small subset that still makes
 * CMD fail, each subset tried up to RUNS times under the library. What an
 * item is, how a subset reaches CMD and how the result is named belong to
 * a mode (cases.c, sleeps.c): a struct ft_bisect_mode of a few functions.
 *
 * A new mode: a file with its struct ft_bisect_mode (setup or collect
 * finds the items with ft_bisect_add, select makes the next runs try a
 * subset, print names the result) and an option in bisect.c that picks
 * it. A mode whose items are sites of injected noise (sleeps, chaos) runs
 * CMD in collect: once to gather them (ft_bisect_failing_log) and once
 * with its noise off (ft_bisect_control_run), which must pass.
 */
#ifndef FT_BISECT_ENGINE_H
#define FT_BISECT_ENGINE_H

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "../../preload/config.h"
#include "../logs.h"
#include "../runopt.h"

struct ft_bisect;

struct ft_bisect_site_kind;

struct ft_bisect_mode {
	const char *noun;	/* the items, plural: "cases" */
	/* A mode whose items are sites: their kind (sites.h); else NULL. */
	const struct ft_bisect_site_kind *sites;
	/*
	 * Right after the options are read: 0 when they suit the mode, or
	 * -1 after a message (a usage error).
	 */
	int (*check)(struct ft_bisect *b);
	/*
	 * Before CMD's environment is made (b->tmp exists): finds the items
	 * that need no run of CMD (with ft_bisect_add) and may change
	 * b->argv. 0, or -1 after a message. NULL: nothing to do.
	 */
	int (*setup)(struct ft_bisect *b);
	/*
	 * Finds the items by running CMD (ft_bisect_failing_log,
	 * ft_bisect_control_run). 0, or the exit status after a message.
	 * NULL: setup found them.
	 */
	int (*collect)(struct ft_bisect *b);
	/* Makes the next runs try items[0..n): 0, or -1 after a message. */
	int (*select)(struct ft_bisect *b, const size_t *items, size_t n);
	/* Says why the whole list passing ends the search (stderr). */
	void (*whole_passes)(struct ft_bisect *b);
	/* The result, items[0..n), on stdout. */
	void (*print)(struct ft_bisect *b, const size_t *items, size_t n);
	void (*free)(struct ft_bisect *b);
};

struct ft_bisect {
	const struct ft_bisect_mode *mode;
	void *data;		/* the mode's own */
	char **items;		/* the text of each item, as OUT has it */
	size_t nitems, capitems;
	const char *input;	/* -i CASES, "" when not given */
	const char *output;
	long long size, max_iter, runs;
	int64_t timeout_ns;
	int verbose;
	struct ft_runopt opt;
	struct ft_config cfg;
	char **argv;		/* CMD */
	char tmp[PATH_MAX];	/* a private directory for the runs */
	unsigned long long base;
	long long nrun, ndraw;
	/* The seed of the last run that failed; every run's seed when
	 * seed_fixed (a mode whose items live in one seed's choices). */
	char failed_seed[24];
	int seed_fixed;
};

/* Set by the signal handler: the search stops, OUT holds the best. */
extern volatile sig_atomic_t ft_bisect_signal;

/* Stops the run going on, if any (async-signal-safe: for a handler). */
void ft_bisect_stop_current(void);

/* Exits 125 after perror: the tool is out of memory. */
void ft_bisect_oom(void);

/* Appends an item (copied); returns its index. */
size_t ft_bisect_add(struct ft_bisect *b, const char *text);

/* Whether text is an item already. */
int ft_bisect_has(const struct ft_bisect *b, const char *text);

/*
 * Writes the items of idx[0..n), one a line, to path (through a file
 * beside it, renamed). 0, or -1 after a message.
 */
int ft_bisect_write(const struct ft_bisect *b, const char *path,
		    const size_t *idx, size_t n);

/*
 * Up to RUNS runs of CMD: 1 at the first that fails, else 0. With keep,
 * the failing run's log directory is left in place, its path in *keep
 * (free it). Progress ("failed (...)", "passed") goes to stderr.
 */
int ft_bisect_try(struct ft_bisect *b, char **keep);

/*
 * Runs CMD until it fails (up to RUNS times), after printing what on
 * stderr. 0 with the failing run's logs read into l, or the exit status
 * after a message: 1 when it never fails (nothing_msg says why).
 */
int ft_bisect_failing_log(struct ft_bisect *b, const char *what,
			  const char *nothing_msg, struct ft_logs *l);

/*
 * The control run: one run with FLAKETRAP_<knob>=value (the noise off),
 * which must pass; the user's value of the knob comes back after it.
 * 0, or the exit status after a message naming why_msg.
 */
int ft_bisect_control_run(struct ft_bisect *b, const char *knob,
			  const char *value, const char *what,
			  const char *why_msg);

/* The search itself, from the whole list. Returns the exit status. */
int ft_bisect_search(struct ft_bisect *b);

extern const struct ft_bisect_mode ft_bisect_cases;
extern const struct ft_bisect_mode ft_bisect_sleeps;
extern const struct ft_bisect_mode ft_bisect_chaos;

#endif
