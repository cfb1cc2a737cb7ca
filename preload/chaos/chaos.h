/* SPDX-License-Identifier: MIT */
/*
 * Internal header of libflaketrap-chaos.so: the next definitions and the
 * point macros every wrapper uses.
 */
#ifndef FT_CHAOS_H
#define FT_CHAOS_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../chaos-link.h"

#define FT_EXPORT __attribute__((visibility("default")))

/* The wrapper w_NAME with libc's own prototype of NAME, exported as NAME at
 * the versions its attributes give (exports.map lists them). */
#define FT_WRAP(name) FT_EXPORT __typeof__(name) w_##name

struct ft_next {
#define FT_NEXT(name, version) __typeof__(&name) name;
#include "next.def"
#undef FT_NEXT
};

extern struct ft_next ft_next;

/* libflaketrap.so's point function once attached, else NULL; resolves
 * ft_next either way. */
ft_chaos_point_fn *ft_chaos_point_get(void);

/*
 * Mutexes and rwlocks the calling thread took through us and holds: a
 * thread held back while holding one stalls every thread that waits for
 * it, which reorders nothing.
 */
extern __thread int ft_locks_held;

/* First in every wrapper: ft_next resolved, the point function known. */
#define FT_ENTER ft_chaos_point_fn *const pt_ = ft_chaos_point_get()

/* Ask libflaketrap.so at point id, the calling thread holding `held`
 * locks; the return address is the wrapper's caller, the site. Keeps
 * errno (the point function does). */
#define FT_POINT_HELD(id, fd, held)                                         \
	do {                                                                \
		if (pt_)                                                    \
			pt_(FT_CHAOS_##id,                                  \
			    (uintptr_t)__builtin_return_address(0), (fd),    \
			    (held) > 0 ? FT_CHAOS_HOLDING_LOCK : 0u);        \
	} while (0)
#define FT_POINT(id, fd) FT_POINT_HELD(id, fd, ft_locks_held)

#endif
