/* SPDX-License-Identifier: MIT */
/* The text report: a header line, each group, the stacks, the sleep sites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

/* Instances listed per group in the text report (JSON lists all). */
#define TEXT_INSTANCES 10

static void put_cmdline(FILE *f, const struct ft_json *rec)
{
	const struct ft_json *argv = ft_json_get(rec, "cmdline");
	const struct ft_json *comm = ft_json_get(rec, "comm");
	const struct ft_json *a;

	if (argv && argv->count) {
		for (a = argv->first; a; a = a->next) {
			if (a != argv->first)
				fputc(' ', f);
			ft_report_put_json_text(f, a);
		}
	} else if (comm) {
		fputc('[', f);
		ft_report_put_json_text(f, comm);
		fputc(']', f);
	} else {
		fputs("(no command line)", f);
	}
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void put_where(FILE *f, const struct ft_record *rec)
{
	fprintf(f, "pid %lld %s", rec->pid, rec->file->program);
	if (!rec->file->gone)
		fprintf(f, "; %s:%lu", rec->file->cited, rec->line);
}

static void text_instance(FILE *f, const struct ft_record *rec)
{
	const struct ft_json *j = rec->json;
	const struct ft_json *name = ft_json_get(j, "name");

	if (!strcmp(rec->event, "leaked_child")) {
		fprintf(f, "  child %lld %s: ", ft_report_int(j, "child", 0),
			ft_report_str(j, "state"));
		put_cmdline(f, j);
		fputs(" (left by ", f);
	} else if (!strcmp(rec->event, "leaked_thread")) {
		fprintf(f, "  thread %lld", ft_report_int(j, "tid", 0));
		if (name) {
			fputs(" \"", f);
			ft_report_put_json_text(f, name);
			fputc('"', f);
		}
		fprintf(f, " %s%s (in ", ft_report_str(j, "state"),
			!strcmp(ft_report_str(j, "state"), "finished")
				? ", never joined" : "");
	} else {
		fprintf(f, "  thread %lld", ft_report_int(j, "tid", rec->pid));
		if (ft_report_str(j, "addr"))
			fprintf(f, ", address %s", ft_report_str(j, "addr"));
		if (ft_json_get(j, "exiting") &&
		    ft_json_get(j, "exiting")->type == FT_JSON_TRUE)
			fputs(", during exit", f);
		fputs(" (", f);
	}
	put_where(f, rec);
	fputs(")", f);
	if ((name = ft_json_get(j, "test"))) {
		fputs(", made in test ", f);
		ft_report_put_json_text(f, name);
	}
	fputc('\n', f);
}

static void put_origin(FILE *f, const struct ft_json *rec)
{
	const char *origin = ft_report_str(rec, "origin");

	if (!strcmp(origin, "unknown"))
		fputs("origin unknown", f);
	else
		fprintf(f, "made by %s", origin);
}

void ft_report_text_group(FILE *f, const struct group *g,
			  struct ft_symbolizer *s)
{
	const struct ft_json *first = g->recs[0]->json, *bt, *routine;
	const struct ft_json *stack = NULL, *why = NULL;
	const struct ft_record *stack_rec = NULL;
	size_t i;

	if (!strcmp(g->event, "crash")) {
		fprintf(f, "\ncrash x%zu, ", g->n);
		if (ft_report_str(first, "signal_name"))
			fprintf(f, "%s ", ft_report_str(first, "signal_name"));
		fprintf(f, "(signal %lld)", ft_report_int(first, "signal", 0));
	} else if (!strcmp(g->event, "leaked_child")) {
		fprintf(f, "\nleaked child x%zu, ", g->n);
		put_origin(f, first);
	} else {
		fprintf(f, "\nleaked thread x%zu, ", g->n);
		put_origin(f, first);
		routine = ft_json_get(first, "start_routine");
		if (routine) {
			fputs(", start routine ", f);
			ft_report_put_routine(f, routine, s);
		}
	}
	fprintf(f, " (%zu %s, %zu %s)\n", g->procs,
		plural(g->procs, "process", "processes"), g->runs,
		plural(g->runs, "run", "runs"));
	for (i = 0; i < g->n && i < TEXT_INSTANCES; i++)
		text_instance(f, g->recs[i]);
	if (g->n > TEXT_INSTANCES)
		fprintf(f, "  ... and %zu more (--json lists them all)\n",
			g->n - TEXT_INSTANCES);
	bt = ft_json_get(first, "backtrace");
	if (bt && bt->count) {
		fprintf(f, "  %s:\n", strcmp(g->event, "crash")
					      ? "created at" : "backtrace");
		ft_report_frames(f, bt, s, "    ");
	} else {
		fprintf(f, "  no %s in the log\n", strcmp(g->event, "crash")
			? "creation backtrace" : "backtrace");
	}
	ft_report_python(f, ft_json_get(first, "python"), "    ");
	if (strcmp(g->event, "leaked_thread"))
		return;
	for (i = 0; i < g->n && !stack; i++) {
		stack = ft_json_get(g->recs[i]->json, "stack");
		stack_rec = g->recs[i];
		if (!why)
			why = ft_json_get(g->recs[i]->json,
					  "stack_unavailable");
	}
	if (stack) {
		fprintf(f, "  current stack of thread %lld:\n",
			ft_report_int(stack_rec->json, "tid", 0));
		ft_report_frames(f, stack, s, "    ");
	} else if (why) {
		fputs("  current stack unavailable: ", f);
		ft_report_put_json_text(f, why);
		fputc('\n', f);
	}
}

/* A thread_stack record: where the thread was when it was asked. */
static void text_stack(FILE *f, const struct ft_record *rec,
		       struct ft_symbolizer *s)
{
	const struct ft_json *j = rec->json, *v;

	fprintf(f, "  thread %lld", ft_report_int(j, "tid", 0));
	if ((v = ft_json_get(j, "name"))) {
		fputs(" \"", f);
		ft_report_put_json_text(f, v);
		fputc('"', f);
	}
	if ((v = ft_json_get(j, "main")) && v->type == FT_JSON_TRUE)
		fputs(", main", f);
	fputs(" (", f);
	put_where(f, rec);
	fputs(")", f);
	if ((v = ft_json_get(j, "stack"))) {
		fputs(":\n", f);
		ft_report_frames(f, v, s, "    ");
	} else {
		fputs(": no stack: ", f);
		v = ft_json_get(j, "stack_unavailable");
		if (v)
			ft_report_put_json_text(f, v);
		fputc('\n', f);
	}
}

void ft_report_text(FILE *f, const struct ft_report *r,
		    struct ft_symbolizer *s)
{
	size_t i, leaks = r->children + r->threads;

	fputs("flaketrap: ", f);
	/* Nothing read says nothing of leaks: never "no leak". */
	if (!r->processes && r->l->skipped) {
		fprintf(f, "nothing read; %zu skipped (see above)\n",
			r->l->skipped);
		return;
	}
	if (leaks) {
		fprintf(f, "%zu %s (", leaks, plural(leaks, "leak", "leaks"));
		if (r->children)
			fprintf(f, "%zu %s%s", r->children,
				plural(r->children, "child", "children"),
				r->threads ? ", " : "");
		if (r->threads)
			fprintf(f, "%zu %s", r->threads,
				plural(r->threads, "thread", "threads"));
		fputs(")", f);
	} else {
		fputs("no leak", f);
	}
	if (r->test_leaks)
		fprintf(f, " at exit, %zu left alive at a test's end",
			r->test_leaks);
	if (r->crashes)
		fprintf(f, ", %zu %s", r->crashes,
			plural(r->crashes, "crash", "crashes"));
	else
		fputs(", no crash", f);
	fprintf(f, "; %zu %s in %zu %s", r->processes,
		plural(r->processes, "process", "processes"), r->runs,
		plural(r->runs, "run", "runs"));
	if (r->l->skipped)
		fprintf(f, "; %zu skipped (see above)", r->l->skipped);
	fputc('\n', f);
	if (r->ntests) {
		fputs("\nleft alive at the end of their test:\n", f);
		ft_report_tests_text(f, r, s, "  ");
	}
	for (i = 0; i < r->ngroups; i++)
		ft_report_text_group(f, &r->groups[i], s);
	if (r->nstacks)
		fprintf(f, "\nstacks on request (a hang), %zu %s:\n",
			r->nstacks, plural(r->nstacks, "thread", "threads"));
	for (i = 0; i < r->nstacks; i++)
		text_stack(f, r->stacks[i], s);
}

void ft_report_put_ns(FILE *f, long long ns)
{
	static const struct {
		long long ns;
		const char *unit;
	} units[] = { { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns >= units[i].ns) {
			fprintf(f, "%.4g %s", (double)ns / (double)units[i].ns,
				units[i].unit);
			return;
		}
	fprintf(f, "%lld ns", ns);
}

static void put_counts(FILE *f, const struct ft_json *t)
{
	fprintf(f, "seen %lld, changed %lld; asked ",
		ft_report_int(t, "seen", 0), ft_report_int(t, "changed", 0));
	ft_report_put_ns(f, ft_report_int(t, "requested_ns", 0));
	fputs(", slept ", f);
	ft_report_put_ns(f, ft_report_int(t, "slept_ns", 0));
}

void ft_report_site(FILE *f, const struct ft_json *site,
		    struct ft_symbolizer *s)
{
	const struct ft_json *bt = ft_json_get(site, "backtrace");
	const struct ft_json *py = ft_json_get(site, "python");
	struct ft_source src;

	/* A Python site: its innermost Python frame is the line to fix. */
	if (py && py->first) {
		ft_report_put_python_frame(f, py->first);
		fprintf(f, " (%s)", ft_report_str(site, "id") ?: "?");
		return;
	}
	memset(&src, 0, sizeof(src));
	if (bt && bt->first)
		ft_report_lookup(bt->first, 1, s, &src);
	if (!bt || !bt->first || !ft_report_put_function(f, "", bt->first, &src))
		fputs("(no symbol)", f);
	if (src.file)
		fprintf(f, " at %s:%d", src.file, src.line);
	fprintf(f, " (%s)", ft_report_str(site, "id") ?: "?");
}

/* The sleep sites of each process, busiest first, as the log has them. */
void ft_report_sites_text(FILE *f, const struct ft_report *r,
			  struct ft_symbolizer *s)
{
	const struct ft_record *rec, *prev = NULL;
	const struct ft_json *site, *other;
	size_t i;

	for (i = 0; i < r->nsites; i++, prev = rec) {
		rec = r->sites[i];
		/* A process's sites may take more than one record. */
		if (!prev || prev->file != rec->file || prev->pid != rec->pid) {
			fputs("\nsleep sites of ", f);
			put_where(f, rec);
			fputs(":\n", f);
		}
		for (site = ft_json_get(rec->json, "sites")->first; site;
		     site = site->next) {
			fputs("  ", f);
			ft_report_site(f, site, s);
			fputs(": ", f);
			put_counts(f, site);
			fputc('\n', f);
		}
		other = ft_json_get(rec->json, "other");
		if (other && ft_report_int(other, "seen", 0)) {
			fputs("  other sleeps (beyond the table, or no frame"
			      " outside libc): ", f);
			put_counts(f, other);
			fputc('\n', f);
		}
	}
}

