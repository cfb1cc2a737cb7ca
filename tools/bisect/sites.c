/* SPDX-License-Identifier: MIT */
/* See sites.h. */
#include <stdlib.h>
#include <string.h>

#include "sites.h"

struct ft_bisect_sites *ft_bisect_sites_new(struct ft_bisect *b)
{
	struct ft_bisect_sites *s = calloc(1, sizeof(*s));

	if (!s)
		ft_bisect_oom();
	ft_logs_init(&s->logs, "flaketrap bisect");
	b->data = s;
	return s;
}

static void take(struct ft_bisect *b, struct ft_bisect_sites *s,
		 const struct ft_json *site, const char *count_key,
		 size_t *skipped)
{
	const char *id = ft_json_str(ft_json_get(site, "id"));
	long long n;

	if (!id || ft_json_int(ft_json_get(site, count_key), &n) || n <= 0)
		return;
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

void ft_bisect_sites_take(struct ft_bisect *b, struct ft_bisect_sites *s,
			  const char *event, const char *count_key,
			  const char *noun)
{
	const struct ft_json *site;
	size_t i, skipped = 0;

	for (i = 0; i < s->logs.nrecs; i++) {
		if (strcmp(s->logs.recs[i].event, event))
			continue;
		site = ft_json_get(s->logs.recs[i].json, "sites")->first;
		for (; site; site = site->next)
			take(b, s, site, count_key, &skipped);
	}
	if (skipped)
		fprintf(stderr, "flaketrap bisect: %zu %s left out: a comma in"
				" their module's name\n", skipped, noun);
}

int ft_bisect_sites_select(struct ft_bisect *b, const size_t *idx, size_t n)
{
	const char *env = b->mode->sites->only, *noun = b->mode->noun;
	static struct ft_patterns check;
	const char *why;
	char *list = NULL;
	size_t i, len;
	FILE *f;

	f = open_memstream(&list, &len);
	if (!f)
		ft_bisect_oom();
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", b->items[idx[i]]);
	if (fclose(f))
		ft_bisect_oom();
	/* The library would stop CMD with 125: a failure, for us. */
	if (ft_patterns_parse(list, &check, &why)) {
		fprintf(stderr, "\nflaketrap bisect: %zu %s do not fit in %s:"
				" %s\n", n, noun, env, why);
		free(list);
		return -1;
	}
	setenv(env, list, 1);
	free(list);
	return 0;
}

int ft_bisect_sites_check(struct ft_bisect *b)
{
	const struct ft_bisect_site_kind *k = b->mode->sites;

	if (getenv(k->only)) {
		fprintf(stderr, "flaketrap bisect: %s sets %s itself:"
				" leave it unset (use %s to leave sites out)\n",
			k->option, k->only, k->skip);
		return -1;
	}
	return 0;
}

int ft_bisect_sites_collect(struct ft_bisect *b)
{
	const struct ft_bisect_site_kind *k = b->mode->sites;
	struct ft_bisect_sites *s = ft_bisect_sites_new(b);
	int rc;

	unsetenv(k->only);
	rc = ft_bisect_failing_log(b, k->on, k->passes, &s->logs);
	if (rc)
		return rc;
	b->seed_fixed = k->keep_seed;
	ft_bisect_sites_take(b, s, k->event, k->count_key, b->mode->noun);
	if (b->nitems == 0) {
		fprintf(stderr, "flaketrap bisect: %s\n", k->none);
		return 1;
	}
	fprintf(stderr, "flaketrap bisect: %zu %s %s", b->nitems,
		b->nitems == 1 ? k->singular : b->mode->noun, k->counted);
	if (k->keep_seed)
		fprintf(stderr, ", seed %s kept for every run", b->failed_seed);
	fputc('\n', stderr);
	return ft_bisect_control_run(b, k->control_knob, k->control_value,
				     k->control, k->control_fails);
}

void ft_bisect_sites_free(struct ft_bisect *b)
{
	struct ft_bisect_sites *s = b->data;

	if (!s)
		return;
	ft_logs_free(&s->logs);
	free(s->sites);
	free(s);
}
