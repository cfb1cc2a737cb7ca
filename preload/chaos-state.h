/* SPDX-License-Identifier: MIT */
/*
 * What chaos.c counts and chaos-log.c writes: the holds per point and per
 * site. Written by chaos.c only.
 */
#ifndef FT_CHAOS_STATE_H
#define FT_CHAOS_STATE_H

#include <stdatomic.h>
#include <stdint.h>

#include "ft.h"

#define CHAOS_SITES 256

struct ft_chaos_counters {
	atomic_ullong points[FT_CHAOS_NPOINTS];
	atomic_ullong holds[FT_CHAOS_NPOINTS];
	atomic_ullong held_ns[FT_CHAOS_NPOINTS];
	atomic_ullong cut;	/* holds cut short by the budget */
	atomic_ullong spared;	/* holds the patterns left out */
};
extern struct ft_chaos_counters ft_chaos_counters;

struct chaos_site {
	_Atomic uintptr_t ip;		/* 0: free */
	atomic_int point;
	atomic_int nframes;		/* 0 until frames[] is written */
	uintptr_t frames[FT_SITE_FRAMES];
	atomic_ullong holds, held_ns;
};
extern struct chaos_site ft_chaos_sites[CHAOS_SITES];
/* Holds at sites beyond the table, or with no frame of the program. */
extern atomic_ullong ft_chaos_other_holds, ft_chaos_other_held_ns;

#endif
