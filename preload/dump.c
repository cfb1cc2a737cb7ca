/* SPDX-License-Identifier: MIT */
/*
 * Stacks on request, for a run that hangs (flaketrap loop --timeout): a
 * process that gets FLAKETRAP_STACK_SIGNAL from sigqueue() with the value
 * FT_DUMP_REQUEST writes the current stack of each of its threads to its
 * log (`thread_stack` records, then one `stack_dump`), and goes on. The
 * handler is signal.c's, on the stack signal while the program's own view
 * of it is SIG_DFL and a log is set; any other arrival of that signal is
 * left to its default action. Not the exit scan: nothing is counted as a
 * leak, and the threads asked include those waiting in a call the signal
 * ends with EINTR (the process is about to be killed).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "dump.h"
#include "fmt.h"
#include "ft.h"
#include "proc.h"
#include "stacks.h"

#define FT_DUMP_TASKS 16384

static atomic_int dumping;

int ft_dump_requested(const siginfo_t *si)
{
	return si && si->si_code == SI_QUEUE &&
	       si->si_value.sival_int == FT_DUMP_REQUEST;
}

static void comm_of(char *out, size_t len, pid_t tid)
{
	char path[64];
	ssize_t n;

	ft_proc_path(path, sizeof(path), "/proc/self/task/", tid, "/comm");
	n = ft_read_file(path, out, len);
	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
	if (n < 0)
		out[0] = '\0';
}

static void write_thread(char *line, pid_t tid, int asked,
			 const uintptr_t *ips, int n, const char *no_stack)
{
	struct ft_buf b;
	char name[64];
	size_t keep;

	ft_log_begin(&b, line, "thread_stack");
	ft_buf_str(&b, ",\"tid\":");
	ft_buf_u64(&b, (uint64_t)tid);
	comm_of(name, sizeof(name), tid);
	ft_buf_str(&b, ",\"name\":");
	ft_buf_json(&b, name);
	ft_buf_str(&b, ",\"main\":");
	ft_buf_str(&b, tid == getpid() ? "true" : "false");
	ft_buf_str(&b, ",\"signalled\":");
	ft_buf_str(&b, asked ? "true" : "false");
	keep = b.len;
	if (no_stack) {
		ft_buf_str(&b, ",\"stack_unavailable\":");
		ft_buf_json(&b, no_stack);
	} else {
		ft_buf_str(&b, ",\"stack\":");
		if (ft_frames_json(&b, ips, n) < n && !b.full)
			ft_buf_str(&b, ",\"truncated\":true");
	}
	if (!b.full)
		keep = b.len;
	ft_log_end(&b, keep);
}

static void write_end(char *line, long threads, long stacks)
{
	struct ft_buf b;

	ft_log_begin(&b, line, "stack_dump");
	ft_buf_str(&b, ",\"threads\":");
	ft_buf_i64(&b, threads);
	ft_buf_str(&b, ",\"stacks\":");
	ft_buf_i64(&b, stacks);
	ft_log_end(&b, b.len);
}

static void dump(void *ucontext)
{
	uintptr_t own[FT_STACK_FRAMES];
	struct ft_stack_req *reqs;
	const char **why, *all;
	pid_t self = (pid_t)syscall(SYS_gettid), *tids;
	long ntids, i, n = 0, stacks = 1;
	size_t reqs_len, why_len;
	char *line;
	int nown;

	nown = ft_backtrace_signal(ucontext, own, FT_STACK_FRAMES);
	tids = ft_map(FT_DUMP_TASKS * sizeof(*tids));
	line = ft_map(FT_SCRATCH_SIZE);
	if (!tids || !line)
		goto unmap_tasks;
	ntids = ft_list_tasks(tids, FT_DUMP_TASKS);
	if (ntids < 0)
		ntids = 0;
	reqs_len = (size_t)(ntids + 1) * sizeof(*reqs);
	why_len = (size_t)(ntids + 1) * sizeof(*why);
	reqs = ft_map(reqs_len);
	why = ft_map(why_len);
	if (!reqs || !why) {
		if (reqs)
			munmap(reqs, reqs_len);
		if (why)
			munmap(why, why_len);
		goto unmap_tasks;
	}
	for (i = 0; i < ntids; i++)
		if (tids[i] != self)
			reqs[n++].tid = tids[i];
	all = n ? ft_take_stacks(reqs, (size_t)n, why, FT_STACKS_INTERRUPT)
		: NULL;
	ft_log_hold();
	write_thread(line, self, 1, own, nown, NULL);
	for (i = 0; i < n; i++) {
		const char *no = all ? all : why[i];

		stacks += !no;
		write_thread(line, reqs[i].tid, 0, reqs[i].ips, reqs[i].n,
			     no);
	}
	write_end(line, n + 1, stacks);
	ft_log_release();
	/* A thread that has not answered may still write to reqs. */
	for (i = 0; i < n && atomic_load(&reqs[i].done); i++)
		;
	if (i == n || all)
		munmap(reqs, reqs_len);
	munmap(why, why_len);
unmap_tasks:
	if (line)
		munmap(line, FT_SCRATCH_SIZE);
	if (tids)
		munmap(tids, FT_DUMP_TASKS * sizeof(*tids));
}

/* async-signal-safe */
void ft_dump_stacks(void *ucontext)
{
	int saved = errno;

	if (!ft_own_process() || ft_cfg()->log_dir[0] == '\0' ||
	    atomic_exchange(&dumping, 1))
		return;
	dump(ucontext);
	atomic_store(&dumping, 0);
	ft_errno_keep(saved);
}
