/* SPDX-License-Identifier: MIT */
/*
 * The report's groups, and the pieces its printers share: group.c reads
 * the records into groups, frames.c prints frames and symbols, text.c and
 * json.c print the report, ci.c writes it for CI (JUnit, GitHub), and
 * report.c is the command.
 */
#ifndef FT_REPORT_GROUP_H
#define FT_REPORT_GROUP_H

#include <stdio.h>

#include "../report.h"

struct group {
	const char *event;
	char *key;
	struct ft_record **recs;	/* in reading order, in slots */
	size_t n;
	size_t first;		/* index of the first record: stable order */
	size_t procs, runs;
};

struct ft_report {
	struct ft_logs *l;
	struct group *groups;
	size_t ngroups;
	struct ft_record **slots;	/* every group's records, by group */
	struct ft_record **stacks;	/* thread_stack: listed, not grouped */
	size_t nstacks;
	struct ft_record **sites;	/* sleep_sites: listed too */
	size_t nsites;
	/* test_leaked_child and test_leaked_thread: what a test left alive
	 * at its end, grouped by test (tests.c), in the order they ran. */
	struct group *tests;
	size_t ntests;
	struct ft_record **test_slots;
	size_t test_leaks;
	size_t children, threads, crashes;
	size_t processes, runs;
};

__attribute__((noreturn)) void ft_report_oom(void);

/* Member name of obj as a string, or NULL. */
const char *ft_report_str(const struct ft_json *obj, const char *name);
/* Member name of obj as a whole number, or def. */
long long ft_report_int(const struct ft_json *obj, const char *name,
			long long def);

/* A JSON string's text with control characters escaped. */
void ft_report_put_json_text(FILE *f, const struct ft_json *v);
/*
 * The lookup of one frame; 0 when it names no module and offset, or when
 * there is no symbolizer (s NULL: the log's own text only, no file is
 * opened).
 */
int ft_report_lookup(const struct ft_json *frame, int return_address,
		     struct ft_symbolizer *s, struct ft_source *src);
/*
 * lead and "name+0x1a", from the log's symbol, else from debug
 * information: 1, or 0 (nothing printed) when neither names it.
 */
int ft_report_put_function(FILE *f, const char *lead,
			   const struct ft_json *frame,
			   const struct ft_source *src);
/* The same, without the offset: "name". */
int ft_report_put_function_name(FILE *f, const char *lead,
				const struct ft_json *frame,
				const struct ft_source *src);
/* A routine's name: its symbol, else from debug information, else ip. */
void ft_report_put_routine(FILE *f, const struct ft_json *frame,
			   struct ft_symbolizer *s);

/* A Python frame of the log: "function at file:line". */
void ft_report_put_python_frame(FILE *f, const struct ft_json *frame);
/* A record's "python" frames, innermost first, under "Python:". */
void ft_report_python(FILE *f, const struct ft_json *frames,
		      const char *indent);

/* A group as the text report prints it (CI's test cases hold it too). */
void ft_report_text_group(FILE *f, const struct group *g,
			  struct ft_symbolizer *s);

#endif
