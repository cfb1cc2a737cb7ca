/* SPDX-License-Identifier: MIT */
/*
 * Sleep sites: which code asked for each sleep, and the patterns that pick
 * sleeps by it (FLAKETRAP_SLEEP_ONLY, FLAKETRAP_SLEEP_SKIP). A site is the
 * first frame outside libc, libstdc++ and flaketrap's own libraries: most
 * often the return address of the wrapper itself, which costs nothing to
 * know; the stack is unwound only when that address is in one of those
 * modules, once per new site (its short backtrace), and when a glob
 * pattern might match a caller (globs see the first frames) but the
 * site's own frame does not decide.
 *
 * With FLAKETRAP_LOG, each site's sleeps are counted in a fixed table in
 * our own memory (FT_SITES sites; the rest are counted together), claimed
 * with a compare-and-swap and counted with atomic adds: no lock, so a
 * signal handler that sleeps while its thread is counting cannot deadlock.
 * Without the log and without patterns nothing here runs.
 */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>

#include "fmt.h"
#include "ft.h"

#define FT_SITES 256
/* Frames looked at to find the site: the wrappers' own come first. */
#define FT_UNWIND_MAX 32
/* Frames the globs are matched against: the site and its callers. */
#define FT_MATCH_FRAMES 4
/* Modules whose frames are never a site. */
#define FT_SKIPPED_MAX 8
/* Addresses that find them: one in libc, one in each of our libraries. */
#define FT_MARKS 4

struct tally {
	atomic_ullong seen;
	atomic_ullong changed;
	atomic_ullong requested_ns;
	atomic_ullong slept_ns;
};

struct site {
	atomic_int nframes;		/* 0 until frames[] is written */
	uintptr_t frames[FT_SITE_FRAMES];
	struct ft_py_stack py;		/* a Python site's frames */
	uint32_t test;			/* running at its first sleep, or 0 */
	struct tally t;
};

/*
 * A Python site's key: its innermost frame's file, line and function
 * hashed, with the top bit set, which no user-space address has. The
 * same in every run: it holds no address.
 */
#define FT_PY_KEY_BIT ((uintptr_t)1 << (sizeof(uintptr_t) * 8 - 1))

/*
 * The keys (0: free) apart from the sites: a slot's lookup, a fork child's
 * reset and the exit record look at every key, 2 KiB, where the sites
 * with their Python frames are some 370 KiB: each page of them read for
 * the first time is a page fault (1.7 ms at each exit with a log, when
 * the keys were in the sites).
 */
static _Atomic uintptr_t site_ip[FT_SITES];
static struct site sites[FT_SITES];
/* Sleeps of sites beyond the table, or with no frame outside libc. */
static struct tally other;

static struct {
	uintptr_t lo, hi;
	int ours;	/* one of our libraries, or libunwind (ours loads it) */
} skipped[FT_SKIPPED_MAX];
static int nskipped;
static atomic_int modules_listed;	/* by ft_sites_init */
static int counting;		/* FLAKETRAP_LOG is set */
/*
 * A sleep was counted in this process or an ancestor: the tables may hold
 * something. Never cleared, set once: it is on the page of data that
 * every fork child reads (preload/fork-path.ld), and a child of a process
 * that never slept reads no page of the tables to reset them.
 */
static atomic_int sites_used;
static int filtering;		/* a pattern is set */
static int wrapping;		/* FLAKETRAP_SLEEP_WRAPPERS is set */

/* 1 when ip is in a module that is no site, 2 when in one of ours. */
static int in_skipped(uintptr_t ip)
{
	int i;

	for (i = 0; i < nskipped; i++)
		if (ip >= skipped[i].lo && ip < skipped[i].hi)
			return skipped[i].ours ? 2 : 1;
	return 0;
}

/*
 * dl_iterate_phdr: the address range of each module whose frames are no
 * site; data holds an address in libc (whatever its name), then addresses
 * in ours (0 when absent).
 */
static int note_module(struct dl_phdr_info *info, size_t size, void *data)
{
	const uintptr_t *marks = data;
	const char *base = strrchr(info->dlpi_name, '/');
	uintptr_t lo, hi;
	int i, skip, ours = 0;

	(void)size;
	ft_module_range(info, &lo, &hi);
	base = base ? base + 1 : info->dlpi_name;
	skip = strncmp(base, "libc.so", 7) == 0 ||
	       strncmp(base, "libstdc++.so", 12) == 0;
	skip |= marks[0] >= lo && marks[0] < hi;
	for (i = 1; i < FT_MARKS; i++)
		ours |= marks[i] && marks[i] >= lo && marks[i] < hi;
	/* Its locks, taken for our backtraces, are no program's. */
	ours |= strncmp(base, "libunwind", 9) == 0;
	if ((skip || ours) && lo < hi && nskipped < FT_SKIPPED_MAX) {
		skipped[nskipped].lo = lo;
		skipped[nskipped].hi = hi;
		skipped[nskipped++].ours = ours;
	}
	return 0;
}

/* async-signal-safe: plain stores */
void ft_sites_configure(void)
{
	const struct ft_config *c = ft_cfg();

	counting = c->log_dir[0] != '\0';
	filtering = c->sleep_only.n || c->sleep_skip.n;
	wrapping = c->sleep_wrappers.n != 0;
}

void ft_sites_init(void)
{
	const struct ft_config *cfg = ft_cfg();
	uintptr_t marks[FT_MARKS];

	/* Before the first record of a thread or child: its room. */
	if (counting || filtering)
		ft_python_init();
	if (!counting && !filtering && !cfg->chaos)
		return;
	marks[0] = (uintptr_t)ft_real.nanosleep;
	marks[1] = (uintptr_t)ft_sites_init;
	marks[2] = (uintptr_t)dlsym(RTLD_DEFAULT, FT_WARP_ATTACH);
	marks[3] = (uintptr_t)dlsym(RTLD_DEFAULT, FT_CHAOS_ATTACH);
	/*
	 * Patterns and chaos decide on frames at every call: libunwind now,
	 * first, to be among the modules seen (chaos leaves its locks
	 * alone). Counting alone needs it only at a sleep whose caller is
	 * libc's or libstdc++'s (find_site loads it then; no sleep is in
	 * it): a process with a log that never sleeps so maps none of it
	 * (some 0.6 ms a process on a small VM: two libraries mapped and
	 * relocated).
	 */
	if (filtering || wrapping || cfg->chaos)
		ft_unwind_load();
	nskipped = 0;
	dl_iterate_phdr(note_module, marks);
	atomic_store_explicit(&modules_listed, 1, memory_order_release);
}

int ft_sites_unwind(void)
{
	return counting || filtering || wrapping || ft_cfg()->chaos;
}

/* Whether the frame at ip (a return address) is a sleep wrapper's. */
static int is_wrapper(uintptr_t ip)
{
	struct ft_frame_name name;

	ft_frame_name(ip, 1, &name);
	return ft_patterns_match(&ft_cfg()->sleep_wrappers, &name, 1);
}

/*
 * The site of a sleep whose wrapper returns to ra, and with frames set (or
 * when ra is in a skipped module) the frames from the site outward.
 */
static void find_site(struct ft_sleep_call *c, uintptr_t ra, int frames)
{
	uintptr_t raw[FT_UNWIND_MAX];
	int n, i, k;

	c->site = ra;
	c->nframes = 0;
	if (!frames && !in_skipped(ra) && !(wrapping && is_wrapper(ra)))
		return;
	/* Only counting: not loaded yet. No handler of the program can be
	 * running while it has none, so this sleep is in normal context;
	 * the first handler's installation loads it (signal.c). Not before
	 * our constructor: a site is the caller until then. */
	if (atomic_load_explicit(&modules_listed, memory_order_acquire) &&
	    !ft_unwind_loaded() && !ft_signal_program_handlers())
		ft_unwind_load();
	n = ft_backtrace_quick(raw, FT_UNWIND_MAX);
	for (i = 0; i < n && in_skipped(raw[i]); i++)
		;
	/*
	 * A wrapper's callers: the site is the first frame past the wrappers
	 * (their own calls of libc or of each other included), the line
	 * that called the wrapper.
	 */
	while (wrapping && i < n && (in_skipped(raw[i]) || is_wrapper(raw[i])))
		i++;
	if (i == n) {
		/* No frame of the program: unwinding failed, or a sleep of
		 * libc's own. */
		c->site = in_skipped(ra) ? 0 : ra;
		return;
	}
	/*
	 * Our own frames below the site (the trampoline under main, a
	 * thread's start) are left out: no glob may match them, and they
	 * would take a place among the frames the globs see.
	 */
	for (k = 0; k < FT_SITE_FRAMES && i < n; i++)
		if (in_skipped(raw[i]) != 2)
			c->frames[k++] = raw[i];
	c->nframes = k;
	c->site = c->frames[0];
}

/*
 * Whether the patterns leave this sleep alone: 1, or 0 to change it. With
 * first_only, from the site's own frame: -1 when a glob might still match
 * a caller's, which only unwinding can tell.
 */
static int verdict(const struct ft_sleep_call *c, int first_only,
		   const struct ft_patterns *only,
		   const struct ft_patterns *skip)
{
	struct ft_frame_name names[FT_MATCH_FRAMES];
	int n = 1, i;

	if (!c->site)
		return only->n != 0;	/* an unknown caller */
	if (first_only || !c->nframes) {
		ft_frame_name(c->site, 1, &names[0]);
	} else {
		n = c->nframes < FT_MATCH_FRAMES ? c->nframes : FT_MATCH_FRAMES;
		for (i = 0; i < n; i++)
			ft_frame_name(c->frames[i], 1, &names[i]);
	}
	if (skip->n && ft_patterns_match(skip, names, n))
		return 1;
	if (first_only && skip->globs)
		return -1;
	if (!only->n || ft_patterns_match(only, names, n))
		return 0;
	return first_only && only->globs ? -1 : 1;
}
/* As verdict, for a Python site: its Python frames decide. */
static int py_verdict(const struct ft_sleep_call *c,
		      const struct ft_patterns *only,
		      const struct ft_patterns *skip)
{
	struct ft_frame_name names[FT_PY_FRAMES];
	int i;

	for (i = 0; i < c->py.n; i++)
		ft_py_frame_name(&c->py.f[i], &names[i]);
	if (skip->n && ft_patterns_match(skip, names, c->py.n))
		return 1;
	return only->n && !ft_patterns_match(only, names, c->py.n);
}

static uintptr_t py_key(const struct ft_py_frame *f)
{
	return (uintptr_t)ft_py_frame_hash(f) | FT_PY_KEY_BIT;
}

/*
 * The site found, whether the patterns leave the call alone. With python,
 * a sleep the interpreter makes has the Python frames of its thread: its
 * site is the innermost Python frame (past the wrappers), as every
 * time.sleep has the same C site.
 */
static int pick(struct ft_sleep_call *c, uintptr_t ra, int python,
		const struct ft_patterns *only, const struct ft_patterns *skip)
{
	int v;

	find_site(c, ra, 0);
	c->key = c->site;
	c->py.n = 0;
	if (python && c->site && ft_python_interpreter(c->site)) {
		ft_python_stack(&c->py, wrapping ? &ft_cfg()->sleep_wrappers
						 : NULL);
		if (c->py.n)
			c->key = py_key(&c->py.f[0]);
	}
	if (!only->n && !skip->n)
		return 0;
	if (c->py.n)
		return py_verdict(c, only, skip);
	/* Unwound already (ra was no site), or the site alone decides. */
	if (c->nframes || (v = verdict(c, 1, only, skip)) < 0) {
		if (!c->nframes && (only->globs || skip->globs))
			find_site(c, ra, 1);
		v = verdict(c, 0, only, skip);
	}
	return v;
}

/* async-signal-safe */
int ft_sleep_begin(struct ft_sleep_call *c, uintptr_t ra)
{
	const struct ft_config *cfg = ft_cfg();

	c->site = 0;
	c->nframes = 0;
	c->key = 0;
	c->py.n = 0;
	if (!counting && !filtering)
		return 0;
	return pick(c, ra, 1, &cfg->sleep_only, &cfg->sleep_skip);
}

/* async-signal-safe */
int ft_site_pick(struct ft_sleep_call *c, uintptr_t ra,
		 const struct ft_patterns *only, const struct ft_patterns *skip)
{
	c->site = 0;
	c->nframes = 0;
	c->key = 0;
	c->py.n = 0;
	return pick(c, ra, 0, only, skip);
}

/* async-signal-safe */
int ft_site_ours(uintptr_t ip)
{
	return in_skipped(ip) == 2;
}

static void add(struct tally *t, int64_t req_ns, int64_t slept_ns,
		int changed)
{
	atomic_fetch_add_explicit(&t->seen, 1, memory_order_relaxed);
	if (changed)
		atomic_fetch_add_explicit(&t->changed, 1,
					  memory_order_relaxed);
	atomic_fetch_add_explicit(&t->requested_ns, (unsigned long long)req_ns,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&t->slept_ns, (unsigned long long)slept_ns,
				  memory_order_relaxed);
}

/* The slot of site ip, claimed when new (*fresh set); NULL when full. */
static struct site *slot(uintptr_t ip, int *fresh)
{
	size_t h = (size_t)(((uint64_t)ip * 0x9e3779b97f4a7c15ULL) >> 56);
	uintptr_t cur;
	size_t i;
	_Atomic uintptr_t *key;

	*fresh = 0;
	for (i = 0; i < FT_SITES; i++) {
		key = &site_ip[(h + i) % FT_SITES];
		cur = atomic_load_explicit(key, memory_order_acquire);
		if (cur == 0 && atomic_compare_exchange_strong(key, &cur, ip)) {
			*fresh = 1;
			return &sites[(h + i) % FT_SITES];
		}
		if (cur == ip)
			return &sites[(h + i) % FT_SITES];
	}
	return NULL;
}

/* async-signal-safe */
void ft_sleep_end(struct ft_sleep_call *c, int64_t req_ns, int64_t slept_ns,
		  int changed)
{
	uintptr_t site = c->site;
	struct site *s;
	int fresh;

	/* A vfork child's sleeps count in its parent's, as the counters. */
	if (!counting)
		return;
	if (!atomic_load_explicit(&sites_used, memory_order_relaxed))
		atomic_store_explicit(&sites_used, 1, memory_order_relaxed);
	s = c->key ? slot(c->key, &fresh) : NULL;
	if (!s) {
		add(&other, req_ns, slept_ns, changed);
		return;
	}
	if (fresh) {
		/* Once per site: its short backtrace. */
		if (!c->nframes)
			find_site(c, site, 1);
		if (!c->nframes || c->frames[0] != site) {
			c->frames[0] = site;
			c->nframes = 1;
		}
		memcpy(s->frames, c->frames, (size_t)c->nframes *
						     sizeof(c->frames[0]));
		s->py = c->py;
		s->test = ft_test_now();
		atomic_store_explicit(&s->nframes, c->nframes,
				      memory_order_release);
	}
	add(&s->t, req_ns, slept_ns, changed);
}

/*
 * async-signal-safe: a fork child starts with no site. Only the slots in
 * use are written: a write to a page copies it, and every fork child would
 * pay for the whole table (some 90 pages) even when nothing was counted.
 */
void ft_sites_after_fork(void)
{
	int i;

	if (!counting || !atomic_load_explicit(&sites_used, memory_order_relaxed))
		return;
	for (i = 0; i < FT_SITES; i++)
		if (atomic_load_explicit(&site_ip[i], memory_order_relaxed)) {
			atomic_store_explicit(&site_ip[i], 0,
					      memory_order_relaxed);
			memset(&sites[i], 0, sizeof(sites[i]));
		}
	if (atomic_load_explicit(&other.seen, memory_order_relaxed))
		memset(&other, 0, sizeof(other));
}

static void tally_json(struct ft_buf *b, const struct tally *t)
{
	ft_buf_str(b, "\"seen\":");
	ft_buf_u64(b, atomic_load(&t->seen));
	ft_buf_str(b, ",\"changed\":");
	ft_buf_u64(b, atomic_load(&t->changed));
	ft_buf_str(b, ",\"requested_ns\":");
	ft_buf_u64(b, atomic_load(&t->requested_ns));
	ft_buf_str(b, ",\"slept_ns\":");
	ft_buf_u64(b, atomic_load(&t->slept_ns));
}

/* Whole sites only: 0 when the site did not fit (the buffer is as before). */
static int site_json(struct ft_buf *b, const struct site *s, int first)
{
	size_t before = b->len;
	int n = atomic_load_explicit(&s->nframes, memory_order_acquire);
	uintptr_t ip = atomic_load(&site_ip[s - sites]);
	uintptr_t one[1] = { ip };
	/* Written with the frames, before nframes: a site still being
	 * claimed (n 0) has none yet, and no address to show either. */
	int python = n > 0 && s->py.n > 0;
	int keyed = (ip & FT_PY_KEY_BIT) != 0;	/* a Python key, no address */
	char idmem[NAME_MAX + 32];
	struct ft_buf id;

	if (!first)
		ft_buf_char(b, ',');
	/* The module's name is any bytes a file name can hold: escaped. */
	ft_buf_init(&id, idmem, sizeof(idmem));
	if (python)
		ft_py_site_id(&id, &s->py.f[0]);
	else if (keyed)
		ft_buf_str(&id, "?");
	else
		ft_frame_id(&id, ip, 1);
	ft_buf_str(b, "{\"id\":");
	ft_buf_json(b, idmem);
	ft_buf_char(b, ',');
	tally_json(b, &s->t);
	if (python)
		ft_py_stack_json(b, &s->py);
	if (n > 0 && ft_test_name(s->test)) {
		ft_buf_str(b, ",\"test\":");
		ft_buf_json(b, ft_test_name(s->test));
	}
	ft_buf_str(b, ",\"backtrace\":");
	if (n > 0 ? ft_return_frames_json(b, s->frames, n) == n
		  : ft_return_frames_json(b, one, !keyed) == !keyed) {
		ft_buf_char(b, '}');
		if (!b->full)
			return 1;
	}
	b->len = before;
	b->p[before] = '\0';
	b->full = 0;
	return 0;
}

static unsigned long long seen_of(int i)
{
	return atomic_load_explicit(&sites[i].t.seen, memory_order_relaxed);
}

/*
 * async-signal-safe: the sleep_sites record(s), busiest site first, when
 * the process saw a sleep. Each record holds whole sites; those that do
 * not fit in one go on in the next.
 */
void ft_sites_log(void)
{
	unsigned short order[FT_SITES];
	int n = 0, i, j, next, in_record, saved;
	struct ft_buf b;
	char *mem;

	/* Each sleep counted at a site was counted there first: a process
	 * that saw none (a fork child, mostly) reads no page of the sites. */
	if (!counting || !atomic_load_explicit(&ft_process.counters.sleeps_seen,
					       memory_order_relaxed))
		return;
	saved = errno;
	for (i = 0; i < FT_SITES; i++) {
		if (!atomic_load(&site_ip[i]) || !seen_of(i))
			continue;
		for (j = n++; j > 0 && seen_of(order[j - 1]) < seen_of(i); j--)
			order[j] = order[j - 1];
		order[j] = (unsigned short)i;
	}
	if (!n && !atomic_load(&other.seen))
		return;
	mem = mmap(NULL, FT_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		ft_errno_keep(saved);
		return;
	}
	next = 0;
	do {
		ft_log_begin(&b, mem, "sleep_sites");
		if (next == 0) {
			ft_buf_str(&b, ",\"other\":{");
			tally_json(&b, &other);
			ft_buf_char(&b, '}');
		}
		ft_buf_str(&b, ",\"sites\":[");
		for (in_record = 0; next < n; next++, in_record++) {
			if (!site_json(&b, &sites[order[next]], !in_record))
				break;
		}
		/* A site alone too big for a record: left out. */
		if (!in_record && next < n)
			next++;
		ft_buf_char(&b, ']');
		ft_log_end(&b, b.len);
	} while (next < n);
	munmap(mem, FT_SCRATCH_SIZE);
	ft_errno_keep(saved);
}
