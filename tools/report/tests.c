/* SPDX-License-Identifier: MIT */
/*
 * The report by test: what each test left alive at its end (the
 * test_leaked_child and test_leaked_thread records of flaketrap_test_end),
 * one line per test and kind: "test_b left 1 thread running (started at
 * pool.c:41 in start_pinger)".
 */
#include <stdio.h>
#include <string.h>

#include "../../preload/pyfile.h"
#include "group.h"

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* What the leak is at the test's end, after its count. */
static const char *leak_words(const struct group *g)
{
	const char *state = ft_report_str(g->recs[0]->json, "state") ?: "";
	int child = !strcmp(g->event, "test_leaked_child");

	if (child)
		return !strcmp(state, "zombie") ? " ended, never reaped"
						: " running";
	return !strcmp(state, "finished") ? " finished, never joined"
					  : " running";
}

/*
 * Of a Python creator's frames (innermost first), the test's: the first
 * outside the interpreter's own library (threading.py, multiprocessing,
 * subprocess.py; its test package, CPython's suite, is a test's), or the
 * innermost when all are in it. NULL without any.
 */
static const struct ft_json *python_site(const struct ft_json *rec)
{
	const struct ft_json *py = ft_json_get(rec, "python"), *fr;
	const char *file;

	if (!py || py->type != FT_JSON_ARRAY || !py->first)
		return NULL;
	for (fr = py->first; fr; fr = fr->next) {
		file = ft_report_str(fr, "file");
		if (file && !ft_py_file_is_library(file))
			return fr;
	}
	return py->first;
}

/* A string of the log as text, "?" when it is no string. */
static void put_json_text_or(FILE *f, const struct ft_json *v)
{
	if (v && v->type == FT_JSON_STRING)
		ft_report_put_json_text(f, v);
	else
		fputc('?', f);
}

/*
 * Where it was made: the test's Python line when a Python process made
 * it, as FILE:LINE in FUNC; else the first frame of its creation
 * backtrace that is not flaketrap's, as FILE:LINE in FUNC, else
 * MODULE+OFFSET in FUNC.
 */
static void put_started_at(FILE *f, const struct ft_json *rec,
			   struct ft_symbolizer *s)
{
	const struct ft_json *bt = ft_json_get(rec, "backtrace"), *fr;
	const char *module, *base;
	struct ft_source src;

	if ((fr = python_site(rec))) {
		fputs(" (started at ", f);
		put_json_text_or(f, ft_json_get(fr, "file"));
		fprintf(f, ":%lld in ", ft_report_int(fr, "line", 0));
		put_json_text_or(f, ft_json_get(fr, "function"));
		fputc(')', f);
		return;
	}

	for (fr = bt ? bt->first : NULL; fr; fr = fr->next) {
		module = ft_report_str(fr, "module");
		base = module ? strrchr(module, '/') : NULL;
		base = base ? base + 1 : module;
		if (!base || strncmp(base, "libflaketrap", 12))
			break;
	}
	if (!fr) {
		fputs(" (no creation backtrace)", f);
		return;
	}
	ft_report_lookup(fr, 1, s, &src);
	fputs(" (started at ", f);
	if (src.file)
		fprintf(f, "%s:%d", src.file, src.line);
	else if ((module = ft_report_str(fr, "module")))
		fprintf(f, "%s+%s", module, ft_report_str(fr, "offset") ?: "?");
	else
		fputs(ft_report_str(fr, "ip") ?: "?", f);
	if (!ft_report_put_function_name(f, " in ", fr, &src))
		fputs(" in ?", f);
	fputc(')', f);
}

void ft_report_tests_text(FILE *f, const struct ft_report *r,
			  struct ft_symbolizer *s, const char *lead)
{
	const struct group *g;
	const struct ft_json *test;
	size_t i;

	for (i = 0; i < r->ntests; i++) {
		g = &r->tests[i];
		test = ft_json_get(g->recs[0]->json, "test");
		fputs(lead, f);
		if (test)
			ft_report_put_json_text(f, test);
		fprintf(f, " left %zu %s%s", g->n,
			!strcmp(g->event, "test_leaked_child")
				? plural(g->n, "child", "children")
				: plural(g->n, "thread", "threads"),
			leak_words(g));
		put_started_at(f, g->recs[0]->json, s);
		if (g->runs > 1)
			fprintf(f, " in %zu runs", g->runs);
		fputc('\n', f);
	}
}

void ft_report_leaking_tests(const struct ft_report *r, const char *sep,
			     char *out, size_t len)
{
	const char *name, *prev = NULL;
	size_t i, used = 0, need;

	if (!len)
		return;
	out[0] = '\0';
	for (i = 0; i < r->ntests; i++) {
		name = ft_report_str(r->tests[i].recs[0]->json, "test") ?: "?";
		/* A test's threads and children: one name. */
		if (prev && !strcmp(prev, name))
			continue;
		prev = name;
		need = strlen(name) + (used ? strlen(sep) : 0);
		if (used + need + strlen(sep) + 4 >= len) {
			snprintf(out + used, len - used, "%s...",
				 used ? sep : "");
			return;
		}
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 used ? sep : "", name);
	}
}
