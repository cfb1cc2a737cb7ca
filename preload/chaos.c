/* SPDX-License-Identifier: MIT */
/*
 * Chaos mode (FLAKETRAP_CHAOS=on): scheduling noise where threads hand
 * work to each other. libflaketrap-chaos.so wraps locks, condition
 * variables, semaphores, reads, writes and polls and asks ft_chaos_point at
 * each; our own wrappers ask at thread creation, start and join, and fork.
 *
 * The scheme, per call, from the calling thread's own seeded stream (so a
 * seed makes the same choices in each thread, in the order of its calls,
 * whatever the other threads do): at each point (chaos-points.def), a
 * chance that the thread starves for 1 ms, 2 ms, ... 2048 ms (rr's
 * ladder, each rung as likely; up to FLAKETRAP_CHAOS_MAX) and a chance
 * that it is held briefly (100, 200, 400 or 800 us). One thread at a time,
 * the victim, is held at every point; the others only starve, and only
 * after a rare hand-off (a signal, a post, a write, a new thread or
 * process): the other side then runs first, the order an order violation or a
 * split reply needs. Held before a take (lock, wait, read, join), the
 * victim opens a window between a check and an act; held after a
 * hand-off, one between a publication and its completion. rr picks
 * victim threads for whole periods and starves them whatever they do; we
 * act only inside a thread's calls, at the points where it meets others.
 * A process with one thread is held only where it meets other processes
 * (I/O, fork): a lock held there reorders nothing.
 *
 * Each thread is held at most FLAKETRAP_CHAOS_BUDGET (rr's 20%) of its
 * time: after a starvation of H it runs at least H (1 - budget) / budget
 * before the next (rr: one starvation of D per 5 D), brief holds drawing
 * on their own credit at the same rate, so a run takes at most about
 * 1 / (1 - budget) times as long as without chaos, and a thread's first
 * starvation may be long (a race that needs a 200 ms hold early in a run
 * is reachable).
 *
 * Holds are real: a plain nanosleep system call (never shrunk, never
 * virtual), run to its end through signals. Calls from our own libraries
 * (the log's writes) and from libunwind are never held. Nothing here
 * allocates or locks: async-signal-safe, and a handler's calls inside a
 * point are let through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fmt.h"
#include "ft.h"
#include "prng.h"
#include "timespec.h"
#include "chaos-state.h"

static const struct {
	const char *name;
	/* chances in 1/64: any thread starves; the victim starves, or is
	 * held briefly */
	uint32_t starve, victim_starve, victim_brief;
} points[FT_CHAOS_NPOINTS] = {
#define FT_CHAOS_POINT(id, starve, victim_starve, victim_brief, hold) \
	{ #id, starve, victim_starve, victim_brief },
#include "chaos-points.def"
#undef FT_CHAOS_POINT
};

#define LADDER_RUNGS 12			/* 1 ms .. 2048 ms */
#define STARVE_MIN_NS INT64_C(1000000)
#define BRIEF_RUNGS 4			/* 100 .. 800 us */
#define BRIEF_MIN_NS INT64_C(100000)
#define CHAOS_SALT 0x6368616f73212121ULL	/* "chaos!!!" */
#define VICTIM_SALT 0x76696374696d2121ULL	/* "victim!!" */
/* A thread's brief holds may run ahead of its budget by this much. */
#define BRIEF_CREDIT_NS INT64_C(2000000)

int ft_chaos_on;

/*
 * One thread of the process at a time is the victim (rr's word): it may be
 * held at every point, briefly or starved; the others only starve, and
 * only at rare hand-offs (just after they made something visible). With at
 * most one thread held at take points and briefly, a window between two
 * calls of the victim stays open while the others run through their own,
 * where holds drawn as often on every side would close it as often as
 * open it (PCT's priorities: with two threads, each is the victim in half
 * the seeds). The main thread is the victim first; each new thread takes
 * it over on a coin of its own stream, and hands it back to the main
 * thread when it ends; in a fork child, the first thread to draw takes it
 * on its coin.
 */
#define NO_VICTIM UINT64_MAX
static _Atomic uint64_t victim;		/* an ordinal, or NO_VICTIM */
/* Threads of this process we know of (made through pthread_create and
 * not ended, and the first). */
static atomic_int threads_alive = 1;

struct chaos_thread {
	uint64_t key, pos, ordinal;
	unsigned generation;
	int64_t next_starve_ns;		/* none before (monotonic) */
	int64_t brief_credit_ns;	/* brief holds it may still take */
	int64_t brief_at_ns;		/* when the credit was counted */
	volatile sig_atomic_t busy;	/* inside a point */
};
static __thread struct chaos_thread me;

struct ft_chaos_counters ft_chaos_counters;

struct chaos_site ft_chaos_sites[CHAOS_SITES];
atomic_ullong ft_chaos_other_holds, ft_chaos_other_held_ns;

static int64_t started_ns;	/* the process's start, monotonic */
/* Rungs of the starvation ladder not above FLAKETRAP_CHAOS_MAX. */
static unsigned ladder_rungs = LADDER_RUNGS;
/* CPython's PyGILState_Check, in a Python process: 1 when the calling
 * thread holds the GIL. */
static int (*gil_held)(void);

static int64_t now_ns(void)
{
	struct timespec ts;

	ft_clock(CLOCK_MONOTONIC, &ts);
	return ft_ts_to_ns(&ts);
}

static int chaos_error(char *err, size_t errlen, const char *why)
{
	struct ft_buf b;

	ft_buf_init(&b, err, errlen);
	ft_buf_str(&b, "flaketrap: FLAKETRAP_CHAOS=on: ");
	ft_buf_str(&b, why);
	return -1;
}

/*
 * Never a silent no-op: a run meant to be chaotic that is not would look
 * like a pass.
 */
int ft_chaos_attach(char *err, size_t errlen)
{
	void *attach = dlsym(RTLD_DEFAULT, FT_CHAOS_ATTACH);
	void *first = dlsym(RTLD_DEFAULT, "pthread_mutex_unlock");
	Dl_info a, f;

	if (!attach)
		return chaos_error(err, errlen,
				   "libflaketrap-chaos.so is not loaded; put it"
				   " in LD_PRELOAD (flaketrap run --chaos"
				   " does)");
	if (!first || !dladdr(attach, &a) || !dladdr(first, &f) ||
	    a.dli_fbase != f.dli_fbase)
		return chaos_error(err, errlen,
				   "another library's pthread_mutex_unlock"
				   " comes before libflaketrap-chaos.so's (put"
				   " it first in LD_PRELOAD; a program built"
				   " with a thread sanitizer cannot have both)");
	if (((ft_chaos_attach_fn *)attach)(FT_CHAOS_LINK_VERSION,
					   ft_chaos_point))
		return chaos_error(err, errlen,
				   "libflaketrap-chaos.so and libflaketrap.so"
				   " come from different builds");
	return 0;
}

void ft_chaos_start(void)
{
	if (!ft_cfg()->chaos)
		return;
	started_ns = now_ns();
	while (ladder_rungs > 1 &&
	       STARVE_MIN_NS << (ladder_rungs - 1) > ft_cfg()->chaos_max_ns)
		ladder_rungs--;
	gil_held = (int (*)(void))dlsym(RTLD_DEFAULT, "PyGILState_Check");
	__atomic_store_n(&ft_chaos_on, 1, __ATOMIC_RELEASE);
}

/* async-signal-safe: plain stores, only where something was counted (a
 * written page is a copied page in every fork child). */
void ft_chaos_after_fork(void)
{
	int i;

	if (!ft_chaos_on)
		return;
	started_ns = now_ns();
	atomic_store(&victim, NO_VICTIM);
	atomic_store(&threads_alive, 1);
	memset(&ft_chaos_counters, 0, sizeof(ft_chaos_counters));
	for (i = 0; i < CHAOS_SITES; i++)
		if (atomic_load_explicit(&ft_chaos_sites[i].ip,
					 memory_order_relaxed))
			memset(&ft_chaos_sites[i], 0,
			       sizeof(ft_chaos_sites[i]));
	atomic_store(&ft_chaos_other_holds, 0);
	atomic_store(&ft_chaos_other_held_ns, 0);
}

/* Whether thread ordinal takes the victim's part when it is made: a coin
 * of its own stream, the same for a seed. */
static int victim_coin(uint64_t ordinal)
{
	return (int)(ft_prng_at(ft_thread_key_of(ordinal) ^ VICTIM_SALT, 0) &
		     1);
}

/* async-signal-safe */
void ft_chaos_thread_made(uint64_t ordinal)
{
	if (!ft_chaos_on)
		return;
	atomic_fetch_add(&threads_alive, 1);
	if (victim_coin(ordinal))
		atomic_store(&victim, ordinal);
}

/* async-signal-safe */
void ft_chaos_thread_gone(uint64_t ordinal)
{
	if (!ft_chaos_on)
		return;
	atomic_fetch_sub(&threads_alive, 1);
	if (ordinal != 0)
		atomic_compare_exchange_strong(&victim, &ordinal, 0);
}

/* The calling thread's chaos stream, started anew in a new process. */
static uint64_t draw(void)
{
	unsigned gen = ft_process_generation();

	if (me.generation != gen || me.key == 0) {
		me.key = ft_prng_at(ft_thread_key(&me.ordinal) ^ CHAOS_SALT, 0);
		me.pos = 0;
		/* A fork child's first thread (the others were made by
		 * ft_chaos_thread_made). */
		if (atomic_load(&victim) == NO_VICTIM &&
		    victim_coin(me.ordinal))
			atomic_store(&victim, me.ordinal);
		me.next_starve_ns = 0;
		me.brief_credit_ns = BRIEF_CREDIT_NS;
		me.brief_at_ns = 0;
		me.generation = gen;
	}
	return ft_prng_at(me.key, me.pos++);
}

static int64_t brief_hold(unsigned rung)
{
	return BRIEF_MIN_NS << rung;
}

/*
 * A point where a thread meets only the threads of its own process (locks,
 * condition variables, semaphores): held while the process has no other
 * thread, it would reorder nothing and spend the thread's budget before
 * the threads that race are made (thousands of lock calls in an
 * interpreter's start).
 */
static int among_threads(enum ft_chaos_point point)
{
	switch (point) {
	case FT_CHAOS_mutex_lock:
	case FT_CHAOS_mutex_unlock:
	case FT_CHAOS_rwlock_lock:
	case FT_CHAOS_rwlock_unlock:
	case FT_CHAOS_cond_wait:
	case FT_CHAOS_cond_signal:
	case FT_CHAOS_sem_wait:
	case FT_CHAOS_sem_post:
		return 1;
	default:
		return 0;
	}
}

static int is_victim(void)
{
	return atomic_load_explicit(&victim, memory_order_relaxed) ==
	       me.ordinal;
}

/* In 1/64: the chance that a thread (the victim or not) starves there. */
static uint32_t starve_chance(enum ft_chaos_point point, int victim_now)
{
	return victim_now ? points[point].victim_starve : points[point].starve;
}

/*
 * The hold drawn for this call: 0 for none, or ns. A thread that
 * holds a lock (or Python's GIL) is never starved: every thread waiting
 * for it would stall with it, and nothing would be reordered; it gets the
 * brief hold of the same draw instead.
 */
static int64_t decide(enum ft_chaos_point point, uint64_t r, int victim_now,
		      int locked)
{
	unsigned chance = (unsigned)(r & 63);
	unsigned rung = (unsigned)((r >> 8) & 0xff), brief;
	uint32_t starve = starve_chance(point, victim_now);
	uint32_t briefs = victim_now ? points[point].victim_brief : 0;

	brief = rung % BRIEF_RUNGS;
	if (chance < starve)
		return locked ? brief_hold(brief)
			      : STARVE_MIN_NS << (rung % ladder_rungs);
	if (chance < starve + briefs)
		return brief_hold(brief);
	return 0;
}

/* A pipe, a socket or an event descriptor (an anonymous inode): where
 * another thread or process reads what this one wrote. */
static int handoff_fd(int fd)
{
	struct stat st;
	unsigned type;

	if (syscall(SYS_fstat, fd, &st) != 0)
		return 0;
	type = st.st_mode & S_IFMT;
	return type == S_IFIFO || type == S_IFSOCK || type == 0;
}

/*
 * Whether the budget lets the thread be held now. A starvation of H is
 * followed by at least H (1 - budget) / budget of running before the next
 * (rr's "one starvation of D per 5 D" at 20%). Brief holds draw on their
 * own credit, refilled at budget / (1 - budget) of the time the thread
 * runs, and may run BRIEF_CREDIT_NS ahead: a few brief holds in a row
 * (a lock, its unlock, a signal) are let through, and the frequent ones at
 * locks never keep a thread from the starvation a rare hand-off drew.
 */
static void brief_refill(int64_t now)
{
	uint64_t b = ft_cfg()->chaos_budget_ppb;
	int64_t ran = now - me.brief_at_ns;
	__int128 credit;

	me.brief_at_ns = now;
	if (ran <= 0 || me.brief_credit_ns >= BRIEF_CREDIT_NS)
		return;
	credit = b >= FT_PPB ? BRIEF_CREDIT_NS
			     : me.brief_credit_ns +
				       (__int128)ran * b / (FT_PPB - b);
	me.brief_credit_ns = credit > BRIEF_CREDIT_NS ? BRIEF_CREDIT_NS
						      : (int64_t)credit;
}

static int budget_allows(int64_t ns, int64_t now)
{
	int ok;

	if (!ft_cfg()->chaos_budget_ppb)
		ok = 0;
	else if (ns >= STARVE_MIN_NS)
		ok = now >= me.next_starve_ns;
	else {
		brief_refill(now);
		ok = me.brief_credit_ns >= ns;
	}
	if (!ok)
		atomic_fetch_add_explicit(&ft_chaos_counters.cut, 1,
					  memory_order_relaxed);
	return ok;
}

/* After a hold drawn as ns that lasted held ns and ended at end (the
 * budget is not 0: no hold is let through then). */
static void budget_spend(int64_t ns, int64_t held, int64_t end)
{
	uint64_t b = ft_cfg()->chaos_budget_ppb;

	if (ns < STARVE_MIN_NS) {
		me.brief_credit_ns -= held;
		me.brief_at_ns = end;
		return;
	}
	me.next_starve_ns =
		end + (int64_t)((unsigned __int128)held * (FT_PPB - b) / b);
}

static void hold(int64_t ns)
{
	struct timespec left;

	left = ft_ns_to_ts(ns);
	while (syscall(SYS_nanosleep, &left, &left) == -1 && errno == EINTR)
		;
}

/* The slot of site ip, claimed when new (*fresh set); NULL when full. */
static struct chaos_site *site_slot(uintptr_t ip, int *fresh)
{
	size_t h = (size_t)(((uint64_t)ip * 0x9e3779b97f4a7c15ULL) >> 56);
	struct chaos_site *s;
	uintptr_t cur;
	size_t i;

	*fresh = 0;
	for (i = 0; i < CHAOS_SITES; i++) {
		s = &ft_chaos_sites[(h + i) % CHAOS_SITES];
		cur = atomic_load_explicit(&s->ip, memory_order_acquire);
		if (cur == 0 &&
		    atomic_compare_exchange_strong(&s->ip, &cur, ip)) {
			*fresh = 1;
			return s;
		}
		if (cur == ip)
			return s;
	}
	return NULL;
}

static void count_site(const struct ft_sleep_call *c,
		       enum ft_chaos_point point, int64_t held)
{
	int fresh = 0;
	struct chaos_site *s = c->site ? site_slot(c->site, &fresh) : NULL;

	if (!s) {
		atomic_fetch_add(&ft_chaos_other_holds, 1);
		atomic_fetch_add(&ft_chaos_other_held_ns,
				 (unsigned long long)held);
		return;
	}
	if (fresh) {
		atomic_store(&s->point, (int)point);
		if (c->nframes > 0 && c->frames[0] == c->site) {
			memcpy(s->frames, c->frames,
			       (size_t)c->nframes * sizeof(c->frames[0]));
			atomic_store_explicit(&s->nframes, c->nframes,
					      memory_order_release);
		} else {
			s->frames[0] = c->site;
			atomic_store_explicit(&s->nframes, 1,
					      memory_order_release);
		}
	}
	atomic_fetch_add(&s->holds, 1);
	atomic_fetch_add(&s->held_ns, (unsigned long long)held);
}

/*
 * One chaos record: which thread, which of its calls, where, how long it
 * was drawn and held, and what left it out (NULL: nothing).
 */
static void trace(enum ft_chaos_point point, uintptr_t site, int64_t drawn,
		  int64_t held, const char *left_out_by)
{
	char *mem = mmap(NULL, FT_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ft_buf b;

	if (mem == MAP_FAILED)
		return;
	ft_log_begin(&b, mem, "chaos");
	ft_buf_str(&b, ",\"thread\":");
	ft_buf_u64(&b, me.ordinal);
	ft_buf_str(&b, ",\"call\":");
	ft_buf_u64(&b, me.pos);
	ft_buf_str(&b, ",\"point\":");
	ft_buf_json(&b, points[point].name);
	ft_buf_str(&b, ",\"drawn_ns\":");
	ft_buf_i64(&b, drawn);
	ft_buf_str(&b, ",\"held_ns\":");
	ft_buf_i64(&b, held);
	if (left_out_by) {
		ft_buf_str(&b, ",\"left_out_by\":");
		ft_buf_json(&b, left_out_by);
	}
	ft_buf_str(&b, ",\"site\":");
	if (site) {
		ft_buf_char(&b, '"');
		ft_frame_id(&b, site, 1);
		ft_buf_char(&b, '"');
	} else {
		ft_buf_str(&b, "null");
	}
	ft_log_end(&b, b.len);
	munmap(mem, FT_SCRATCH_SIZE);
}

/* async-signal-safe */
void ft_chaos_point(enum ft_chaos_point point, uintptr_t ra, int fd,
		    unsigned flags)
{
	const struct ft_config *cfg;
	struct ft_sleep_call c;
	int64_t drawn, t0, t1, held = 0;
	uint64_t r;
	int saved, locked, victim_now, spared = 0, cut = 0;

	if (!__atomic_load_n(&ft_chaos_on, __ATOMIC_ACQUIRE) || me.busy ||
	    (unsigned)point >= FT_CHAOS_NPOINTS || ft_site_ours(ra))
		return;
	saved = errno;
	me.busy = 1;
	atomic_fetch_add_explicit(&ft_chaos_counters.points[point], 1,
				  memory_order_relaxed);
	r = draw();
	victim_now = is_victim();
	/* Asked only when it matters (it reads a thread-specific key). */
	locked = (flags & FT_CHAOS_HOLDING_LOCK) ||
		 ((r & 63) < starve_chance(point, victim_now) && gil_held &&
		  gil_held());
	drawn = decide(point, r, victim_now, locked);
	if (drawn == 0 || (fd >= 0 && !handoff_fd(fd)) ||
	    (among_threads(point) &&
	     atomic_load_explicit(&threads_alive, memory_order_relaxed) < 2))
		goto out;
	cfg = ft_cfg();
	t0 = now_ns();
	if (ft_site_pick(&c, ra, &cfg->chaos_only, &cfg->chaos_skip)) {
		atomic_fetch_add_explicit(&ft_chaos_counters.spared, 1,
					  memory_order_relaxed);
		spared = 1;
	} else if (!budget_allows(drawn, t0)) {
		cut = 1;
	} else {
		hold(drawn);
		t1 = now_ns();
		held = t1 - t0;
		budget_spend(drawn, held, t1);
		atomic_fetch_add_explicit(&ft_chaos_counters.holds[point], 1,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&ft_chaos_counters.held_ns[point],
					  (unsigned long long)held,
					  memory_order_relaxed);
		if (cfg->log_dir[0])
			count_site(&c, point, held);
	}
	/* Every hold drawn, kept or not: the trace of a seed's choices. */
	if (cfg->chaos_trace && cfg->log_dir[0])
		trace(point, c.site, drawn, held,
		      spared ? "patterns" : cut ? "budget" : NULL);
out:
	me.busy = 0;
	ft_errno_keep(saved);
}
