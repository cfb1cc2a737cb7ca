/* SPDX-License-Identifier: MIT */
/*
 * The real-time interval timer (setitimer(ITIMER_REAL), alarm) on the
 * virtual clock. The kernel counts it in real time, so a wait the clock
 * jumps past its expiry would end before the timer's signal came: an
 * event loop waiting 60 s for a SIGALRM armed 10 ms ahead would time out
 * instead (asyncio's signal tests). So the timer's expiry is kept here in
 * virtual time, and a jump that would pass it goes only as far as the
 * expiry and has the kernel fire the timer at once: the wait then ends by
 * the signal (EINTR), as it would have. The kernel's timer stays the
 * program's: getitimer reads it, a fork child has none, an exec keeps it
 * (its new image then sees it fire in real time).
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include "warp.h"

static atomic_llong due;	/* virtual monotonic ns; 0: disarmed */
static atomic_llong interval;	/* ns; 0: once */
static atomic_int armed_by;	/* the process that armed it */

static int64_t tv_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * FT_NS_PER_S + (int64_t)tv->tv_usec * 1000;
}

static void note(int64_t value, int64_t every)
{
	atomic_store_explicit(&interval, every, memory_order_relaxed);
	atomic_store_explicit(&armed_by, (int)syscall(SYS_getpid),
			      memory_order_relaxed);
	atomic_store_explicit(&due, value ? ft_ns_add(ft_warp_now(), value)
					  : 0,
			      memory_order_release);
	ft_idle_timer_deadline(atomic_load_explicit(&due, memory_order_relaxed));
}

FT_WRAP(setitimer) __attribute__((symver("setitimer@@GLIBC_2.2.5")));
int w_setitimer(__itimer_which_t which, const struct itimerval *restrict new,
		struct itimerval *restrict old)
{
	/* First: it resolves ft_next, which a first call may need. */
	int on = ft_warp_on(), r;

	r = ft_next.setitimer(which, new, old);
	if (r == 0 && which == ITIMER_REAL && new && on)
		note(tv_ns(&new->it_value), tv_ns(&new->it_interval));
	return r;
}

FT_WRAP(alarm) __attribute__((symver("alarm@@GLIBC_2.2.5")));
unsigned int w_alarm(unsigned int seconds)
{
	int on = ft_warp_on(); /* resolves ft_next */
	unsigned int r = ft_next.alarm(seconds);

	if (on)
		note((int64_t)seconds * FT_NS_PER_S, 0);
	return r;
}

/*
 * The signal of a timer fired now must come while the caller waits, as
 * it would have: with SIGALRM blocked in this thread the kernel's timer
 * fires, and a ppoll of no descriptor that unblocks it takes it at once
 * (EINTR, the handler has run here) or, another thread having taken it
 * or the program blocking it, waits the grace.
 */
static int take_signal(const struct itimerval *now_please)
{
	sigset_t alrm, old;
	struct timespec grace = ft_ns_to_ts(ft_warp_grace() > 1000000
						    ? ft_warp_grace()
						    : 1000000);
	long r;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	ft_next.setitimer(ITIMER_REAL, now_please, NULL);
	/* The kernel's sigset_t: _NSIG bits. */
	r = syscall(SYS_ppoll, NULL, 0, &grace, &old, (size_t)(_NSIG / 8));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r < 0 && errno == EINTR;
}

/*
 * Whether SIGALRM runs a handler of the program: an ignored signal ends no
 * wait (and a default one ends the process).
 */
static int alarm_handled(void)
{
	/* The kernel's struct sigaction: handler, flags, restorer, mask. */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} act;

	if (syscall(SYS_rt_sigaction, SIGALRM, NULL, &act, sizeof(act.mask)) != 0)
		return 1;
	return act.handler != (void *)SIG_IGN && act.handler != (void *)SIG_DFL;
}

int64_t ft_warp_itimer_due(void)
{
	int64_t when = atomic_load_explicit(&due, memory_order_acquire);

	if (when == 0 || atomic_load_explicit(&armed_by, memory_order_relaxed) !=
				 (int)syscall(SYS_getpid))
		return 0;
	return when;
}

int ft_warp_itimer_fire_before(int64_t target, int64_t since)
{
	int64_t when = atomic_load_explicit(&due, memory_order_acquire);
	int64_t every = atomic_load_explicit(&interval, memory_order_relaxed);
	struct itimerval now_please, kernel;
	int saved = errno, here;

	if (when == 0 || when > target ||
	    atomic_load_explicit(&armed_by, memory_order_relaxed) !=
		    (int)syscall(SYS_getpid))
		return 0;
	/* The kernel's timer may have fired for real meanwhile (a wait
	 * that lasted long enough): then there is nothing left to fire, and
	 * firing it again would find the program's handler gone. If it
	 * expired during this wait, its signal came while the caller
	 * waited, maybe between two slices, outside the system call: the
	 * wait ends as the call would have, with EINTR (spurious at worst,
	 * when another thread took it). */
	if (syscall(SYS_getitimer, ITIMER_REAL, &kernel) == 0 &&
	    kernel.it_value.tv_sec == 0 && kernel.it_value.tv_usec == 0) {
		if (atomic_compare_exchange_strong(&due, &when, 0))
			ft_idle_timer_deadline(0);
		here = when >= since && alarm_handled();
		errno = saved;
		return here ? FT_ITIMER_HERE : 0;
	}
	if (!atomic_compare_exchange_strong(&due, &when,
					    every ? ft_ns_add(when, every) : 0)) {
		errno = saved;
		return 0;
	}
	ft_idle_timer_deadline(every ? ft_ns_add(when, every) : 0);
	ft_warp_jump(when);
	now_please.it_value.tv_sec = 0;
	now_please.it_value.tv_usec = 1;
	now_please.it_interval.tv_sec = every / FT_NS_PER_S;
	now_please.it_interval.tv_usec = (every % FT_NS_PER_S) / 1000;
	here = take_signal(&now_please);
	errno = saved;
	return here ? FT_ITIMER_HERE : FT_ITIMER_ELSEWHERE;
}
