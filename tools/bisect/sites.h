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

/*
 * Sets the pattern knob env to the site ids of items idx[0..n): 0, or -1
 * after a message when they do not fit in one (noun names them).
 */
int ft_bisect_sites_select(struct ft_bisect *b, const size_t *idx, size_t n,
			   const char *env, const char *noun);

void ft_bisect_sites_free(struct ft_bisect *b);

#endif
