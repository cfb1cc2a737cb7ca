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

static int check(struct ft_bisect *b)
{
	(void)b;
	if (getenv(CHAOS_ONLY)) {
		fprintf(stderr, "flaketrap bisect: --chaos without -i sets "
				CHAOS_ONLY " itself: leave it unset (use"
				" --chaos-skip to leave sites out)\n");
		return -1;
	}
	return 0;
}

/*
 * Runs CMD under chaos until it fails (up to RUNS times, each with a
 * seed of its own), keeps that seed, takes the sites where threads were
 * held, and checks that the seed passes with chaos off.
 */
static int collect(struct ft_bisect *b)
{
	struct ft_bisect_sites *s = ft_bisect_sites_new(b);
	int rc;

	unsetenv(CHAOS_ONLY);
	rc = ft_bisect_failing_log(b, "chaos on",
				   "CMD passes under chaos: no site to blame"
				   " (try more runs: -r RUNS)", &s->logs);
	if (rc)
		return rc;
	b->seed_fixed = 1;
	ft_bisect_sites_take(b, s, "chaos_sites", "holds", "chaos sites");
	if (b->nitems == 0) {
		fprintf(stderr, "flaketrap bisect: CMD fails under chaos, but"
				" no thread was held at any site: its failure"
				" is not the chaos's\n");
		return 1;
	}
	fprintf(stderr, "flaketrap bisect: %zu chaos %s where threads were"
			" held, seed %s kept for every run\n", b->nitems,
		b->nitems == 1 ? "site" : "sites", b->failed_seed);
	return ft_bisect_control_run(b, "CHAOS", "off", "chaos off",
				     "CMD fails even with chaos off"
				     " (FLAKETRAP_CHAOS=off): its failure is"
				     " not the chaos's");
}

static int select_sites(struct ft_bisect *b, const size_t *idx, size_t n)
{
	return ft_bisect_sites_select(b, idx, n, CHAOS_ONLY, "chaos sites");
}

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
	.check = check,
	.collect = collect,
	.select = select_sites,
	.whole_passes = whole_passes,
	.print = print,
	.free = ft_bisect_sites_free,
};
