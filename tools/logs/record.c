/* SPDX-License-Identifier: MIT */
/*
 * The records of the logs: each line parsed and checked against schema 1;
 * the leak and crash records, the stacks taken on request and the sleep
 * sites kept; the exit records' counters summed; the problems told.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema.h"
#include "source.h"

void *ft_logs_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("flaketrap");
		exit(2);
	}
	return p;
}

char *ft_logs_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("flaketrap");
		exit(2);
	}
	return d;
}

/* Grows an array of n elements of size sz to hold one more. */
void *ft_logs_grow(void *arr, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? 2 * *cap : 16;
	return ft_logs_xrealloc(arr, *cap * sz);
}

__attribute__((format(printf, 4, 5)))
void ft_logs_error(struct ft_logs *l, const char *path, unsigned long line,
		   const char *fmt, ...)
{
	struct ft_log_error *e;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		perror("flaketrap");
		exit(2);
	}
	va_end(ap);
	if (line)
		fprintf(stderr, "%s: %s:%lu: %s\n", l->prefix, path, line, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", l->prefix, path, msg);
	l->errors = ft_logs_grow(l->errors, l->nerrors, &l->caperrors, sizeof(*e));
	e = &l->errors[l->nerrors++];
	e->path = ft_logs_xstrdup(path);
	e->line = line;
	e->message = msg;
}

/* A skipped line: told for the first few of a file, counted always. */
__attribute__((format(printf, 3, 4)))
void ft_logs_bad_line(struct source *src, unsigned long line,
		      const char *fmt, ...)
{
	va_list ap;
	char *msg;

	src->l->skipped++;
	if (++src->bad > FT_LOG_ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		perror("flaketrap");
		exit(2);
	}
	va_end(ap);
	ft_logs_error(src->l, src->file->path, line, "%s", msg);
	free(msg);
}

void ft_logs_init(struct ft_logs *l, const char *prefix)
{
	memset(l, 0, sizeof(*l));
	l->prefix = prefix;
}

static void add_proc(struct ft_logs *l, const char *dir, long long pid)
{
	if (l->nprocs && l->procs[l->nprocs - 1].pid == pid &&
	    l->procs[l->nprocs - 1].dir == dir)
		return;
	l->procs = ft_logs_grow(l->procs, l->nprocs, &l->capprocs, sizeof(*l->procs));
	l->procs[l->nprocs].dir = dir;
	l->procs[l->nprocs++].pid = pid;
}

/* Adds the integers under v (an exit record's counters) to l's sums. */
static void add_counters(struct ft_logs *l, const struct ft_json *v,
			 const char *prefix)
{
	const struct ft_json *m;
	char name[sizeof(l->counters[0].name)];
	long long n;
	size_t i;
	int len;

	for (m = v->first; m; m = m->next) {
		len = snprintf(name, sizeof(name), "%s%s%.*s", prefix,
			       *prefix ? "." : "", (int)m->name_len, m->name);
		if (len < 0 || (size_t)len >= sizeof(name))
			continue;
		if (m->type == FT_JSON_OBJECT) {
			add_counters(l, m, name);
			continue;
		}
		if (ft_json_int(m, &n) != 0)
			continue;
		for (i = 0; i < l->ncounters; i++)
			if (!strcmp(l->counters[i].name, name))
				break;
		if (i == l->ncounters) {
			if (i == FT_LOG_COUNTERS_MAX)
				continue;
			strcpy(l->counters[l->ncounters++].name, name);
		}
		/* A forged log must not overflow the sum. */
		if (__builtin_add_overflow(l->counters[i].sum, n,
					   &l->counters[i].sum))
			l->counters[i].sum = n < 0 ? LLONG_MIN : LLONG_MAX;
	}
}

long long ft_logs_counter(const struct ft_logs *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->ncounters; i++)
		if (!strcmp(l->counters[i].name, name))
			return l->counters[i].sum;
	return 0;
}

/*
 * One line: parsed, checked, kept when a report needs it. Returns 0, or -1
 * for a start record of another schema (*schema set): the file is not
 * ours to read.
 */
int ft_logs_take_line(struct source *src, char *text, size_t len,
		      unsigned long lineno, int no_newline, long long *schema)
{
	static const struct {
		const char *event;
		enum ft_schema_part part;
	} kinds[] = {
		{ "leaked_child", FT_SCHEMA_LEAKED_CHILD },
		{ "leaked_thread", FT_SCHEMA_LEAKED_THREAD },
		{ "test_leaked_child", FT_SCHEMA_LEAKED_CHILD },
		{ "test_leaked_thread", FT_SCHEMA_LEAKED_THREAD },
		{ "crash", FT_SCHEMA_CRASH },
		{ "thread_stack", FT_SCHEMA_THREAD_STACK },
		{ "sleep_sites", FT_SCHEMA_SLEEP_SITES },
		{ "chaos_sites", FT_SCHEMA_CHAOS_SITES },
	};
	struct ft_logs *l = src->l;
	char err[256], why[256];
	struct ft_record *r;
	struct ft_json *v;
	const char *event, *w;
	long long pid, t;
	size_t i;

	v = ft_json_parse(text, len, err, sizeof(err));
	if (!v) {
		/* The library writes whole lines: a cut one is the last. */
		if (no_newline)
			ft_logs_bad_line(src, lineno, "truncated line (no newline at"
				 " the end of the file): %s", err);
		else
			ft_logs_bad_line(src, lineno, "invalid JSON: %s", err);
		return 0;
	}
	if (v->type != FT_JSON_OBJECT) {
		ft_logs_bad_line(src, lineno, "not a record (a JSON object)");
		goto skip;
	}
	w = ft_schema_check(v, FT_SCHEMA_RECORD, why, sizeof(why));
	if (w) {
		ft_logs_bad_line(src, lineno, "bad record: %s", w);
		goto skip;
	}
	event = ft_json_str(ft_json_get(v, "event"));
	ft_json_int(ft_json_get(v, "pid"), &pid);
	ft_json_int(ft_json_get(v, "time_ns"), &t);
	if (!strcmp(event, "start")) {
		w = ft_schema_check(v, FT_SCHEMA_START, why, sizeof(why));
		if (w) {
			ft_logs_bad_line(src, lineno, "bad start record: %s", w);
			goto skip;
		}
		ft_json_int(ft_json_get(v, "schema"), schema);
		if (*schema != 1) {
			ft_json_free(v);
			return -1;
		}
	}
	/* Unknown events are newer schema-1 records: not ours to judge. */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(event, kinds[i].event))
			break;
	if (i < sizeof(kinds) / sizeof(kinds[0])) {
		w = ft_schema_check(v, kinds[i].part, why, sizeof(why));
		if (w) {
			ft_logs_bad_line(src, lineno, "bad %s record: %s", event, w);
			goto skip;
		}
	}
	l->records++;
	add_proc(l, src->file->dir, pid);
	if (!strcmp(event, "exit")) {
		const struct ft_json *c = ft_json_get(v, "counters");

		l->exits++;
		if (c && c->type == FT_JSON_OBJECT && c->count <= 64)
			add_counters(l, c, "");
	}
	if (i < sizeof(kinds) / sizeof(kinds[0])) {
		l->recs = ft_logs_grow(l->recs, l->nrecs, &l->caprecs,
				       sizeof(*l->recs));
		r = &l->recs[l->nrecs++];
		r->json = v;
		r->event = kinds[i].event;
		r->pid = pid;
		r->time_ns = t;
		r->file = src->file;
		r->line = lineno;
		return 0;
	}
skip:
	ft_json_free(v);
	return 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct ft_proc_key *x = a, *y = b;
	int c = strcmp(x->dir, y->dir);

	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

size_t ft_logs_distinct(struct ft_proc_key *keys, size_t n, int runs)
{
	size_t i, count = 0;

	if (!n)
		return 0;
	qsort(keys, n, sizeof(*keys), cmp_proc);
	for (i = 0; i < n; i++)
		if (i == 0 || (runs ? strcmp(keys[i - 1].dir, keys[i].dir)
				    : cmp_proc(&keys[i - 1], &keys[i])))
			count++;
	return count;
}

void ft_logs_free(struct ft_logs *l)
{
	size_t i;

	for (i = 0; i < l->nrecs; i++)
		ft_json_free(l->recs[i].json);
	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i]->path);
		free(l->files[i]->dir);
		free(l->files[i]->program);
		free(l->files[i]);
	}
	for (i = 0; i < l->nerrors; i++) {
		free(l->errors[i].path);
		free(l->errors[i].message);
	}
	for (i = 0; i < l->nsnapshot; i++)
		free(l->snapshot[i].path);
	free(l->recs);
	free(l->files);
	free(l->procs);
	free(l->errors);
	free(l->snapshot);
	memset(l, 0, sizeof(*l));
}

