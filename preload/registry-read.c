/* SPDX-License-Identifier: MIT */
/*
 * The registry as the exit scan reads it once there is something to
 * scan: a snapshot of the records, and a short wait for threads still to
 * note their tid. async-signal-safe. See registry.c for the rules.
 */
#include <sched.h>
#include <string.h>

#include "ft.h"
#include "registry.h"
#include "registry-pool.h"

size_t ft_reg_snapshot(void *mem, size_t max)
{
	struct ft_reg_header *r = ft_reg_made();
	struct ft_rec *rec;
	size_t n = 0, rs = ft_reg_rec_size();
	uint32_t i;
	int locked;

	if (!r)
		return 0;
	/* In a handler that interrupted our own change: read as it is. */
	locked = ft_reg_lock(r);
	for (i = 0; i < r->high_water && n < max; i++) {
		rec = ft_reg_rec(i);
		if (rec->kind == FT_REC_FREE)
			continue;
		memcpy((char *)mem + n * rs, rec, rs);
		if (((struct ft_rec *)((char *)mem + n * rs))->nframes >
		    ft_cfg()->backtrace)
			((struct ft_rec *)((char *)mem + n * rs))
				->nframes = (uint8_t)ft_cfg()->backtrace;
		n++;
	}
	if (locked)
		ft_reg_unlock(r);
	return n;
}

/*
 * A thread pthread_create has made may not have run its first instruction
 * yet: the scan would find its tid in /proc and nothing in the registry.
 * Let such threads note their tid, for at most max_ns. async-signal-safe
 */
void ft_reg_wait_thread_ids(int64_t max_ns)
{
	struct ft_reg_header *r = ft_reg_made();
	struct timespec now;
	int64_t deadline = 0, t;
	const struct ft_rec *rec;
	uint32_t i, pending;

	if (!r)
		return;
	for (;;) {
		pending = 0;
		for (i = 0; i < r->high_water; i++) {
			rec = ft_reg_rec(i);
			if (rec->kind == FT_REC_THREAD && rec->created &&
			    rec->state == FT_THREAD_RUNNING &&
			    atomic_load((_Atomic int32_t *)&rec->id) == 0)
				pending++;
		}
		ft_clock(CLOCK_MONOTONIC, &now);
		t = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		if (!deadline)
			deadline = t + max_ns;
		if (!pending || t > deadline)
			return;
		sched_yield();
	}
}

size_t ft_reg_test_alive(uint32_t test, void *mem, size_t max)
{
	struct ft_reg_header *r = ft_reg_made();
	struct ft_rec *rec;
	size_t n = 0, rs = ft_reg_rec_size();
	uint32_t i;

	if (!r || !test || !ft_reg_lock(r))
		return 0;
	for (i = 0; i < r->high_water && (!mem || n < max); i++) {
		rec = ft_reg_rec(i);
		if (rec->test != test || !rec->created ||
		    !(rec->kind == FT_REC_CHILD ||
		      (rec->kind == FT_REC_THREAD &&
		       rec->state != FT_THREAD_ENDED)))
			continue;
		if (mem)
			memcpy((char *)mem + n * rs, rec, rs);
		n++;
	}
	ft_reg_unlock(r);
	return n;
}
