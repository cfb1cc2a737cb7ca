/* SPDX-License-Identifier: MIT */
/*
 * Waits with an absolute deadline: pthread_cond_timedwait (both glibc
 * versions), pthread_cond_clockwait, sem_timedwait, sem_clockwait,
 * pthread_mutex_timedlock, pthread_mutex_clocklock (more in more.c). The
 * program computes its deadline from a warped clock: the real deadline is
 * that minus the offset. They bound a wait for another thread (watchdogs,
 * CPython's GIL, Event.wait(timeout)) rather than sleep: under the rule
 * warp they wait for real; under the rule idle the clock jumps to their
 * deadline only when the whole tree is blocked (idle.c). Invalid
 * deadlines and clocks go on unchanged.
 */
#include <errno.h>

#include "warp.h"

int ft_warp_deadline(clockid_t clk, const struct timespec *abs,
		     struct timespec *real, int64_t *target)
{
	int64_t off, now, d, left;

	if (!abs || !ft_ts_valid(abs) || !ft_warp_wall_clock(clk))
		return -1;
	off = ft_warp_offset();
	now = ft_warp_real(clk);
	if (now < 0)
		return -1;
	d = ft_ts_to_ns(abs);
	left = d - ft_ns_add(now, off);
	*real = ft_ns_to_ts(d > off ? d - off : 0);
	if (left <= ft_warp_grace())
		return 0;
	if ((*target = ft_warp_target(left)) < 0)
		return 0;
	if (!ft_warp_idle_wait(left)) {
		ft_warp_count_real();
		return 2;
	}
	return 1;
}

/*
 * The clock of a condition variable: glibc (2.25 and later) keeps it in
 * bit 1 of __wrefs (pthread_condattr_setclock), as its own
 * pthread_cond_timedwait reads it.
 */
static clockid_t cond_clock(pthread_cond_t *c)
{
	return __atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) & 2
		       ? CLOCK_MONOTONIC
		       : CLOCK_REALTIME;
}

FT_WRAP(pthread_cond_timedwait)
	__attribute__((symver("pthread_cond_timedwait@@GLIBC_2.3.2")));
int w_pthread_cond_timedwait(pthread_cond_t *restrict c,
			     pthread_mutex_t *restrict m,
			     const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_cond_timedwait(c, m, t)
	FT_TIMED_WAIT_ON(NEXT, 0, ETIMEDOUT, cond_clock(c), abs, c);
#undef NEXT
}

/*
 * The version programs linked before glibc 2.3.2 call: its condition
 * variable is a pointer to one glibc allocates, with the default
 * (realtime) clock.
 */
FT_EXPORT __typeof__(pthread_cond_timedwait) w_cond_timedwait_2_2_5
	__attribute__((symver("pthread_cond_timedwait@GLIBC_2.2.5")));
int w_cond_timedwait_2_2_5(pthread_cond_t *restrict c,
			   pthread_mutex_t *restrict m,
			   const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.cond_timedwait_2_2_5(c, m, t)
	FT_TIMED_WAIT_ON(NEXT, 0, ETIMEDOUT, CLOCK_REALTIME, abs, c);
#undef NEXT
}

FT_WRAP(pthread_cond_clockwait)
	__attribute__((symver("pthread_cond_clockwait@@GLIBC_2.34"),
		       symver("pthread_cond_clockwait@GLIBC_2.30")));
int w_pthread_cond_clockwait(pthread_cond_t *restrict c,
			     pthread_mutex_t *restrict m, clockid_t clk,
			     const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_cond_clockwait(c, m, clk, t)
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return NEXT(abs);
	FT_TIMED_WAIT_ON(NEXT, 0, ETIMEDOUT, clk, abs, c);
#undef NEXT
}

FT_WRAP(sem_timedwait)
	__attribute__((symver("sem_timedwait@@GLIBC_2.34"),
		       symver("sem_timedwait@GLIBC_2.2.5")));
int w_sem_timedwait(sem_t *restrict sem, const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.sem_timedwait(sem, t)
	FT_TIMED_WAIT(NEXT, 1, 0, CLOCK_REALTIME, abs);
#undef NEXT
}

FT_WRAP(sem_clockwait)
	__attribute__((symver("sem_clockwait@@GLIBC_2.34"),
		       symver("sem_clockwait@GLIBC_2.30")));
int w_sem_clockwait(sem_t *restrict sem, clockid_t clk,
		    const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.sem_clockwait(sem, clk, t)
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return NEXT(abs);
	FT_TIMED_WAIT(NEXT, 1, 0, clk, abs);
#undef NEXT
}

FT_WRAP(pthread_mutex_timedlock)
	__attribute__((symver("pthread_mutex_timedlock@@GLIBC_2.34"),
		       symver("pthread_mutex_timedlock@GLIBC_2.2.5")));
int w_pthread_mutex_timedlock(pthread_mutex_t *restrict m,
			      const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_mutex_timedlock(m, t)
	FT_TIMED_WAIT(NEXT, 0, ETIMEDOUT, CLOCK_REALTIME, abs);
#undef NEXT
}

FT_WRAP(pthread_mutex_clocklock)
	__attribute__((symver("pthread_mutex_clocklock@@GLIBC_2.34"),
		       symver("pthread_mutex_clocklock@GLIBC_2.30")));
int w_pthread_mutex_clocklock(pthread_mutex_t *restrict m, clockid_t clk,
			      const struct timespec *restrict abs)
{
#define NEXT(t) ft_next.pthread_mutex_clocklock(m, clk, t)
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return NEXT(abs);
	FT_TIMED_WAIT(NEXT, 0, ETIMEDOUT, clk, abs);
#undef NEXT
}
