/* SPDX-License-Identifier: MIT */
/*
 * The registry's mapping, for its two files: registry.c changes it,
 * registry-read.c reads it for the exit scan. Nothing else includes this.
 */
#ifndef FT_REGISTRY_POOL_H
#define FT_REGISTRY_POOL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry.h"

#define FT_REG_BUCKETS 65536
/* Beyond this many tasks the sweep asks the kernel about each record. */
#define FT_SWEEP_TASKS 4096

struct ft_reg_header {
	_Atomic uintptr_t owner;	/* pthread_self() of the holder, or 0 */
	atomic_uint waiters;		/* threads in or near futex_wait */
	atomic_uint wake_seq;		/* the futex word: bumped to wake */
	uint32_t free_head;	/* index + 1 */
	uint32_t high_water;	/* records ever used */
	uint32_t live;
	uint32_t ended;		/* FT_THREAD_ENDED records */
	uint32_t sweep_above;	/* sweep when ended passes it */
	uint32_t children;	/* FT_REC_CHILD records */
	uint32_t children_sweep_above;
	/* forkstack.c's slots given out (numbers from 1) and given back:
	 * stack_high_water - stack_free_head are held */
	uint32_t stack_high_water;
	uint32_t stack_free_head;	/* how many in stack_free */
	uint32_t stack_free[FT_FORK_STACKS];
	uint32_t heads[FT_REG_BUCKETS];
	/* The ended-thread sweep's view of /proc/self/task, under the lock:
	 * not on the stack of a thread that may have a small one. */
	pid_t sweep_tids[FT_SWEEP_TASKS];
	char sweep_dents[2048];
};

/* The mapping, once made (NULL before), and its record at index. */
struct ft_reg_header *ft_reg_made(void);
struct ft_rec *ft_reg_rec(uint32_t index);
/*
 * Take the lock; 0 when this thread holds it already (we are in a signal
 * handler that interrupted it). Keeps errno. async-signal-safe
 */
int ft_reg_lock(struct ft_reg_header *r);
void ft_reg_unlock(struct ft_reg_header *r);

#endif
