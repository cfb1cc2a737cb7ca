/* SPDX-License-Identifier: MIT */
/*
 * Chaos mode's records: its counters in the exit record, and the
 * chaos_sites record(s), from the state chaos.c keeps (chaos-state.h).
 * async-signal-safe, as all of chaos mode.
 */
#include <string.h>
#include <sys/mman.h>

#include "fmt.h"
#include "ft.h"
#include "chaos-state.h"

/* The points' names, as chaos.c's table has them. */
static const char *const point_names[FT_CHAOS_NPOINTS] = {
#define FT_CHAOS_POINT(id, starve, victim_starve, victim_brief, hold) #id,
#include "chaos-points.def"
#undef FT_CHAOS_POINT
};

/* ,"chaos":{...} inside the exit record's counters. async-signal-safe */
void ft_chaos_counters_json(struct ft_buf *b)
{
	unsigned long long p = 0, h = 0, ns = 0;
	int i;

	if (!ft_cfg()->chaos)
		return;
	for (i = 0; i < FT_CHAOS_NPOINTS; i++) {
		p += atomic_load(&ft_chaos_counters.points[i]);
		h += atomic_load(&ft_chaos_counters.holds[i]);
		ns += atomic_load(&ft_chaos_counters.held_ns[i]);
	}
	ft_buf_str(b, ",\"chaos\":{\"points\":");
	ft_buf_u64(b, p);
	ft_buf_str(b, ",\"holds\":");
	ft_buf_u64(b, h);
	ft_buf_str(b, ",\"held_ns\":");
	ft_buf_u64(b, ns);
	ft_buf_str(b, ",\"cut\":");
	ft_buf_u64(b, atomic_load(&ft_chaos_counters.cut));
	ft_buf_str(b, ",\"spared\":");
	ft_buf_u64(b, atomic_load(&ft_chaos_counters.spared));
	ft_buf_str(b, ",\"by_point\":{");
	for (i = 0; i < FT_CHAOS_NPOINTS; i++) {
		ft_buf_str(b, i ? ",\"" : "\"");
		ft_buf_str(b, point_names[i]);
		ft_buf_str(b, "\":{\"points\":");
		ft_buf_u64(b, atomic_load(&ft_chaos_counters.points[i]));
		ft_buf_str(b, ",\"holds\":");
		ft_buf_u64(b, atomic_load(&ft_chaos_counters.holds[i]));
		ft_buf_str(b, ",\"held_ns\":");
		ft_buf_u64(b, atomic_load(&ft_chaos_counters.held_ns[i]));
		ft_buf_char(b, '}');
	}
	ft_buf_str(b, "}}");
}

/* Whole sites only: 0 when the site did not fit (the buffer as before). */
static int site_json(struct ft_buf *b, const struct chaos_site *s, int first)
{
	size_t before = b->len;
	int n = atomic_load_explicit(&s->nframes, memory_order_acquire);
	uintptr_t ip = atomic_load(&s->ip);
	char idmem[NAME_MAX + 32];
	struct ft_buf id;

	if (!first)
		ft_buf_char(b, ',');
	ft_buf_init(&id, idmem, sizeof(idmem));
	ft_frame_id(&id, ip, 1);
	ft_buf_str(b, "{\"id\":");
	ft_buf_json(b, idmem);
	ft_buf_str(b, ",\"point\":");
	ft_buf_json(b, point_names[atomic_load(&s->point)]);
	ft_buf_str(b, ",\"holds\":");
	ft_buf_u64(b, atomic_load(&s->holds));
	ft_buf_str(b, ",\"held_ns\":");
	ft_buf_u64(b, atomic_load(&s->held_ns));
	ft_buf_str(b, ",\"backtrace\":");
	if (ft_return_frames_json(b, s->frames, n) == n) {
		ft_buf_char(b, '}');
		if (!b->full)
			return 1;
	}
	b->len = before;
	b->p[before] = '\0';
	b->full = 0;
	return 0;
}

/*
 * async-signal-safe: the chaos_sites record(s), each site where a thread
 * was held, as the sleep_sites records: whole sites per record.
 */
void ft_chaos_log(void)
{
	struct ft_buf b;
	int next = 0, in_record, saved;
	char *mem;

	if (!ft_chaos_on || !ft_cfg()->log_dir[0])
		return;
	saved = errno;
	mem = mmap(NULL, FT_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		ft_errno_keep(saved);
		return;
	}
	do {
		ft_log_begin(&b, mem, "chaos_sites");
		if (next == 0) {
			ft_buf_str(&b, ",\"other\":{\"holds\":");
			ft_buf_u64(&b, atomic_load(&ft_chaos_other_holds));
			ft_buf_str(&b, ",\"held_ns\":");
			ft_buf_u64(&b, atomic_load(&ft_chaos_other_held_ns));
			ft_buf_char(&b, '}');
		}
		ft_buf_str(&b, ",\"sites\":[");
		for (in_record = 0; next < CHAOS_SITES; next++) {
			/* Free, or claimed by a thread still writing it. */
			if (!atomic_load(&ft_chaos_sites[next].ip) ||
			    atomic_load_explicit(&ft_chaos_sites[next].nframes,
						 memory_order_acquire) <= 0)
				continue;
			if (!site_json(&b, &ft_chaos_sites[next], !in_record))
				break;
			in_record++;
		}
		/* A site alone too big for a record: left out. */
		if (!in_record && next < CHAOS_SITES)
			next++;
		ft_buf_char(&b, ']');
		ft_log_end(&b, b.len);
	} while (next < CHAOS_SITES);
	munmap(mem, FT_SCRATCH_SIZE);
	ft_errno_keep(saved);
}
