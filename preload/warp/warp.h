/* SPDX-License-Identifier: MIT */
/*
 * Internal header of libflaketrap-warp.so: the next definitions, the
 * process's clock offset and the jump of the clock at the end of a wait.
 * Every function here is async-signal-safe once the warp is attached.
 */
#ifndef FT_WARP_H
#define FT_WARP_H

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
 * For a wait until abs (the program's deadline, virtual) on clk: the
 * real deadline in *real. Returns 1 when the wait is warped (*real is the
 * end of the grace, *target set), 0 when it is not (the deadline turned
 * back into a real one), -1 to pass the call on untouched (invalid
 * deadline, a clock without an offset).
 */
int ft_warp_deadline(clockid_t clk, const struct timespec *abs,
		     struct timespec *real, int64_t *target);

#endif
