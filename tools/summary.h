/* SPDX-License-Identifier: MIT */
/*
 * What `flaketrap run` says after CMD, shared with loop and bisect: the
 * processes CMD left running (ended, then listed) and the leaks and
 * crashes of the run's logs.
 */
#ifndef FT_SUMMARY_H
#define FT_SUMMARY_H

#include <stdio.h>

#include "logs.h"

struct ft_summary {
	size_t leftovers;	/* processes that outlived CMD, ended */
	size_t leaks;		/* leaked_child and leaked_thread records */
	size_t crashes;
	/* The tests that left something alive at their end, one a line. */
	char tests[512];
};

/*
 * Ends what CMD left running (this process is their subreaper: SIGTERM,
 * SIGKILL after grace_ms), reads the logs of dir into l and prints to f
 * what there is to say (nothing when there is nothing). grace_text is
 * --grace as given. Returns whether anything leaked (a leftover, a leak
 * record, or a test's); *s, when not NULL, gets the counts.
 */
int ft_summarize(FILE *f, struct ft_logs *l, const char *dir,
		 long long grace_ms, const char *grace_text,
		 struct ft_summary *s);

/*
 * The status of a run under --fail-on-leak: CMD's own when it failed, 3
 * (FT_EXIT_LEAKED) when it leaked, 125 when records of lost processes
 * were not written (what was not written cannot be said clean: said on
 * f after prefix), else 0.
 */
int ft_fail_on_leak_status(FILE *f, const char *prefix, int status,
			   int leaked, size_t lost);

#endif
