/* SPDX-License-Identifier: MIT */
/*
 * The leak and crash records of the logs, grouped: identical leaks (same
 * event, origin and creation backtrace) and crashes (same signal and
 * backtrace) are one group, counted in processes and runs; and the
 * counters of the exit records, summed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

struct keyed {
	char *key;
	size_t idx;
};

void ft_report_oom(void)
{
	perror("flaketrap");
	exit(2);
}

static int event_rank(const char *event)
{
	return !strcmp(event, "leaked_child") ? 0 :
	       !strcmp(event, "leaked_thread") ? 1 :
	       !strncmp(event, "test_", 5) ? 3 : 2;
}

const char *ft_report_str(const struct ft_json *obj, const char *name)
{
	return ft_json_str(ft_json_get(obj, name));
}

long long ft_report_int(const struct ft_json *obj, const char *name,
			long long def)
{
	long long v;

	return ft_json_int(ft_json_get(obj, name), &v) ? def : v;
}

/* A frame's identity: module and offset survive ASLR, an ip does not. */
static void put_frame_key(FILE *f, const struct ft_json *frame)
{
	const char *module = ft_report_str(frame, "module");
	const char *offset = ft_report_str(frame, "offset");

	if (module && offset)
		fprintf(f, "m:%s+%s\n", module, offset);
	else
		fprintf(f, "ip:%s\n", ft_report_str(frame, "ip"));
}

static char *record_key(const struct ft_record *r)
{
	const struct ft_json *bt = ft_json_get(r->json, "backtrace");
	const struct ft_json *fr, *routine, *py;
	char *key = NULL;
	size_t len;
	FILE *f = open_memstream(&key, &len);

	if (!f)
		ft_report_oom();
	/* A test's leaks: by test, then by state, then as any leak. */
	if (event_rank(r->event) == 3)
		fprintf(f, "%s\n%s\n", ft_report_str(r->json, "test") ?: "",
			ft_report_str(r->json, "state") ?: "");
	fprintf(f, "%s\n", r->event);
	if (!strcmp(r->event, "crash"))
		fprintf(f, "%lld\n", ft_report_int(r->json, "signal", 0));
	else
		fprintf(f, "%s\n", ft_report_str(r->json, "origin"));
	/* Python threads are all made by the same C code: their lines
	 * tell them apart. */
	py = ft_json_get(r->json, "python");
	for (fr = py ? py->first : NULL; fr; fr = fr->next)
		fprintf(f, "py:%s:%lld:%s\n",
			ft_report_str(fr, "file") ?: "?",
			ft_report_int(fr, "line", 0),
			ft_report_str(fr, "function") ?: "?");
	if (bt && bt->count) {
		for (fr = bt->first; fr; fr = fr->next)
			put_frame_key(f, fr);
	} else if (!strcmp(r->event, "leaked_child") ||
		   !strcmp(r->event, "test_leaked_child")) {
		/* Without a backtrace, what ran is all that tells apart. */
		fprintf(f, "comm:%s\n", ft_report_str(r->json, "comm") ?: "");
	} else if (strcmp(r->event, "crash")) {
		routine = ft_json_get(r->json, "start_routine");
		if (routine)
			put_frame_key(f, routine);
	}
	if (fclose(f))
		ft_report_oom();
	return key;
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = event_rank(x->event) - event_rank(y->event);

	if (c)
		return c;
	/* A test's leaks in the order the tests ran. */
	if (event_rank(x->event) != 3 && x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void count_group(struct group *g)
{
	struct ft_proc_key *keys = malloc(g->n * sizeof(*keys));
	size_t i;

	if (!keys)
		ft_report_oom();
	for (i = 0; i < g->n; i++) {
		keys[i].dir = g->recs[i]->file->dir;
		keys[i].pid = g->recs[i]->pid;
	}
	g->procs = ft_logs_distinct(keys, g->n, 0);
	g->runs = ft_logs_distinct(keys, g->n, 1);
	free(keys);
}

/*
 * The n records of k (keyed, in reading order) as groups: each run of
 * one key after sorting is one group, its records in *slots.
 */
static struct group *group_keyed(struct ft_logs *l, struct keyed *k,
				 size_t n, size_t *ngroups,
				 struct ft_record ***slots)
{
	struct group *groups, *g = NULL;
	size_t i;

	/* Sorted by key, then by reading order: each group is one run of k. */
	qsort(k, n, sizeof(*k), cmp_keyed);
	*slots = malloc((n + 1) * sizeof(**slots));
	groups = calloc(n + 1, sizeof(*groups));
	if (!*slots || !groups)
		ft_report_oom();
	*ngroups = 0;
	for (i = 0; i < n; i++) {
		if (!g || strcmp(g->key, k[i].key)) {
			g = &groups[(*ngroups)++];
			g->key = k[i].key;
			g->event = l->recs[k[i].idx].event;
			g->first = k[i].idx;
			g->recs = &(*slots)[i];
		} else {
			free(k[i].key);
		}
		g->recs[g->n++] = &l->recs[k[i].idx];
	}
	for (i = 0; i < *ngroups; i++)
		count_group(&groups[i]);
	qsort(groups, *ngroups, sizeof(*groups), cmp_group);
	return groups;
}

struct ft_report *ft_report_build(struct ft_logs *l)
{
	struct ft_report *r = calloc(1, sizeof(*r));
	struct keyed *k = malloc((l->nrecs + 1) * sizeof(*k));
	struct keyed *tk = malloc((l->nrecs + 1) * sizeof(*tk));
	size_t i, n, nt = 0;

	if (!r || !k || !tk)
		ft_report_oom();
	r->l = l;
	r->processes = ft_logs_distinct(l->procs, l->nprocs, 0);
	r->runs = ft_logs_distinct(l->procs, l->nprocs, 1);
	r->stacks = malloc((l->nrecs + 1) * sizeof(*r->stacks));
	r->sites = malloc((l->nrecs + 1) * sizeof(*r->sites));
	if (!r->stacks || !r->sites)
		ft_report_oom();
	for (i = 0, n = 0; i < l->nrecs; i++) {
		if (!strcmp(l->recs[i].event, "thread_stack")) {
			r->stacks[r->nstacks++] = &l->recs[i];
			continue;
		}
		if (!strcmp(l->recs[i].event, "sleep_sites")) {
			r->sites[r->nsites++] = &l->recs[i];
			continue;
		}
		/* Read for bisect --chaos; no leak, no crash. */
		if (!strcmp(l->recs[i].event, "chaos_sites"))
			continue;
		if (event_rank(l->recs[i].event) == 3) {
			tk[nt].key = record_key(&l->recs[i]);
			tk[nt++].idx = i;
			continue;
		}
		k[n].key = record_key(&l->recs[i]);
		k[n++].idx = i;
		switch (event_rank(l->recs[i].event)) {
		case 0: r->children++; break;
		case 1: r->threads++; break;
		default: r->crashes++; break;
		}
	}
	r->groups = group_keyed(l, k, n, &r->ngroups, &r->slots);
	r->test_leaks = nt;
	r->tests = group_keyed(l, tk, nt, &r->ntests, &r->test_slots);
	free(k);
	free(tk);
	return r;
}

size_t ft_report_leaks(const struct ft_report *r)
{
	return r->children + r->threads;
}

size_t ft_report_test_leaks(const struct ft_report *r)
{
	return r->test_leaks;
}

size_t ft_report_crashes(const struct ft_report *r)
{
	return r->crashes;
}

size_t ft_report_stacks(const struct ft_report *r)
{
	return r->nstacks;
}

/* The kinds of delay of the exit record's counters.delays, as named there. */
static const char *const delay_kinds[] = {
	"waitpid", "exit", "exit_late", "thread", "fork_child", "fork_parent",
};

/* Whether name is a counter that ft_report_counters prints by name. */
static int known_counter(const char *name)
{
	static const char *const known[] = {
		"sleeps_seen", "sleeps_changed", "requested_ns", "slept_ns",
		"waits_warped", "warped_ns", "waits_real", "idle_scans",
		"delays.total_ns",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return 1;
	return !strncmp(name, "delays.", 7) || !strncmp(name, "chaos.", 6);
}

long long ft_report_delays(const struct ft_logs *l)
{
	char name[64];
	long long n = 0;
	size_t i;

	for (i = 0; i < sizeof(delay_kinds) / sizeof(delay_kinds[0]); i++) {
		snprintf(name, sizeof(name), "delays.%s.count", delay_kinds[i]);
		n += ft_logs_counter(l, name);
	}
	return n;
}

void ft_report_counters(FILE *f, const struct ft_logs *l, const char *lead)
{
	char name[64];
	long long n, delays = 0;
	size_t i;

	n = ft_logs_counter(l, "sleeps_seen");
	fprintf(f, "%s%zu %s ended with the library: ", lead, l->exits,
		l->exits == 1 ? "process" : "processes");
	if (n) {
		fprintf(f, "%lld of %lld %s changed (",
			ft_logs_counter(l, "sleeps_changed"), n,
			n == 1 ? "sleep" : "sleeps");
		ft_report_put_ns(f, ft_logs_counter(l, "requested_ns"));
		fputs(" asked, ", f);
		ft_report_put_ns(f, ft_logs_counter(l, "slept_ns"));
		fputs(" slept)", f);
	} else {
		fputs("no sleep", f);
	}
	for (i = 0; i < sizeof(delay_kinds) / sizeof(delay_kinds[0]); i++) {
		snprintf(name, sizeof(name), "delays.%s.count", delay_kinds[i]);
		n = ft_logs_counter(l, name);
		if (!n)
			continue;
		fprintf(f, "%s%lld %s", delays ? ", " : "; delays: ", n,
			delay_kinds[i]);
		snprintf(name, sizeof(name), "delays.%s.ns", delay_kinds[i]);
		fputs(" (", f);
		ft_report_put_ns(f, ft_logs_counter(l, name));
		fputc(')', f);
		delays += n;
	}
	if (!delays)
		fputs("; no delay", f);
	n = ft_logs_counter(l, "waits_warped");
	if (n) {
		fprintf(f, "; %lld %s warped (", n, n == 1 ? "wait" : "waits");
		ft_report_put_ns(f, ft_logs_counter(l, "warped_ns"));
		fputs(" skipped)", f);
	}
	n = ft_logs_counter(l, "waits_real");
	if (n)
		fprintf(f, "; %lld lock or condition %s waited for real", n,
			n == 1 ? "wait" : "waits");
	n = ft_logs_counter(l, "chaos.points");
	if (n) {
		fprintf(f, "; chaos: %lld of %lld %s held (",
			ft_logs_counter(l, "chaos.holds"), n,
			n == 1 ? "call" : "calls");
		ft_report_put_ns(f, ft_logs_counter(l, "chaos.held_ns"));
		fprintf(f, "), %lld left out by the budget",
			ft_logs_counter(l, "chaos.cut"));
		if (ft_logs_counter(l, "chaos.spared"))
			fprintf(f, ", %lld by the patterns",
				ft_logs_counter(l, "chaos.spared"));
	}
	/* Counters of a newer library: shown as they are named. */
	for (i = 0; i < l->ncounters; i++)
		if (l->counters[i].sum && !known_counter(l->counters[i].name))
			fprintf(f, "; %s %lld", l->counters[i].name,
				l->counters[i].sum);
	fputc('\n', f);
}

void ft_report_free(struct ft_report *r)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++)
		free(r->groups[i].key);
	for (i = 0; i < r->ntests; i++)
		free(r->tests[i].key);
	free(r->groups);
	free(r->slots);
	free(r->tests);
	free(r->test_slots);
	free(r->stacks);
	free(r->sites);
	free(r);
}

