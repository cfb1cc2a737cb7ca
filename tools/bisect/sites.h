/* SPDX-License-Identifier: MIT */
/*
 * What the modes whose items are sites share (sleeps.c, chaos.c): the
 * sites of a failing run's log records (sleep_sites, chaos_sites) taken as
 * items, and a subset handed to CMD as a pattern knob of site ids.
 */
#ifndef FT_BISECT_SITES_H
#define FT_BISECT_SITES_H

#include "engine.h"

struct ft_bisect_sites {
	struct ft_logs logs;		/* of the failing run */
	const struct ft_json **sites;	/* each item's site, in logs */
	size_t cap;
};

/*
 * A mode whose items are sites: what its knobs are called and how its
 * messages read.
 */
struct ft_bisect_site_kind {
	const char *only;	/* the pattern knob a subset is given in */
	const char *option;	/* the mode's option, for messages */
	const char *skip;	/* the knob option that leaves sites out */
	const char *event;	/* the log record of the sites */
	const char *count_key;	/* a site counts when this is positive */
	const char *singular;	/* "sleep site" (the mode's noun: plural) */
	const char *on;		/* the failing run's condition, "chaos on" */
	const char *passes;	/* when no run fails under it */
	const char *none;	/* when it failed with no site counted */
	const char *counted;	/* "whose sleeps were changed" */
	int keep_seed;		/* later runs keep the failing run's seed */
	const char *control_knob, *control_value, *control;
	const char *control_fails; /* when the control run fails too */
};

/*
 * The engine's check, collect and select of a mode whose items are sites,
 * of the kind b->mode->sites. check: the mode's knob is its own to set.
 * collect: a run that fails under the mode (up to RUNS of them), its sites
 * taken as items, then the control run that must pass. select: the site
 * ids of a subset in the mode's pattern knob (-1 after a message when
 * they do not fit in one).
 */
int ft_bisect_sites_check(struct ft_bisect *b);
int ft_bisect_sites_collect(struct ft_bisect *b);
int ft_bisect_sites_select(struct ft_bisect *b, const size_t *idx, size_t n);

/* A new list, as b->data, its logs named for messages. */
struct ft_bisect_sites *ft_bisect_sites_new(struct ft_bisect *b);

/*
 * Takes as items the sites of every `event` record of s->logs whose
 * integer under count_key is positive, once each; says on stderr how many
 * were left out (a comma in the id would split the pattern list).
 */
void ft_bisect_sites_take(struct ft_bisect *b, struct ft_bisect_sites *s,
			  const char *event, const char *count_key,
			  const char *noun);


void ft_bisect_sites_free(struct ft_bisect *b);

#endif
