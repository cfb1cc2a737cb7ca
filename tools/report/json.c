/* SPDX-License-Identifier: MIT */
/* The JSON document of `flaketrap report --json`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "group.h"

/* JSON output: a member, then its value written by the caller. */
static void jkey(FILE *f, int *first, const char *name)
{
	fprintf(f, "%s\"%s\":", *first ? "" : ",", name);
	*first = 0;
}

static void json_frame(FILE *f, const struct ft_json *frame, int ret,
		       struct ft_symbolizer *s)
{
	struct ft_source src;
	const struct ft_json *m;
	int first = 1;

	ft_report_lookup(frame, ret, s, &src);
	fputc('{', f);
	for (m = frame->first; m; m = m->next) {
		if (!first)
			fputc(',', f);
		first = 0;
		ft_json_put_string(f, m->name, m->name_len);
		fputc(':', f);
		ft_json_put(f, m);
	}
	if (src.function) {
		jkey(f, &first, "function");
		ft_json_put_string(f, src.function, strlen(src.function));
		jkey(f, &first, "function_offset");
		fprintf(f, "%llu", src.function_offset);
	}
	if (src.file) {
		jkey(f, &first, "file");
		ft_json_put_string(f, src.file, strlen(src.file));
		jkey(f, &first, "line");
		fprintf(f, "%d", src.line);
	}
	if (src.note) {
		jkey(f, &first, "note");
		ft_json_put_string(f, src.note, strlen(src.note));
	}
	fputc('}', f);
}

static void json_frames(FILE *f, const struct ft_json *frames,
			struct ft_symbolizer *s)
{
	const struct ft_json *fr;
	size_t i = 0;

	fputc('[', f);
	for (fr = frames->first; fr; fr = fr->next, i++) {
		if (i)
			fputc(',', f);
		json_frame(f, fr, i > 0, s);
	}
	fputc(']', f);
}

/* Copies the listed members of rec that are present. */
static void json_copy(FILE *f, int *first, const struct ft_json *rec,
		      const char *const *names)
{
	const struct ft_json *v;

	for (; *names; names++) {
		v = ft_json_get(rec, *names);
		if (!v)
			continue;
		jkey(f, first, *names);
		ft_json_put(f, v);
	}
}

/* Where a record is: its log, line, process and time. */
static void put_record_head(FILE *f, int *first, const struct ft_record *rec)
{
	jkey(f, first, "log");
	ft_json_put_string(f, rec->file->path, strlen(rec->file->path));
	jkey(f, first, "line");
	fprintf(f, "%lu", rec->line);
	jkey(f, first, "pid");
	fprintf(f, "%lld", rec->pid);
	jkey(f, first, "program");
	ft_json_put_string(f, rec->file->program,
			   strlen(rec->file->program));
	jkey(f, first, "time_ns");
	fprintf(f, "%lld", rec->time_ns);
}

static void json_instance(FILE *f, const struct ft_record *rec,
			  struct ft_symbolizer *s)
{
	static const char *const child[] = { "child", "state", "cmdline",
		"comm", "created_ns", "creator_tid", "test", "truncated",
		NULL };
	static const char *const thread[] = { "tid", "name", "state",
		"detached", "created_ns", "test", "stack_unavailable",
		"truncated", NULL };
	static const char *const crash[] = { "tid", "si_code", "addr",
		"exiting", "truncated", NULL };
	static const char *const stacked[] = { "tid", "name", "main",
		"signalled", "stack_unavailable", "truncated", NULL };
	const struct ft_json *stack = ft_json_get(rec->json, "stack");
	int first = 1;

	fputc('{', f);
	put_record_head(f, &first, rec);
	json_copy(f, &first, rec->json,
		  strstr(rec->event, "leaked_child") ? child :
		  strstr(rec->event, "leaked_thread") ? thread :
		  !strcmp(rec->event, "thread_stack") ? stacked : crash);
	if (stack) {
		jkey(f, &first, "stack");
		json_frames(f, stack, s);
	}
	fputc('}', f);
}

static void json_group(FILE *f, const struct group *g,
		       struct ft_symbolizer *s)
{
	const struct ft_json *first_rec = g->recs[0]->json, *v;
	int first = 1;
	size_t i;

	fputc('{', f);
	jkey(f, &first, "event");
	fprintf(f, "\"%s\"", g->event);
	if ((v = ft_json_get(first_rec, "test")) &&
	    !strncmp(g->event, "test_", 5)) {
		jkey(f, &first, "test");
		ft_json_put(f, v);
		jkey(f, &first, "state");
		ft_json_put(f, ft_json_get(first_rec, "state"));
	}
	jkey(f, &first, "count");
	fprintf(f, "%zu", g->n);
	jkey(f, &first, "processes");
	fprintf(f, "%zu", g->procs);
	jkey(f, &first, "runs");
	fprintf(f, "%zu", g->runs);
	if (strcmp(g->event, "crash")) {
		jkey(f, &first, "origin");
		ft_json_put(f, ft_json_get(first_rec, "origin"));
	} else {
		jkey(f, &first, "signal");
		ft_json_put(f, ft_json_get(first_rec, "signal"));
		if ((v = ft_json_get(first_rec, "signal_name"))) {
			jkey(f, &first, "signal_name");
			ft_json_put(f, v);
		}
	}
	if ((v = ft_json_get(first_rec, "start_routine"))) {
		jkey(f, &first, "start_routine");
		json_frame(f, v, 0, s);
	}
	jkey(f, &first, "backtrace");
	if ((v = ft_json_get(first_rec, "backtrace")))
		json_frames(f, v, s);
	else
		fputs("[]", f);
	if ((v = ft_json_get(first_rec, "python"))) {
		jkey(f, &first, "python");
		ft_json_put(f, v);
	}
	jkey(f, &first, "instances");
	fputc('[', f);
	for (i = 0; i < g->n; i++) {
		if (i)
			fputc(',', f);
		json_instance(f, g->recs[i], s);
	}
	fputs("]}", f);
}

/* A sleep_sites record, each site's frames looked up (all return
 * addresses: the site is where a sleep function returns to). */
static void json_sites(FILE *f, const struct ft_record *rec,
		       struct ft_symbolizer *s)
{
	static const char *const counts[] = { "id", "seen", "changed",
		"requested_ns", "slept_ns", "test", NULL };
	const struct ft_json *site, *fr, *other;
	int first = 1, first_site = 1;

	fputc('{', f);
	put_record_head(f, &first, rec);
	if ((other = ft_json_get(rec->json, "other"))) {
		jkey(f, &first, "other");
		ft_json_put(f, other);
	}
	jkey(f, &first, "sites");
	fputc('[', f);
	for (site = ft_json_get(rec->json, "sites")->first; site;
	     site = site->next) {
		int sfirst = 1;

		if (!first_site)
			fputc(',', f);
		first_site = 0;
		fputc('{', f);
		json_copy(f, &sfirst, site, counts);
		if (ft_json_get(site, "python")) {
			jkey(f, &sfirst, "python");
			ft_json_put(f, ft_json_get(site, "python"));
		}
		jkey(f, &sfirst, "backtrace");
		fputc('[', f);
		for (fr = ft_json_get(site, "backtrace")->first; fr;
		     fr = fr->next) {
			json_frame(f, fr, 1, s);
			if (fr->next)
				fputc(',', f);
		}
		fputs("]}", f);
	}
	fputs("]}", f);
}

void ft_report_json(FILE *f, const struct ft_report *r,
		    struct ft_symbolizer *s)
{
	const struct ft_logs *l = r->l;
	size_t i;
	int crashes, n;

	fprintf(f, "{\"flaketrap_report\":1,\"logs\":{\"files\":%zu,"
		"\"records\":%zu,\"processes\":%zu,\"runs\":%zu,"
		"\"skipped\":%zu},\"errors\":[", l->nfiles, l->records,
		r->processes, r->runs, l->skipped);
	for (i = 0; i < l->nerrors; i++) {
		fprintf(f, "%s{\"log\":", i ? "," : "");
		ft_json_put_string(f, l->errors[i].path,
				   strlen(l->errors[i].path));
		fprintf(f, ",\"line\":%lu,\"message\":", l->errors[i].line);
		ft_json_put_string(f, l->errors[i].message,
				   strlen(l->errors[i].message));
		fputc('}', f);
	}
	for (crashes = 0; crashes <= 1; crashes++) {
		fprintf(f, "],\"%s\":[", crashes ? "crashes" : "leaks");
		for (i = 0, n = 0; i < r->ngroups; i++) {
			if ((strcmp(r->groups[i].event, "crash") == 0) != crashes)
				continue;
			if (n++)
				fputc(',', f);
			json_group(f, &r->groups[i], s);
		}
	}
	/* What each test left alive at its end, in the order they ran. */
	fputs("],\"tests\":[", f);
	for (i = 0; i < r->ntests; i++) {
		if (i)
			fputc(',', f);
		json_group(f, &r->tests[i], s);
	}
	fputs("],\"stacks\":[", f);
	for (i = 0; i < r->nstacks; i++) {
		if (i)
			fputc(',', f);
		json_instance(f, r->stacks[i], s);
	}
	fputs("],\"sleep_sites\":[", f);
	for (i = 0; i < r->nsites; i++) {
		if (i)
			fputc(',', f);
		json_sites(f, r->sites[i], s);
	}
	fputs("]}\n", f);
}

