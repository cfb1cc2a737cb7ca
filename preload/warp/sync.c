/* SPDX-License-Identifier: MIT */
/*
 * Waits with an absolute deadline: pthread_cond_timedwait (both glibc
 * versions), pthread_cond_clockwait, sem_timedwait, sem_clockwait,
 * pthread_mutex_timedlock, pthread_mutex_clocklock (more in more.c). The program computes
 * its deadline from a warped clock: the real deadline is that minus the
 * offset. A deadline further than the grace waits the grace for real;
 * when that times out, the clock jumps to the deadline and the call
 * returns its timeout. Invalid deadlines and clocks go on unchanged.
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
	if (left <= ft_warp_grace() || (*target = ft_warp_target(left)) < 0) {
		*real = ft_ns_to_ts(d > off ? d - off : 0);
		return 0;
	}
	*real = ft_ns_to_ts(ft_ns_add(now, ft_warp_grace()));
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
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (w = ft_warp_deadline(cond_clock(c), abs, &real, &target)) < 0)
		return ft_next.pthread_cond_timedwait(c, m, abs);
	r = ft_next.pthread_cond_timedwait(c, m, &real);
	if (w && r == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
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
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (w = ft_warp_deadline(CLOCK_REALTIME, abs, &real, &target)) < 0)
		return ft_next.cond_timedwait_2_2_5(c, m, abs);
	r = ft_next.cond_timedwait_2_2_5(c, m, &real);
	if (w && r == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(pthread_cond_clockwait)
	__attribute__((symver("pthread_cond_clockwait@@GLIBC_2.34"),
		       symver("pthread_cond_clockwait@GLIBC_2.30")));
int w_pthread_cond_clockwait(pthread_cond_t *restrict c,
			     pthread_mutex_t *restrict m, clockid_t clk,
			     const struct timespec *restrict abs)
{
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) ||
	    (w = ft_warp_deadline(clk, abs, &real, &target)) < 0)
		return ft_next.pthread_cond_clockwait(c, m, clk, abs);
	r = ft_next.pthread_cond_clockwait(c, m, clk, &real);
	if (w && r == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(sem_timedwait)
	__attribute__((symver("sem_timedwait@@GLIBC_2.34"),
		       symver("sem_timedwait@GLIBC_2.2.5")));
int w_sem_timedwait(sem_t *restrict sem, const struct timespec *restrict abs)
{
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (w = ft_warp_deadline(CLOCK_REALTIME, abs, &real, &target)) < 0)
		return ft_next.sem_timedwait(sem, abs);
	r = ft_next.sem_timedwait(sem, &real);
	if (w && r == -1 && errno == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(sem_clockwait)
	__attribute__((symver("sem_clockwait@@GLIBC_2.34"),
		       symver("sem_clockwait@GLIBC_2.30")));
int w_sem_clockwait(sem_t *restrict sem, clockid_t clk,
		    const struct timespec *restrict abs)
{
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) ||
	    (w = ft_warp_deadline(clk, abs, &real, &target)) < 0)
		return ft_next.sem_clockwait(sem, clk, abs);
	r = ft_next.sem_clockwait(sem, clk, &real);
	if (w && r == -1 && errno == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(pthread_mutex_timedlock)
	__attribute__((symver("pthread_mutex_timedlock@@GLIBC_2.34"),
		       symver("pthread_mutex_timedlock@GLIBC_2.2.5")));
int w_pthread_mutex_timedlock(pthread_mutex_t *restrict m,
			      const struct timespec *restrict abs)
{
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (w = ft_warp_deadline(CLOCK_REALTIME, abs, &real, &target)) < 0)
		return ft_next.pthread_mutex_timedlock(m, abs);
	r = ft_next.pthread_mutex_timedlock(m, &real);
	if (w && r == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
}

FT_WRAP(pthread_mutex_clocklock)
	__attribute__((symver("pthread_mutex_clocklock@@GLIBC_2.34"),
		       symver("pthread_mutex_clocklock@GLIBC_2.30")));
int w_pthread_mutex_clocklock(pthread_mutex_t *restrict m, clockid_t clk,
			      const struct timespec *restrict abs)
{
	struct timespec real;
	int64_t target;
	int w, r;

	if (!ft_warp_on() ||
	    (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC) ||
	    (w = ft_warp_deadline(clk, abs, &real, &target)) < 0)
		return ft_next.pthread_mutex_clocklock(m, clk, abs);
	r = ft_next.pthread_mutex_clocklock(m, clk, &real);
	if (w && r == ETIMEDOUT)
		ft_warp_jump(target);
	return r;
}
