/* SPDX-License-Identifier: MIT */
/*
 * Per-test blame: flaketrap_test_begin(name) and flaketrap_test_end(), the
 * library's only functions that wrap nothing, called by a test runner
 * (include/flaketrap.h, the GoogleTest listener, the Python hook). Each
 * thread and child made between the two carries the test (testcase.c);
 * at the end, those still alive (a thread running or finished but never
 * joined, a child never reaped) are written as test_leaked_thread and
 * test_leaked_child records, with their creation backtraces: goleak's
 * VerifyNone, regrtest's threading_cleanup and reap_children, per test.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "fmt.h"
#include "ft.h"
#include "proc.h"
#include "registry.h"
#include "scan.h"

#define FLAKETRAP_LIBRARY
#include "../include/flaketrap.h"

/*
 * How long the end of a test waits for its threads and children to go.
 * A thread joined in Python is released by its own last steps in C
 * (threading's lock is freed before its start routine returns), so it may
 * still run, briefly, when the test has ended; a loaded machine may not
 * run it for a few scheduler ticks. Only a test that leaks waits it all.
 */
#define FT_TEST_GRACE_NS 1000000000LL
/* A joined thread needs the processor for a few microseconds: it gets
 * the first looks by yielding; then naps, doubling up to 10 ms. */
#define FT_TEST_YIELDS 20
#define FT_TEST_NAP_MIN_NS 20000LL
#define FT_TEST_NAP_MAX_NS 10000000LL
/* Records looked at per end: more live ones of one test are not told. */
#define FT_TEST_LEAKS_MAX 4096

/* The short records: test_begin and test_end. */
static void log_test(const char *event, uint32_t test, uint64_t threads,
		     uint64_t children)
{
	const char *name = ft_test_name(test);
	struct ft_buf b;
	char *mem = ft_map(FT_SCRATCH_SIZE);

	if (!mem)
		return;
	ft_log_begin(&b, mem, event);
	ft_buf_str(&b, ",\"test\":");
	ft_buf_json(&b, name ? name : "");
	if (!strcmp(event, "test_end")) {
		ft_buf_str(&b, ",\"leaked_threads\":");
		ft_buf_u64(&b, threads);
		ft_buf_str(&b, ",\"leaked_children\":");
		ft_buf_u64(&b, children);
	}
	ft_log_end(&b, b.len);
	munmap(mem, FT_SCRATCH_SIZE);
}

/* A child of ours still there: 'Z' unreaped, 'R' running; 0 gone. */
static char child_left(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* The system call: our waitid wrapper would count it. */
	if (syscall(SYS_waitid, P_PID, (id_t)pid, &si,
		    WEXITED | WNOHANG | WNOWAIT, NULL) != 0)
		return 0;
	return si.si_pid == pid ? 'Z' : 'R';
}

/* Whether rec is still a leak: a thread not ended, a child not reaped. */
static int still_left(const struct ft_rec *rec, struct leak *l)
{
	memset(l, 0, sizeof(*l));
	l->rec = rec;
	l->id = rec->id;
	l->at_test_end = 1;
	if (rec->kind == FT_REC_CHILD) {
		l->kind = LEAK_CHILD;
		l->state = child_left(rec->id);
		return l->state != 0;
	}
	l->kind = LEAK_THREAD;
	l->finished = rec->state == FT_THREAD_FINISHED;
	return 1;
}

/* Records of test still alive, after the grace; how many in *n. */
static char *leaks_of(uint32_t test, size_t *n)
{
	size_t rs = ft_reg_rec_size(), size, i, left;
	int64_t start = ft_monotonic_ns(), nap = FT_TEST_NAP_MIN_NS;
	int looks = 0;
	struct timespec ts;
	struct leak l;
	char *mem;

	*n = 0;
	/* The common end: nothing of this test left, nothing mapped. */
	if (!rs || !ft_reg_count_unended() ||
	    !ft_reg_test_alive(test, NULL, 0))
		return NULL;
	size = rs * FT_TEST_LEAKS_MAX;
	mem = ft_map(size);
	if (!mem)
		return NULL;
	for (;;) {
		*n = ft_reg_test_alive(test, mem, FT_TEST_LEAKS_MAX);
		for (i = 0, left = 0; i < *n; i++)
			left += still_left((struct ft_rec *)(mem + i * rs), &l);
		if (!left || ft_monotonic_ns() - start >= FT_TEST_GRACE_NS)
			break;
		if (looks++ < FT_TEST_YIELDS) {
			sched_yield();
			continue;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = nap;
		ft_real.nanosleep(&ts, NULL);
		if (nap < FT_TEST_NAP_MAX_NS)
			nap *= 2;
	}
	if (!left) {
		munmap(mem, size);
		*n = 0;
		return NULL;
	}
	return mem;
}

static void end_test(void)
{
	uint64_t counts[2] = { 0, 0 };
	uint32_t test = ft_test_leave();
	struct scan s;
	struct leak l;
	size_t n = 0, i, rs;
	char *recs;
	int logging;

	if (!test)
		return;
	logging = ft_cfg()->log_dir[0] != '\0';
	recs = leaks_of(test, &n);
	memset(&s, 0, sizeof(s));
	s.line = recs && logging ? ft_map(FT_SCRATCH_SIZE) : NULL;
	rs = ft_reg_rec_size();
	if (s.line)
		ft_log_hold();
	for (i = 0; i < n; i++) {
		if (!still_left((struct ft_rec *)(recs + i * rs), &l))
			continue;
		counts[l.kind == LEAK_THREAD]++;
		if (!s.line)
			continue;	/* counted only: no frames wanted */
		ft_reg_resolve_frames((struct ft_rec *)(recs + i * rs));
		ft_leak_json(&s, &l);
	}
	if (s.line) {
		ft_log_release();
		munmap(s.line, FT_SCRATCH_SIZE);
	}
	if (recs)
		munmap(recs, rs * FT_TEST_LEAKS_MAX);
	if (logging)
		log_test("test_end", test, counts[1], counts[0]);
}

FT_EXPORT void flaketrap_test_begin(const char *name)
{
	int saved = errno;

	ft_real_ensure();
	if (name && ft_active() && ft_own_process()) {
		/* A test not ended (its runner nests them, or lost one). */
		end_test();
		if (ft_cfg()->log_dir[0])
			log_test("test_begin", ft_test_enter(name), 0, 0);
		else
			ft_test_enter(name);
	}
	ft_errno_keep(saved);
}

FT_EXPORT void flaketrap_test_end(void)
{
	int saved = errno;

	ft_real_ensure();
	if (ft_active() && ft_own_process())
		end_test();
	ft_errno_keep(saved);
}
