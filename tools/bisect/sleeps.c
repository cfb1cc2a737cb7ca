/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap bisect --sleeps -- CMD...`: the items are CMD's sleep sites
 * (site ids of the log's sleep_sites records), found by a run with every
 * sleep shrunk that fails; a run with no sleep changed must pass. A subset
 * reaches CMD as FLAKETRAP_SLEEP_ONLY, its site ids: only their sleeps are
 * shrunk. The result is each site with its function, file and line.
 */
#include <stdlib.h>
#include <string.h>

#include "../report.h"
#include "engine.h"

#define SLEEP_ONLY FT_ENV_PREFIX "SLEEP_ONLY"

struct sleeps {
	struct ft_logs logs;		/* of the first failing run */
	const struct ft_json **sites;	/* each item's site, in logs */
	size_t cap;
};

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

/* The site of a sleep_sites record whose sleeps were changed, as an item. */
static void take_site(struct ft_bisect *b, struct sleeps *s,
		      const struct ft_json *site, size_t *skipped)
{
	const char *id = ft_json_str(ft_json_get(site, "id"));
	long long changed;

	if (ft_json_int(ft_json_get(site, "changed"), &changed) ||
	    changed <= 0)
		return;
	/* A comma would split the id in SLEEP_ONLY. */
	if (strchr(id, ',')) {
		(*skipped)++;
		return;
	}
	if (ft_bisect_has(b, id))
		return;
	if (b->nitems == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->sites = realloc(s->sites, s->cap * sizeof(*s->sites));
		if (!s->sites)
			ft_bisect_oom();
	}
	s->sites[ft_bisect_add(b, id)] = site;
}

/*
 * Runs CMD with every sleep shrunk until it fails (up to RUNS times) and
 * takes the sites whose sleeps were changed, in any of its processes.
 */
static int collect(struct ft_bisect *b)
{
	struct sleeps *s = calloc(1, sizeof(*s));
	const struct ft_json *site;
	size_t i, skipped = 0;
	int rc;

	if (!s)
		ft_bisect_oom();
	b->data = s;
	ft_logs_init(&s->logs, "flaketrap bisect");
	unsetenv(SLEEP_ONLY);
	rc = ft_bisect_failing_log(b, "every sleep shrunk",
				   "CMD passes even with every sleep shrunk:"
				   " no sleep to blame", &s->logs);
	if (rc)
		return rc;
	for (i = 0; i < s->logs.nrecs; i++) {
		if (strcmp(s->logs.recs[i].event, "sleep_sites"))
			continue;
		site = ft_json_get(s->logs.recs[i].json, "sites")->first;
		for (; site; site = site->next)
			take_site(b, s, site, &skipped);
	}
	if (skipped)
		fprintf(stderr, "flaketrap bisect: %zu sleep sites left out: a"
				" comma in their module's name\n", skipped);
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
	static struct ft_patterns check_only;
	const char *why;
	char *only = NULL;
	size_t i, len;
	FILE *f;

	f = open_memstream(&only, &len);
	if (!f)
		ft_bisect_oom();
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", b->items[idx[i]]);
	if (fclose(f))
		ft_bisect_oom();
	/* The library would stop CMD with 125: a failure, for us. */
	if (ft_patterns_parse(only, &check_only, &why)) {
		fprintf(stderr, "\nflaketrap bisect: %zu sleep sites do not fit"
				" in " SLEEP_ONLY ": %s\n", n, why);
		free(only);
		return -1;
	}
	setenv(SLEEP_ONLY, only, 1);
	free(only);
	return 0;
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
	const struct sleeps *s = b->data;
	struct ft_symbolizer *sym = ft_sym_new();
	size_t i;

	for (i = 0; i < n; i++) {
		ft_report_site(stdout, s->sites[idx[i]], sym);
		printf(": this sleep is used as synchronization\n");
	}
	ft_sym_free(sym);
}

static void free_sleeps(struct ft_bisect *b)
{
	struct sleeps *s = b->data;

	if (!s)
		return;
	ft_logs_free(&s->logs);
	free(s->sites);
	free(s);
}

const struct ft_bisect_mode ft_bisect_sleeps = {
	.noun = "sleep sites",
	.check = check,
	.collect = collect,
	.select = select_sites,
	.whole_passes = whole_passes,
	.print = print,
	.free = free_sleeps,
};
