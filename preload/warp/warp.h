/* SPDX-License-Identifier: MIT */
/*
 * Internal header of libflaketrap-warp.so: the next definitions, the
 * process's clock offset and the jump of the clock at the end of a wait.
 * Every function here is async-signal-safe once the warp is attached.
 */
#ifndef FT_WARP_H
#define FT_WARP_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "../timespec.h"
#include "../warp-link.h"

#define FT_EXPORT __attribute__((visibility("default")))

/*
 * Declares the wrapper w_NAME with libc's own prototype of NAME (so the
 * compiler checks ours against it), exported as NAME at the glibc symbol
 * versions the attributes that follow give (exports.map lists them).
 */
#define FT_WRAP(name) FT_EXPORT __typeof__(name) w_##name

struct ft_next {
#define FT_NEXT(name, version) __typeof__(&name) name;
#include "next.def"
#undef FT_NEXT
	/* pthread_cond_timedwait@GLIBC_2.2.5: old condition variables */
	__typeof__(&pthread_cond_timedwait) cond_timedwait_2_2_5;
};

extern struct ft_next ft_next;

/*
 * Whether the warp is on (libflaketrap.so attached it); resolves ft_next
 * either way, so a wrapper may pass its call on after a 0.
 */
int ft_warp_on(void);

/* The grace, in ns. */
int64_t ft_warp_grace(void);

/* The offset of every wall clock now: virtual = real + offset. */
int64_t ft_warp_offset(void);

/* A clock the offset applies to (realtime, monotonic, boottime, TAI). */
int ft_warp_wall_clock(clockid_t clk);

/* The real time of clk in ns; -1 (errno set) for a clock that cannot be read. */
int64_t ft_warp_real(clockid_t clk);

/* The virtual monotonic time now: real + offset. */
int64_t ft_warp_now(void);

/*
 * The most the offset may reach (2^62 ns, 146 years): the virtual clocks
 * then stay far from INT64_MAX ns (year 2262), where they would stop.
 */
#define FT_WARP_MAX_OFFSET (INT64_C(1) << 62)

/*
 * A timed wait: where the virtual monotonic clock will stand at its
 * deadline (left ns from now on the virtual clock); -1 for a wait so long
 * that the offset would pass FT_WARP_MAX_OFFSET: a wait for ever, not
 * warped.
 */
int64_t ft_warp_target(int64_t left);

/*
 * The wait ended without an event: move the clock so that the virtual
 * monotonic time is at least target (never backwards), and count it.
 * A negative target (a wait for ever) changes nothing.
 */
void ft_warp_jump(int64_t target);

/*
 * After a sleep that slept for real (shortened by FLAKETRAP_SLEEP, or in
 * full): the virtual clock at least at target, as ft_warp_jump, counted
 * only when it moved: a sleep that slept its whole time was not warped.
 */
void ft_warp_catch_up(int64_t target);

/*
 * For a wait until abs (the program's deadline, virtual) on clk: the
 * real deadline in *real. Returns 0 when the wait waits for real (*real:
 * the deadline turned back into a real one: a wait within the grace or for
 * ever), 2 when it waits for real as one of the tree's deadlines (*target:
 * its virtual monotonic deadline, registered for the wait so that the idle
 * rule never jumps past it: a wait shorter than the guard under warp), 1
 * when the idle rule waits it (*target too), -1 to pass the call on
 * untouched (invalid deadline, a clock without an offset).
 */
int ft_warp_deadline(clockid_t clk, const struct timespec *abs,
		     struct timespec *real, int64_t *target);

/*
 * The body of a wrapper of a wait until abs on clk, whatever the rule:
 * call_next(ts) calls the next definition with the deadline ts; ERRNO_STYLE
 * is 1 when the call reports its timeout as -1 with errno ETIMEDOUT
 * (semaphores), 0 when it returns timeout_value (pthread, C11). Under the
 * rule warp the wait goes on for real, to the program's deadline turned
 * back into a real one; under the rule idle it waits in slices until the
 * deadline or an idle tree. The caller's errno is kept, as libc keeps it,
 * but for a semaphore's own error.
 */
#define FT_TIMED_WAIT(call_next, errno_style, timeout_value, clk, abs)     \
	FT_TIMED_WAIT_ON(call_next, errno_style, timeout_value, clk, abs, NULL)

/*
 * The same for a condition variable cond: before the clock jumps, the
 * wait returns once as woken (a spurious wakeup, which POSIX allows), so
 * that the program looks at its predicate: a signal sent while the wait
 * was between two slices is lost to it, and a jump would then end in a
 * timeout the program would never have seen.
 */
#define FT_TIMED_WAIT_ON(call_next, errno_style, timeout_value, clk, abs, \
			 cond)                                             \
	do {                                                               \
		struct timespec real_;                                     \
		struct ft_idle idle_;                                      \
		int64_t target_, ns_;                                      \
		int w_, r_, timed_out_ = 1, saved_, k_;                    \
		if (!ft_warp_on() ||                                       \
		    (w_ = ft_warp_deadline((clk), (abs), &real_, &target_)) < 0) \
			return call_next(abs);                             \
		if (w_ == 0)                                               \
			return call_next(&real_);                          \
		saved_ = errno;                                            \
		ft_idle_start(&idle_, target_);                            \
		idle_.recheck = (cond);                                    \
		if (w_ == 2) {                                             \
			r_ = call_next(&real_);                            \
			ft_idle_stop(&idle_);                              \
			return r_;                                         \
		}                                                          \
		r_ = (errno_style) ? -1 : (timeout_value);                 \
		for (;;) {                                                 \
			k_ = ft_idle_slice(&idle_, &ns_);                  \
			/* The timer's signal ends a semaphore's wait;    \
			 * the others go on after its handler. */          \
			if (k_ == FT_IDLE_EINTR && (errno_style)) {        \
				r_ = -1, timed_out_ = 0, errno = EINTR;    \
				break;                                     \
			}                                                  \
			if (k_ == FT_IDLE_EINTR)                           \
				continue;                                  \
			if (k_ == FT_IDLE_RECHECK) {                       \
				r_ = 0, timed_out_ = 0;                    \
				break;                                     \
			}                                                  \
			if (k_ == 0)                                       \
				break;                                     \
			real_ = ft_ns_to_ts(                               \
				ft_ns_add(ft_warp_real(clk), ns_));        \
			r_ = call_next(&real_);                            \
			timed_out_ = (errno_style)                         \
				? r_ == -1 && errno == ETIMEDOUT           \
				: r_ == (timeout_value);                   \
			if (!timed_out_)                                   \
				break;                                     \
		}                                                          \
		ft_idle_stop(&idle_);                                      \
		if ((errno_style) && r_ == -1)                             \
			errno = timed_out_ ? ETIMEDOUT : errno;            \
		else                                                       \
			errno = saved_;                                    \
		return r_;                                                 \
	} while (0)

/* The rule in force: FT_WARP_RULE_EXPOSE or FT_WARP_RULE_IDLE. */
int ft_warp_rule(void);

/*
 * The program's real-time interval timer (itimer.c) expires at or before
 * target (virtual monotonic ns): moves the clock to its expiry and has the
 * kernel fire it now, its signal taken in this thread while it waits
 * (since: when the wait began, virtual; a timer the kernel fired for real
 * after it counts as come here):
 * FT_ITIMER_HERE when its handler ran here (the caller's wait ends with
 * EINTR, as the call would have), FT_ITIMER_ELSEWHERE when another thread
 * took it (or the program blocks it): the wait goes on. 0: no timer due.
 */
#define FT_ITIMER_HERE 1
#define FT_ITIMER_ELSEWHERE 2
int ft_warp_itimer_fire_before(int64_t target, int64_t since);
/* The expiry of this process's interval timer (virtual ns); 0: none. */
int64_t ft_warp_itimer_due(void);

/* ft_idle_slice's answer when the interval timer's signal ended a wait. */
#define FT_IDLE_EINTR (-1)
/* Its answer before a jump that ends a wait on a condition variable
 * (FT_TIMED_WAIT_ON): return as woken, once. */
#define FT_IDLE_RECHECK (-2)

/*
 * Whether a timed wait of left ns waits under the idle rule: every one
 * under idle, a hang guard (at least FLAKETRAP_TIMER_GUARD) under warp.
 */
int ft_warp_idle_wait(int64_t left);

/* The interval timer's expiry (0: none) in the tree's table (idle.c). */
void ft_idle_timer_deadline(int64_t target);

/*
 * A sleep left whole that lasts for real (FLAKETRAP_SLEEP=off, shorter than
 * the guard under warp), registered in reg while it lasts so that the idle
 * rule does not jump past it; ft_idle_stop(reg) after it.
 */
struct ft_idle;
void ft_idle_real_begin(struct ft_idle *reg, int64_t ns);

/* Whether sleeps are the idle rule's waits (idle, FLAKETRAP_SLEEP=off). */
int ft_warp_idle_sleeps(void);

/*
 * Under the idle rule with sleeps left whole: a sleep until target (virtual
 * monotonic ns), slept in slices of the idle rule. 0 at its end; -1 with
 * errno EINTR when a signal cut it, *left then the virtual ns left.
 */
int ft_warp_idle_sleep(int64_t target, int64_t *left);

/* A timed wait of the rule warp that waits for real: counted. */
void ft_warp_count_real(void);

/* One look at the tree by the idle rule: counted. */
void ft_warp_count_idle_scan(void);

/*
 * A timed wait under the idle rule (idle.c): registered with its deadline
 * (virtual monotonic ns), it waits for real in slices:
 *
 *	ft_idle_start(&w, target);
 *	while (ft_idle_slice(&w, &ns))
 *		if ((r = wait for ns of real time) != its timeout)
 *			break;
 *	ft_idle_stop(&w);
 *
 * ft_idle_slice returns 0 once the deadline is reached, by real time or
 * by the jump it made when the tree was idle (the call then returns its
 * timeout), FT_IDLE_EINTR when the interval timer, earlier, fired instead
 * and its handler ran in this thread, FT_IDLE_RECHECK instead of a jump
 * when w.recheck names a condition variable this thread has not just
 * been woken from so, else 1 with the next slice's length in *ns.
 */
struct ft_idle {
	int64_t target;
	pid_t tid;
	int slot;	/* -1: the table was full; waits, never jumps */
	int streak;	/* looks in a row that found the tree idle */
	uint64_t runtime;	/* at the last look, of the process's threads */
	int64_t since;		/* when the wait began, virtual monotonic */
	int sliced;
	const void *recheck;	/* the condition variable waited on, or NULL */
};

/*
 * Maps the tree's clock file FLAKETRAP_TIMERS_TREE names, if any, and takes
 * its table of waiters; the caller then takes its offset. NULL without one.
 */
struct ft_warp_tree *ft_idle_tree_attach(void);

/*
 * Appends s, then n when n >= 0, to the path being built in buf (len
 * bytes in all) at *at; -1 when it does not fit. async-signal-safe.
 */
int ft_path_add(char *buf, size_t len, size_t *at, const char *s, long n);

/* Whether the processes pids[0..n) hold a TCP socket with bytes in flight. */
int ft_idle_tcp_in_flight(const pid_t *pids, int n);

/*
 * Whether w's deadline is the earliest of the tree's (of the process's
 * without a tree file): a wait of the rule warp jumps only then, so that
 * no jump passes another deadline.
 */
int ft_idle_first(const struct ft_idle *w);

/* Registers, and unregisters, a wait's deadline; both keep errno. */
void ft_idle_start(struct ft_idle *w, int64_t target);
void ft_idle_stop(struct ft_idle *w);
int ft_idle_slice(struct ft_idle *w, int64_t *ns);

#endif
