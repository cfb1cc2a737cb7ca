/* SPDX-License-Identifier: MIT */
/*
 * After CMD: its leftovers ended and listed with where they were made, then
 * the leaks and crashes of the run's logs, as `flaketrap report` prints
 * them. See summary.h.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "leftovers.h"
#include "report.h"
#include "summary.h"

/* The leaked_child record that names pid, or NULL (the latest wins). */
static const struct ft_record *creation_of(const struct ft_logs *l, pid_t pid)
{
	const struct ft_record *found = NULL;
	long long named;
	size_t i;

	for (i = 0; i < l->nrecs; i++)
		if (!strcmp(l->recs[i].event, "leaked_child") &&
		    !ft_json_int(ft_json_get(l->recs[i].json, "child"), &named) &&
		    named == pid)
			found = &l->recs[i];
	return found;
}

static void print_leftovers(FILE *f, const struct ft_leftover *lv, size_t n,
			    const struct ft_logs *l, struct ft_symbolizer *s,
			    const char *grace_text)
{
	const struct ft_record *rec;
	const struct ft_json *bt;
	size_t i;

	fprintf(f, "flaketrap: %zu %s outlived the command, and %s ended\n",
		n, n == 1 ? "process" : "processes", n == 1 ? "was" : "were");
	for (i = 0; i < n; i++) {
		if (lv[i].signal == SIGKILL)
			fprintf(f, "  pid %d %s (SIGKILL: still there %s"
				   " after SIGTERM)\n",
				(int)lv[i].pid, lv[i].what, grace_text);
		else
			fprintf(f, "  pid %d %s (%s)\n", (int)lv[i].pid,
				lv[i].what,
				lv[i].signal == SIGTERM ? "ended by SIGTERM"
							: "ended by itself");
		rec = creation_of(l, lv[i].pid);
		if (!rec)
			continue;
		bt = ft_json_get(rec->json, "backtrace");
		fprintf(f, "    left by pid %lld %s, made by %s",
			rec->pid, rec->file->program,
			ft_json_str(ft_json_get(rec->json, "origin")));
		/* A log removed once read is not cited. */
		if (!rec->file->gone)
			fprintf(f, " (%s:%lu)", rec->file->cited, rec->line);
		fprintf(f, "%s\n", bt && bt->count ? ":" : "; no backtrace");
		if (bt)
			ft_report_frames(f, bt, s, "      ");
	}
}

int ft_summarize(FILE *f, struct ft_logs *l, const char *dir,
		 long long grace_ms, const char *grace_text,
		 struct ft_summary *sum)
{
	struct ft_leftover *lv;
	struct ft_symbolizer *s;
	struct ft_report *r;
	size_t n;
	int leaked;

	n = ft_leftovers_end(&lv, grace_ms);
	ft_logs_add(l, dir);
	r = ft_report_build(l);
	s = ft_sym_new();
	if (n)
		print_leftovers(f, lv, n, l, s, grace_text);
	if (ft_report_leaks(r) || ft_report_crashes(r) ||
	    ft_report_stacks(r) || ft_report_test_leaks(r) || l->skipped)
		ft_report_text(f, r, s);
	leaked = n || ft_report_leaks(r) || ft_report_test_leaks(r);
	if (sum) {
		sum->leftovers = n;
		sum->leaks = ft_report_leaks(r);
		sum->crashes = ft_report_crashes(r);
		ft_report_leaking_tests(r, "\n", sum->tests, sizeof(sum->tests));
	}
	ft_sym_free(s);
	ft_report_free(r);
	ft_leftovers_free(lv, n);
	return leaked;
}

int ft_fail_on_leak_status(FILE *f, const char *prefix, int status,
			   int leaked, size_t lost)
{
	if (status != 0)
		return status;
	if (leaked)
		return FT_EXIT_LEAKED;
	if (lost) {
		fprintf(f, "%s: records of %zu process%s were lost:"
			   " --fail-on-leak cannot pass this run\n",
			prefix, lost, lost == 1 ? "" : "es");
		return FT_EXIT_TOOL_ERROR;
	}
	return 0;
}
