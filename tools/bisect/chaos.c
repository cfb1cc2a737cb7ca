/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap bisect --chaos -- CMD...`: the items are the sites where
 * chaos mode held a thread back (site ids of the log's chaos_sites
 * records) in a run that failed; a run of the same seed with chaos off
 * must pass. Every later run keeps that seed, so each thread draws the
 * same holds at the same calls, and a subset reaches CMD as
 * FLAKETRAP_CHAOS_ONLY: only its sites are held. Timing still varies
 * from run to run: -r RUNS tries each subset up to RUNS times (ConTest's
 * lesson: the noise is not monotonic). The result is each site with the
 * call it follows or precedes, its function, file and line.
 */
#include <stdlib.h>
#include <string.h>

#include "../report.h"
#include "sites.h"

#define CHAOS_ONLY FT_ENV_PREFIX "CHAOS_ONLY"

/* How a hold at each point of the log reads: before or after which call. */
static const struct {
	const char *point, *text;
} holds[] = {
#define FT_CHAOS_POINT(id, starve, victim_starve, victim_brief, hold) \
	{ #id, hold },
#include "../../preload/chaos-points.def"
#undef FT_CHAOS_POINT
};

static const struct ft_bisect_site_kind chaos = {
	.only = CHAOS_ONLY,
	.option = "--chaos without -i",
	.skip = "--chaos-skip",
	.event = "chaos_sites",
	.count_key = "holds",
	.singular = "chaos site",
	.on = "chaos on",
	.passes = "CMD passes under chaos: no site to blame (try more runs:"
		  " -r RUNS)",
	.none = "CMD fails under chaos, but no thread was held at any site:"
		" its failure is not the chaos's",
	.counted = "where threads were held",
	.keep_seed = 1,
	.control_knob = "CHAOS",
	.control_value = "off",
	.control = "chaos off",
	.control_fails = "CMD fails even with chaos off (FLAKETRAP_CHAOS=off):"
			 " its failure is not the chaos's",
};

static void whole_passes(struct ft_bisect *b)
{
	fprintf(stderr, "flaketrap bisect: CMD passes with seed %s holding"
			" threads at all %zu sites: its failure needs holds"
			" at no known site (\"other\"), or timing the seed"
			" does not fix (try -r RUNS)\n",
		b->failed_seed, b->nitems);
}

static const char *hold_text(const char *point)
{
	size_t i;

	for (i = 0; point && i < sizeof(holds) / sizeof(holds[0]); i++)
		if (!strcmp(holds[i].point, point))
			return holds[i].text;
	return "a hold";
}

static void print(struct ft_bisect *b, const size_t *idx, size_t n)
{
	const struct ft_bisect_sites *c = b->data;
	struct ft_symbolizer *sym = ft_sym_new();
	const struct ft_json *site;
	size_t i;

	for (i = 0; i < n; i++) {
		site = c->sites[idx[i]];
		printf("%s in ",
		       hold_text(ft_json_str(ft_json_get(site, "point"))));
		ft_report_site(stdout, site, sym);
		printf(" makes it fail (seed %s)\n", b->failed_seed);
	}
	ft_sym_free(sym);
}

const struct ft_bisect_mode ft_bisect_chaos = {
	.noun = "chaos sites",
	.sites = &chaos,
	.check = ft_bisect_sites_check,
	.collect = ft_bisect_sites_collect,
	.select = ft_bisect_sites_select,
	.whole_passes = whole_passes,
	.print = print,
	.free = ft_bisect_sites_free,
};
