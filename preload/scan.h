/* SPDX-License-Identifier: MIT */
/*
 * The exit scan's own header, shared by its three files: scan.c (what is
 * left, found), scan-runtimes.c (threads that are no leak: a sanitizer
 * runtime's, the kernel's) and scan-report.c (the records).
 */
#ifndef FT_SCAN_H
#define FT_SCAN_H

#include "ft.h"
#include "registry.h"
#include "stacks.h"

struct entry;

enum leak_kind { LEAK_CHILD, LEAK_THREAD };

struct leak {
	enum leak_kind kind;
	pid_t id;		/* pid or tid */
	const struct ft_rec *rec;	/* NULL: no wrapper saw it made */
	char state;		/* /proc state letter, 0 if unknown */
	char comm[16];		/* child: from its stat; "" if unread */
	int finished;		/* thread: returned, never joined */
	const struct ft_stack_req *stack;
	const char *no_stack;	/* why there is no stack */
	int unnamed;		/* running thread whose name is not read */
	int at_test_end;	/* flaketrap_test_end's, not the exit scan's */
};

struct scan {
	char *snap;
	size_t nsnap, rs;
	struct entry *children, *threads;	/* snapshot, by id */
	size_t nchildren, nthreads;
	struct leak *leaks;
	size_t nleaks, maxleaks;
	pid_t pid, self_tid;
	int taskdir;		/* /proc/self/task open, or -1 */
	char *line;		/* scratch for one record or block */
	/* Records or text blocks gathered for one write(2) of many. */
	char *out;
	size_t out_len, out_cap;
};

/* scan-runtimes.c: whether a thread is a sanitizer runtime's own, by its
 * creation backtrace or, made by nobody we saw, by where it waits
 * (*have_runtime: -1 unknown yet); whether it is a kernel worker. */
int ft_made_by_sanitizer(const struct ft_rec *rec);
int ft_runtime_thread(pid_t tid, int *have_runtime);
int ft_kernel_worker(pid_t tid);

/* scan-report.c: a leak as a record of the log, or as text on stderr
 * under the header line. */
void ft_leak_json(struct scan *s, const struct leak *l);
void ft_leak_text(struct scan *s, const struct leak *l);
void ft_leaks_header_text(struct scan *s);
/* What ft_leak_json or ft_leak_text gathered in s->out, written. */
void ft_leaks_flush(struct scan *s, int logging);

#endif
