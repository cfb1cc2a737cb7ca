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

static int check(struct ft_bisect *b)
{
	if (*b->input) {
		fprintf(stderr, "flaketrap bisect: --sleeps takes no -i: its"
				" cases are the sleep sites of CMD\n");
		return -1;
	}
	if (getenv(SLEEP_ONLY)) {
		fprintf(stderr, "flaketrap bisect: --sleeps sets "
				SLEEP_ONLY " itself: leave it unset (use"
				" --sleep-skip to leave sleeps out)\n");
		return -1;
	}
	return 0;
}

/*
 * Runs CMD with every sleep shrunk until it fails (up to RUNS times) and
 * takes the sites whose sleeps were changed, in any of its processes.
 */
static int collect(struct ft_bisect *b)
{
	struct ft_bisect_sites *s = ft_bisect_sites_new(b);
	int rc;

	unsetenv(SLEEP_ONLY);
	rc = ft_bisect_failing_log(b, "every sleep shrunk",
				   "CMD passes even with every sleep shrunk:"
				   " no sleep to blame", &s->logs);
	if (rc)
		return rc;
	ft_bisect_sites_take(b, s, "sleep_sites", "changed", "sleep sites");
	if (b->nitems == 0) {
		fprintf(stderr, "flaketrap bisect: CMD fails, but changed no"
				" sleep at any site: its failure is not a"
				" sleep's\n");
		return 1;
	}
	fprintf(stderr, "flaketrap bisect: %zu sleep %s whose sleeps were"
			" changed\n", b->nitems,
		b->nitems == 1 ? "site" : "sites");
	/* A failure that comes without any sleep shrunk is not a sleep's. */
	return ft_bisect_control_run(b, "SLEEP", "off", "no sleep changed",
				     "CMD fails even with no sleep changed"
				     " (FLAKETRAP_SLEEP=off): its failure is"
				     " not a sleep's");
}

static int select_sites(struct ft_bisect *b, const size_t *idx, size_t n)
{
	return ft_bisect_sites_select(b, idx, n, SLEEP_ONLY, "sleep sites");
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
	.check = check,
	.collect = collect,
	.select = select_sites,
	.whole_passes = whole_passes,
	.print = print,
	.free = ft_bisect_sites_free,
};
