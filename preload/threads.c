/* SPDX-License-Identifier: MIT */
/*
 * Threads: pthread_create records the thread and starts it through our
 * start routine, which notes its tid and, by a cleanup handler, its end
 * (return, pthread_exit or cancellation). Joins and detaches update the
 * record. The argument block lives in the record, not in the program's
 * heap.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "ft.h"
#include "proc.h"
#include "registry.h"

/* The calling thread's own record (NULL for threads we did not start). */
static __thread struct ft_rec *self_rec;

static void thread_ended(void *p)
{
	struct ft_rec *rec = p;

	ft_chaos_thread_gone(rec->ordinal);
	ft_reg_thread_finished(rec);
	self_rec = NULL;
}

static void untracked_ended(void *ordinal)
{
	ft_chaos_thread_gone(*(uint64_t *)ordinal);
}

/*
 * What every new thread does first: its random stream, its delay, its
 * chaos point (whose site is the start routine: one byte in, as a return
 * address is read one byte back).
 */
static void thread_begins(uint64_t ordinal, void *(*fn)(void *))
{
	ft_thread_stream_start(ordinal);
	ft_delay(FT_DELAY_THREAD);
	if (ft_chaos_on)
		ft_chaos_point(FT_CHAOS_thread_start, (uintptr_t)fn + 1, -1,
			       0);
}

/*
 * The thread's alternate signal stack (altstack.c), left to the record,
 * which gives it back once the thread is gone: one sigaltstack call.
 */
static void altstack_start(struct ft_rec *rec)
{
	uint32_t slot = ft_alt_take();
	stack_t ss, cur;

	if (!slot)
		return;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = ft_alt_slot(slot);
	ss.ss_size = FT_ALT_SIZE;
	if (sigaltstack(&ss, &cur) != 0) {
		ft_alt_give(slot);
		return;
	}
	/* A runtime before us (ASan) had set one: it stays. */
	if (!(cur.ss_flags & SS_DISABLE)) {
		sigaltstack(&cur, NULL);
		ft_alt_give(slot);
		return;
	}
	rec->alt_slot = slot;
}

/*
 * A thread's tid without a system call: glibc (and musl) make a thread's
 * CPU-time clock from the tid its pthread_t holds, which the kernel sets
 * before the thread first runs (CLONE_PARENT_SETTID), in the kernel's
 * encoding of a per-thread clock (~tid << 3 | CPUCLOCK_PERTHREAD |
 * CPUCLOCK_SCHED). Trusted once it gave the calling thread's own tid
 * (clock_ids_known, by the first creator); 0 when it cannot tell.
 */
static atomic_int clock_ids_known; /* 0 not yet asked, 1 yes, -1 no */

static pid_t tid_of_clock(pthread_t thread)
{
	clockid_t clock;

	if (pthread_getcpuclockid(thread, &clock) != 0 || (clock & 7) != 6)
		return 0;
	return (pid_t)(~(uint32_t)clock >> 3);
}

static void clock_ids_check(void)
{
	if (atomic_load_explicit(&clock_ids_known, memory_order_relaxed) == 0)
		atomic_store(&clock_ids_known,
			     tid_of_clock(pthread_self()) == ft_gettid() ? 1
									  : -1);
}

static pid_t own_tid(void)
{
	pid_t tid = 0;

	if (atomic_load_explicit(&clock_ids_known, memory_order_relaxed) > 0)
		tid = tid_of_clock(pthread_self());
	return tid > 0 ? tid : ft_gettid();
}

static void *start_thread(void *p)
{
	struct ft_rec *rec = p;
	void *(*fn)(void *) = (void *(*)(void *))rec->fn;
	void *arg = (void *)rec->arg, *ret;

	atomic_store_explicit((_Atomic int32_t *)&rec->id, (int32_t)own_tid(),
			      memory_order_release);
	/* The creator links the record: before pthread_create returns, no
	 * other thread knows this one's pthread_t; this one detaching
	 * itself goes by self_rec. */
	self_rec = rec;
	ft_test_inherit(rec->test);
	pthread_cleanup_push(thread_ended, rec);
	thread_begins(rec->ordinal, fn);
	if (ft_cfg()->crash)
		altstack_start(rec);
	ret = fn(arg);
	pthread_cleanup_pop(1);
	return ret;
}

/*
 * Threads the registry does not track (FLAKETRAP_LEAKS without threads,
 * or the registry full) still need their ordinal and delay when a knob
 * draws or delays: they start from one of these blocks, in static memory
 * (never the program's heap), given back as soon as the thread has read
 * it. With every block taken, a thread starts as it would without us.
 */
#define FT_START_BLOCKS 256
static struct start_block {
	atomic_int taken;
	void *(*fn)(void *);
	void *arg;
	uint64_t ordinal;
} start_blocks[FT_START_BLOCKS];

static struct start_block *start_block_take(void)
{
	int i, free_slot;

	for (i = 0; i < FT_START_BLOCKS; i++) {
		free_slot = 0;
		if (atomic_compare_exchange_strong(&start_blocks[i].taken,
						   &free_slot, 1))
			return &start_blocks[i];
	}
	return NULL;
}

static void *start_untracked(void *p)
{
	struct start_block *blk = p;
	void *(*fn)(void *) = blk->fn;
	void *arg = blk->arg;
	uint64_t ordinal = blk->ordinal;
	void *ret;

	atomic_store_explicit(&blk->taken, 0, memory_order_release);
	pthread_cleanup_push(untracked_ended, &ordinal);
	thread_begins(ordinal, fn);
	ret = fn(arg);
	pthread_cleanup_pop(1);
	return ret;
}

/* Whether a thread may draw a random number or be delayed at its start. */
static int threads_need_start(void)
{
	const struct ft_config *c = ft_cfg();
	int i;

	if (ft_delay_on(FT_DELAY_THREAD) || c->sleep.mode == FT_SLEEP_RANGE ||
	    c->sleep_prob_ppb < FT_PPB || c->chaos)
		return 1;
	for (i = 0; i < FT_NDELAYS; i++)
		if (c->delay[i].lo_ns < c->delay[i].hi_ns)
			return 1;
	return 0;
}

static int create_untracked(pthread_t *thread, const pthread_attr_t *attr,
			    void *(*start)(void *), void *arg)
{
	struct start_block *blk;
	int err;

	if (!ft_active() || !ft_own_process_quick() || !threads_need_start() ||
	    !(blk = start_block_take()))
		return ft_real.pthread_create(thread, attr, start, arg);
	blk->fn = start;
	blk->arg = arg;
	blk->ordinal = ft_thread_ordinal_next();
	ft_chaos_thread_made(blk->ordinal);
	err = ft_real.pthread_create(thread, attr, start_untracked, blk);
	if (err != 0) {
		ft_chaos_thread_gone(blk->ordinal);
		atomic_store_explicit(&blk->taken, 0, memory_order_release);
	}
	return err;
}

static int create(pthread_t *thread, const pthread_attr_t *attr,
		  void *(*start)(void *), void *arg)
{
	struct ft_rec *rec;
	int err, detach = PTHREAD_CREATE_JOINABLE;

	rec = ft_reg_new(FT_REC_THREAD, FT_ORIGIN_PTHREAD_CREATE, 1);
	if (!rec)
		return create_untracked(thread, attr, start, arg);
	clock_ids_check();
	rec->fn = (uintptr_t)start;
	rec->arg = (uintptr_t)arg;
	rec->ordinal = (uint32_t)ft_thread_ordinal_next();
	ft_python_note(rec);
	if (attr && pthread_attr_getdetachstate(attr, &detach) == 0 &&
	    detach == PTHREAD_CREATE_DETACHED)
		rec->detached = 1;
	ft_chaos_thread_made(rec->ordinal);
	err = ft_real.pthread_create(thread, attr, start_thread, rec);
	if (err != 0) {
		ft_chaos_thread_gone(rec->ordinal);
		ft_reg_free(rec);
		return err;
	}
	ft_reg_link(rec, (uint64_t)*thread);
	return 0;
}

FT_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			     void *(*start)(void *), void *arg)
{
	int err;

	ft_real_ensure();
	err = create(thread, attr, start, arg);
	if (ft_chaos_on && err == 0)
		ft_chaos_point(FT_CHAOS_thread_create,
			       (uintptr_t)__builtin_return_address(0), -1, 0);
	return err;
}

FT_EXPORT int pthread_join(pthread_t thread, void **retval)
{
	struct ft_rec *rec;
	int err;

	ft_real_ensure();
	if (ft_chaos_on)
		ft_chaos_point(FT_CHAOS_thread_join,
			       (uintptr_t)__builtin_return_address(0), -1, 0);
	rec = ft_reg_thread_find((uint64_t)thread);
	err = ft_real.pthread_join(thread, retval);
	if (err == 0)
		ft_reg_thread_joined(rec);
	return err;
}

FT_EXPORT int pthread_tryjoin_np(pthread_t thread, void **retval)
{
	struct ft_rec *rec;
	int err;

	ft_real_ensure();
	rec = ft_reg_thread_find((uint64_t)thread);
	err = ft_real.pthread_tryjoin_np(thread, retval);
	if (err == 0)
		ft_reg_thread_joined(rec);
	return err;
}

FT_EXPORT int pthread_timedjoin_np(pthread_t thread, void **retval,
				   const struct timespec *abstime)
{
	struct ft_rec *rec;
	int err;

	ft_real_ensure();
	rec = ft_reg_thread_find((uint64_t)thread);
	err = ft_real.pthread_timedjoin_np(thread, retval, abstime);
	if (err == 0)
		ft_reg_thread_joined(rec);
	return err;
}

FT_EXPORT int pthread_clockjoin_np(pthread_t thread, void **retval,
				   clockid_t clock,
				   const struct timespec *abstime)
{
	struct ft_rec *rec;
	int err;

	ft_real_ensure();
	if (!ft_real.pthread_clockjoin_np)
		return ENOSYS;
	rec = ft_reg_thread_find((uint64_t)thread);
	err = ft_real.pthread_clockjoin_np(thread, retval, clock, abstime);
	if (err == 0)
		ft_reg_thread_joined(rec);
	return err;
}

FT_EXPORT int pthread_detach(pthread_t thread)
{
	int err;

	ft_real_ensure();
	/*
	 * Before the real call: once detached, the thread may end and its
	 * pthread_t be reused by a new thread at any moment.
	 */
	ft_reg_thread_detach((uint64_t)thread,
			     pthread_equal(thread, pthread_self()) ? self_rec
								   : NULL);
	err = ft_real.pthread_detach(thread);
	return err;
}

#define FT_TASKS_MAX 65536

/*
 * The first SIGEV_THREAD timer makes glibc start a helper thread with its
 * internal pthread_create, unseen by our wrapper. It is libc's, not the
 * program's, and lives to the end: the new task across the call is noted
 * as libc's so the exit scan does not report it.
 */
FT_EXPORT int timer_create(clockid_t clock, struct sigevent *sevp,
			   timer_t *timer)
{
	pid_t *before, *after;
	long nb, na, i, j;
	int ret, saved;

	ft_real_ensure();
	if (!sevp || sevp->sigev_notify != SIGEV_THREAD || !ft_active() ||
	    !(ft_cfg()->leaks & FT_LEAK_THREADS))
		return ft_real.timer_create(clock, sevp, timer);
	before = ft_map(FT_TASKS_MAX * sizeof(pid_t));
	after = ft_map(FT_TASKS_MAX * sizeof(pid_t));
	nb = before && after ? ft_list_tasks(before, FT_TASKS_MAX) : -1;
	ret = ft_real.timer_create(clock, sevp, timer);
	saved = errno;
	if (ret == 0 && nb >= 0) {
		na = ft_list_tasks(after, FT_TASKS_MAX);
		for (i = 0; i < na; i++) {
			for (j = 0; j < nb && before[j] != after[i]; j++)
				;
			if (j == nb)
				ft_reg_libc_thread(after[i]);
		}
	}
	if (before)
		munmap(before, FT_TASKS_MAX * sizeof(pid_t));
	if (after)
		munmap(after, FT_TASKS_MAX * sizeof(pid_t));
	ft_errno_keep(saved);
	return ret;
}
