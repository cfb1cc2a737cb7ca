/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap bisect --sleeps -- CMD...`: the items are CMD's sleep sites
 * (site ids of the log's sleep_sites records), found by a run with every
 * sleep shrunk that fails; a run with no sleep changed must pass. A subset
 * reaches CMD as FLAKETRAP_SLEEP_ONLY, its site ids: only their sleeps are
 * shrunk. The result is each site with its function, file and line.
 */
#include <stdlib.h>

#include "../report.h"
#include "sites.h"

#define SLEEP_ONLY FT_ENV_PREFIX "SLEEP_ONLY"

static const struct ft_bisect_site_kind sleeps = {
	.only = SLEEP_ONLY,
	.option = "--sleeps",
	.skip = "--sleep-skip",
	.event = "sleep_sites",
	.count_key = "changed",
	.singular = "sleep site",
	.on = "every sleep shrunk",
	.passes = "CMD passes even with every sleep shrunk: no sleep to blame",
	.none = "CMD fails, but changed no sleep at any site: its failure is"
		" not a sleep's",
	.counted = "whose sleeps were changed",
	/* A failure that comes without any sleep shrunk is not a sleep's. */
	.control_knob = "SLEEP",
	.control_value = "off",
	.control = "no sleep changed",
	.control_fails = "CMD fails even with no sleep changed"
			 " (FLAKETRAP_SLEEP=off): its failure is not a"
			 " sleep's",
};

static int check(struct ft_bisect *b)
{
	if (*b->input) {
		fprintf(stderr, "flaketrap bisect: --sleeps takes no -i: its"
				" cases are the sleep sites of CMD\n");
		return -1;
	}
	return ft_bisect_sites_check(b);
}

static void whole_passes(struct ft_bisect *b)
{
	fprintf(stderr, "flaketrap bisect: CMD passes with the sleeps of all"
			" %zu sites shrunk: its failure needs a sleep counted"
			" at no site (\"other\"), or is flaky (try -r RUNS)\n",
		b->nitems);
}

static void print(struct ft_bisect *b, const size_t *idx, size_t n)
{
	const struct ft_bisect_sites *s = b->data;
	struct ft_symbolizer *sym = ft_sym_new();
	size_t i;

	for (i = 0; i < n; i++) {
		ft_report_site(stdout, s->sites[idx[i]], sym);
		printf(": this sleep is used as synchronization\n");
	}
	ft_sym_free(sym);
}

const struct ft_bisect_mode ft_bisect_sleeps = {
	.noun = "sleep sites",
	.sites = &sleeps,
	.check = check,
	.collect = ft_bisect_sites_collect,
	.select = ft_bisect_sites_select,
	.whole_passes = whole_passes,
	.print = print,
	.free = ft_bisect_sites_free,
};
