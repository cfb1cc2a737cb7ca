/* SPDX-License-Identifier: MIT */
/*
 * Leak and crash reports from logs: identical leaks (same event, origin and
 * creation backtrace, frames compared by module and offset, or by ip when
 * there is no module) are grouped and counted; crashes are grouped by
 * signal and backtrace. Used by `flaketrap report` and `flaketrap run`.
 */
#ifndef FT_REPORT_H
#define FT_REPORT_H

#include <stdio.h>

#include "logs.h"
#include "symbolize.h"

struct ft_report;

/* Groups the records of l (which must outlive the report). */
struct ft_report *ft_report_build(struct ft_logs *l);

/* Leak records (leaked_child and leaked_thread) and crash records. */
size_t ft_report_leaks(const struct ft_report *r);
size_t ft_report_crashes(const struct ft_report *r);
/* test_leaked_child and test_leaked_thread records: what tests left
 * alive at their ends (flaketrap_test_end). */
size_t ft_report_test_leaks(const struct ft_report *r);
/*
 * "TEST left N threads running (started at FILE:LINE in FUNC)", a line
 * for each test and kind of leak, after lead; nothing without them.
 */
void ft_report_tests_text(FILE *f, const struct ft_report *r,
			  struct ft_symbolizer *s, const char *lead);
/* The tests that left something alive, in the order they ran, joined by
 * sep into out (cut with "..." to fit); "" when none. */
void ft_report_leaking_tests(const struct ft_report *r, const char *sep,
			     char *out, size_t len);
/* thread_stack records (stacks taken on request, for a hang). */
size_t ft_report_stacks(const struct ft_report *r);

/*
 * The printers take a symbolizer for function, file and line; with s NULL
 * they print what the log holds and open no module.
 */

/* The text report: a header line, then each group. */
void ft_report_text(FILE *f, const struct ft_report *r,
		    struct ft_symbolizer *s);

/* The sleep sites of each process (sleep_sites records), for report. */
void ft_report_sites_text(FILE *f, const struct ft_report *r,
			  struct ft_symbolizer *s);

/* One site of a sleep_sites record: "function+0x1f at file:line (id)". */
void ft_report_site(FILE *f, const struct ft_json *site,
		    struct ft_symbolizer *s);

/* The JSON document of `flaketrap report --json`. */
void ft_report_json(FILE *f, const struct ft_report *r,
		    struct ft_symbolizer *s);

/* Prints frames (a JSON array of frames), one line each after indent. */
void ft_report_frames(FILE *f, const struct ft_json *frames,
		      struct ft_symbolizer *s, const char *indent);

/* A duration for a human: "100 ms", "1.5 s", "3 ns". */
void ft_report_put_ns(FILE *f, long long ns);

/* Prints s[0..len) with control characters escaped (\xNN). */
void ft_report_put_text(FILE *f, const char *s, size_t len);

/*
 * One line of what the knobs did, summed over the exit records of l: the
 * sleeps seen and changed, the delays per kind, the waits warped; lead
 * goes first.
 */
void ft_report_counters(FILE *f, const struct ft_logs *l, const char *lead);

/* The delays of every kind the exit records of l count. */
long long ft_report_delays(const struct ft_logs *l);

void ft_report_free(struct ft_report *r);

#endif
