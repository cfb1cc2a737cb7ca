/* SPDX-License-Identifier: MIT */
/* Current stacks of running threads, taken by a signal; see stacks.c. */
#ifndef FT_STACKS_H
#define FT_STACKS_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#define FT_STACK_FRAMES 64

struct ft_stack_req {
	pid_t tid;
	atomic_int done;
	int n;
	uintptr_t ips[FT_STACK_FRAMES];
	/* The thread's name, as /proc/.../comm gives it, asked by the
	 * handler (one open of /proc less per thread for the scan). */
	char comm[16];
};

/* Also threads waiting in a call the signal ends with EINTR. */
#define FT_STACKS_INTERRUPT 1u

/*
 * Ask every thread of reqs (mapped memory that stays mapped: a late answer
 * may still write to it) for its stack. Without FT_STACKS_INTERRUPT in
 * flags, a thread waiting in a call the signal would end with EINTR is
 * left alone. One request at a time: another one meanwhile gets a reason.
 * Returns why none can be had (FLAKETRAP_STACK_TIMEOUT=0: no signal is
 * sent), or NULL; why[i] says why thread i gave none. async-signal-safe
 */
const char *ft_take_stacks(struct ft_stack_req *reqs, size_t n,
			   const char **why, unsigned flags);

#endif
