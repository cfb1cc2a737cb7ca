/* SPDX-License-Identifier: MIT */
/*
 * How libflaketrap.so and libflaketrap-warp.so meet. The warp object
 * exports one function of its own, ft_warp_attach; libflaketrap.so looks it
 * up with dlsym when FLAKETRAP_TIMERS=warp and calls it once, from its
 * initialization. Until then every warp wrapper passes its call on.
 */
#ifndef FT_WARP_LINK_H
#define FT_WARP_LINK_H

#include <stdatomic.h>
#include <stdint.h>

/* Bumped whenever struct ft_warp_link or the call below change. */
#define FT_WARP_LINK_VERSION 2
#define FT_WARP_ATTACH "ft_warp_attach"

/* Counters of this process, reset by libflaketrap.so in a fork child. */
struct ft_warp_counters {
	atomic_ullong waits_warped;	/* waits ended by a jump of the clock */
	atomic_ullong warped_ns;	/* what the jumps added to the clock */
	/* rule warp: timed waits on a lock, condition, semaphore or join
	 * longer than the grace, left to wait for real */
	atomic_ullong waits_real;
	/* rule idle: looks at the process tree's threads, each a grace
	 * after the last, by the waiter with the earliest deadline */
	atomic_ullong idle_scans;
};

/* The rules of FLAKETRAP_TIMERS: which timed waits may jump the clock. */
enum ft_warp_rule {
	/* warp: an event loop's wait or a sleep, after the grace */
	FT_WARP_RULE_EXPOSE = 1,
	/* idle: any timed wait, the earliest, once the tree is blocked */
	FT_WARP_RULE_IDLE = 2,
	/* sleeps are left whole (FLAKETRAP_SLEEP=off), so they are the
	 * idle rule's waits too: all under idle, the hang guards' length
	 * and more under warp */
	FT_WARP_IDLE_SLEEPS = 0x100,
};

struct ft_warp_link {
	int version;
	struct ft_warp_counters *counters;
};

/*
 * The clock of a process tree under the idle rule: a file the tool makes
 * for each run (mkstemp, then ftruncate to sizeof(struct ft_warp_tree)),
 * named by FLAKETRAP_TIMERS_TREE, and mapped shared by every process of
 * the run that has the warp object: one offset for the tree, and every
 * waiter of the tree in one table, so that only the earliest deadline of
 * the tree jumps the clock.
 */
#define FT_WARP_TREE_ENV "FLAKETRAP_TIMERS_TREE"
#define FT_WARP_TREE_SLOTS 1024

struct ft_warp_slot {
	atomic_int tid;		/* 0: free */
	atomic_int pid;
	atomic_llong target;	/* deadline, virtual monotonic ns */
};

struct ft_warp_tree {
	atomic_llong offset_ns;
	struct ft_warp_slot slots[FT_WARP_TREE_SLOTS];
};

/*
 * Turn the warp on with this rule (enum ft_warp_rule), grace and guard
 * (FLAKETRAP_TIMER_GUARD); NULL when version is not the warp
 * object's (the two objects come from different builds).
 */
typedef const struct ft_warp_link *ft_warp_attach_fn(int version, int rule,
						     int64_t grace_ns,
						     int64_t guard_ns);

#endif
