/* SPDX-License-Identifier: MIT */
/*
 * The registry of live children and threads.
 *
 * One mapping of our own holds a header, the hash heads and a dense pool of
 * fixed-size records. It is marked MADV_WIPEONFORK: a fork child (by any
 * path, _Fork and raw clone included) finds it zeroed, and zero is a valid
 * empty registry with an unlocked lock. So no lock of ours is ever carried
 * across fork, and the child starts with no children and no threads. A
 * vfork child shares the memory and must not write: callers check
 * ft_own_process() first.
 *
 * Every change holds one lock. A signal handler that interrupts its own
 * thread inside the lock (waitpid in a SIGCHLD handler, while the thread
 * was in fork) must not wait for itself: the lock word holds its owner's
 * pthread_self(), taken in one compare-and-swap, and that change is
 * skipped. Skipping is safe: the exit scan checks every child against
 * /proc, and the children sweep frees what was not removed. (Blocking
 * signals around the lock instead costs two system calls each time; a
 * thread-local "holding" flag was a write to the thread's own page, which
 * fork's parent then copies: see ft_errno_keep.) Critical sections never
 * block otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "ft.h"
#include "proc.h"
#include "registry.h"
#include "registry-pool.h"

/*
 * The sweeps' step: ended thread records are looked at after this many
 * more ends; children records when they pass twice their count after the
 * last sweep, plus this.
 */
#define FT_REG_SWEEP_STEP 256

static struct ft_reg_header *_Atomic reg;
static size_t rec_size;
static char *pool;
/* Each record ends with a struct ft_py_stack (a Python process). */
static int python_room;

void ft_reg_python_room(void)
{
	python_room = 1;
}

struct ft_py_stack *ft_reg_python(const struct ft_rec *r)
{
	if (!r || !python_room || !rec_size)
		return NULL;
	return (struct ft_py_stack *)((const char *)r + rec_size -
				       sizeof(struct ft_py_stack));
}

size_t ft_reg_rec_size(void)
{
	return rec_size;
}

static size_t header_size(void)
{
	return (sizeof(struct ft_reg_header) + 4095) & ~(size_t)4095;
}

/* The mapping, made on first use (normal context: a creation wrapper). */
static struct ft_reg_header *registry(void)
{
	struct ft_reg_header *r = atomic_load_explicit(&reg,
						       memory_order_acquire);
	struct ft_reg_header *expected = NULL;
	size_t rs, len;
	void *p;

	if (r)
		return r;
	rs = (offsetof(struct ft_rec, frames) +
	      ft_cfg()->backtrace * sizeof(uintptr_t) + 7) & ~(size_t)7;
	if (python_room)
		rs += (sizeof(struct ft_py_stack) + 7) & ~(size_t)7;
	len = header_size() + rs * FT_REG_CAPACITY;
	/* Wiped: else a fork child would inherit a lock held. */
	p = ft_map_wiped(len);
	if (!p)
		return NULL;
	rec_size = rs;
	pool = (char *)p + header_size();
	if (!atomic_compare_exchange_strong(&reg, &expected, p)) {
		munmap(p, len);
		return expected;
	}
	return p;
}

static struct ft_rec *rec_at(uint32_t index)
{
	return (struct ft_rec *)(pool + (size_t)index * rec_size);
}

struct ft_reg_header *ft_reg_made(void)
{
	return atomic_load(&reg);
}

struct ft_rec *ft_reg_rec(uint32_t index)
{
	return rec_at(index);
}

static uint32_t index_of(const struct ft_rec *r)
{
	return (uint32_t)(((const char *)r - pool) / rec_size);
}

/*
 * Take the lock; 0 when this thread holds it already (we are in a signal
 * handler that interrupted it). Keeps errno: the wrappers' callers see
 * only the real call's. A waiter reads wake_seq before it looks at the
 * owner again, so an unlock between the two makes its futex_wait return
 * at once (sequentially consistent atomics throughout).
 */
int ft_reg_lock(struct ft_reg_header *r)
{
	uintptr_t self = (uintptr_t)pthread_self(), free_;
	int saved_errno = errno;
	unsigned seq;

	for (;;) {
		free_ = 0;
		if (atomic_compare_exchange_strong(&r->owner, &free_, self))
			break;
		if (free_ == self)
			return 0;
		seq = atomic_load(&r->wake_seq);
		atomic_fetch_add(&r->waiters, 1);
		if (atomic_load(&r->owner) != 0)
			syscall(SYS_futex, &r->wake_seq, FUTEX_WAIT_PRIVATE,
				seq, NULL, NULL, 0);
		atomic_fetch_sub(&r->waiters, 1);
	}
	ft_errno_keep(saved_errno);
	return 1;
}

void ft_reg_unlock(struct ft_reg_header *r)
{
	int saved_errno = errno;

	atomic_store(&r->owner, 0);
	if (atomic_load(&r->waiters) != 0) {
		atomic_fetch_add(&r->wake_seq, 1);
		syscall(SYS_futex, &r->wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL,
			NULL, 0);
	}
	ft_errno_keep(saved_errno);
}

static uint32_t bucket(enum ft_rec_kind kind, uint64_t key)
{
	uint64_t h = (key ^ ((uint64_t)kind << 56)) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 48) & (FT_REG_BUCKETS - 1);
}

static void unlink_locked(struct ft_reg_header *r, struct ft_rec *rec)
{
	uint32_t *p = &r->heads[bucket(rec->kind, rec->key)];
	uint32_t want = index_of(rec) + 1;

	if (!rec->linked)
		return;
	while (*p && *p != want)
		p = &rec_at(*p - 1)->next;
	if (*p)
		*p = rec->next;
	rec->linked = 0;
	rec->next = 0;
}

/*
 * forkstack.c's slots, numbered from 1, given out here under the lock: a
 * slot holds nothing of the allocator's, which a reader of a slot given
 * back meanwhile could see torn.
 */
static uint32_t stack_take_locked(struct ft_reg_header *r)
{
	if (r->stack_free_head)
		return r->stack_free[--r->stack_free_head];
	if (r->stack_high_water < FT_FORK_STACKS)
		return ++r->stack_high_water;
	return 0;
}

static void stack_give_locked(struct ft_reg_header *r, uint32_t slot)
{
	if (slot == 0 || slot > FT_FORK_STACKS)
		return;
	r->stack_free[r->stack_free_head++] = slot;
}

void ft_reg_resolve_frames(struct ft_rec *copy)
{
	if (copy->kind != FT_REC_CHILD || copy->origin != FT_ORIGIN_FORK ||
	    copy->nframes != 0 || copy->stack_slot == 0)
		return;
	copy->nframes = (uint8_t)ft_fork_stack_frames(
		copy->stack_slot, copy->created_ns, copy->frames,
		(int)ft_cfg()->backtrace);
}

int ft_reg_fork_stacks_live(void)
{
	struct ft_reg_header *r = atomic_load(&reg);

	return r && r->stack_high_water != r->stack_free_head;
}

static void free_locked(struct ft_reg_header *r, struct ft_rec *rec)
{
	unlink_locked(r, rec);
	if (rec->kind == FT_REC_THREAD && rec->state == FT_THREAD_ENDED)
		__atomic_fetch_sub(&r->ended, 1, __ATOMIC_SEQ_CST);
	if (rec->kind == FT_REC_CHILD)
		r->children--;
	if (rec->kind == FT_REC_CHILD)
		stack_give_locked(r, rec->stack_slot);
	else
		/* Freed only once the thread is gone (or never ran): no
		 * handler can run on its alternate stack any more. */
		ft_alt_give(rec->alt_slot);
	memset(rec, 0, offsetof(struct ft_rec, frames));
	rec->next = r->free_head;
	r->free_head = index_of(rec) + 1;
	r->live--;
}

/* A live (not ended) record of kind with key, or NULL. */
static struct ft_rec *find_locked(struct ft_reg_header *r,
				  enum ft_rec_kind kind, uint64_t key)
{
	uint32_t i = r->heads[bucket(kind, key)];
	struct ft_rec *rec;

	for (; i; i = rec->next) {
		rec = rec_at(i - 1);
		if (rec->kind == kind && rec->key == key &&
		    !(kind == FT_REC_THREAD && rec->state == FT_THREAD_ENDED))
			return rec;
	}
	return NULL;
}

/* Shell sort: no libc sort (glibc's qsort may malloc). */
static void sort_tids(pid_t *tids, long n)
{
	static const long gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
	long g, i, j;
	size_t k;
	pid_t t;

	for (k = 0; k < sizeof(gaps) / sizeof(gaps[0]); k++) {
		g = gaps[k];
		for (i = g; i < n; i++) {
			t = tids[i];
			for (j = i; j >= g && tids[j - g] > t; j -= g)
				tids[j] = tids[j - g];
			tids[j] = t;
		}
	}
}

static int listed(const pid_t *tids, long n, pid_t tid)
{
	long lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (tids[mid] < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && tids[lo] == tid;
}

/*
 * Free the ended threads the kernel no longer lists: one listing of
 * /proc/self/task for the 256 or more records (a tgkill probe each was
 * most of a thread's cost), a probe each only when the listing fails or
 * may be cut.
 */
static void sweep_ended_locked(struct ft_reg_header *r)
{
	pid_t pid = getpid();
	struct ft_rec *rec;
	uint32_t i;
	long n;
	int gone;

	n = ft_list_tasks_in(r->sweep_tids, FT_SWEEP_TASKS, r->sweep_dents,
			     sizeof(r->sweep_dents));
	if (n >= FT_SWEEP_TASKS)
		n = -1;
	if (n > 0)
		sort_tids(r->sweep_tids, n);
	for (i = 0; i < r->high_water; i++) {
		rec = rec_at(i);
		if (rec->kind != FT_REC_THREAD || !rec->created ||
		    rec->state != FT_THREAD_ENDED || rec->id == 0)
			continue;
		if (n >= 0)
			gone = !listed(r->sweep_tids, n, rec->id);
		else
			gone = syscall(SYS_tgkill, pid, rec->id, 0) != 0 &&
			       errno == ESRCH;
		if (gone)
			free_locked(r, rec);
	}
}

/*
 * Free the children reaped where no wrapper saw it (SIGCHLD ignored,
 * SA_NOCLDWAIT, a raw wait system call): without this they would fill the
 * registry and, once pids wrap, lend their record to a new child. A
 * WNOWAIT probe reaps nothing; ECHILD says the pid is no child of ours.
 */
static void sweep_children_locked(struct ft_reg_header *r)
{
	struct ft_rec *rec;
	siginfo_t info;
	uint32_t i;

	for (i = 0; i < r->high_water; i++) {
		rec = rec_at(i);
		if (rec->kind != FT_REC_CHILD || !rec->created)
			continue;
		if (syscall(SYS_waitid, P_PID, (id_t)rec->id, &info,
			    WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT,
			    NULL) != 0 &&
		    errno == ECHILD)
			free_locked(r, rec);
	}
}

/* A cleared record of kind, or NULL when the registry is full. */
static struct ft_rec *alloc_locked(struct ft_reg_header *r,
				   enum ft_rec_kind kind)
{
	struct ft_rec *rec;

	if (r->free_head) {
		rec = rec_at(r->free_head - 1);
		r->free_head = rec->next;
	} else if (r->high_water < FT_REG_CAPACITY) {
		rec = rec_at(r->high_water++);
	} else {
		return NULL;
	}
	r->live++;
	/* Stored once: a page the parent writes after each fork is copied. */
	if (!atomic_load_explicit(&ft_process.registry_used,
				  memory_order_relaxed))
		atomic_store(&ft_process.registry_used, 1);
	memset(rec, 0, offsetof(struct ft_rec, frames));
	rec->kind = (uint8_t)kind;
	if (kind == FT_REC_CHILD)
		r->children++;
	return rec;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	ft_clock(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct ft_rec *ft_reg_new(enum ft_rec_kind kind, enum ft_origin origin,
			  int skip)
{
	uintptr_t frames[FT_BACKTRACE_MAX];
	struct ft_reg_header *r;
	struct ft_rec *rec = NULL;
	int saved_errno = errno, n, copy;

	if (!ft_active() || !ft_own_process_quick() ||
	    !(ft_cfg()->leaks & (kind == FT_REC_THREAD ? FT_LEAK_THREADS
						       : FT_LEAK_CHILDREN)))
		return NULL;
	/*
	 * Before the lock: unwinding may take a while. fork and vfork may be
	 * called from a signal handler, which must not meet malloc or dlopen
	 * (ft_backtrace_async picks the walk that is safe then).
	 */
	copy = origin == FT_ORIGIN_FORK && ft_cfg()->backtrace > 0 &&
	       ft_fork_stacks_usable();
	if (copy)
		n = 0;	/* frames from the copy, if it is reported */
	else if (origin == FT_ORIGIN_FORK || origin == FT_ORIGIN_VFORK)
		n = ft_backtrace_async(frames, (int)ft_cfg()->backtrace,
				       skip + 1);
	else
		n = ft_backtrace(frames, (int)ft_cfg()->backtrace, skip + 1);
	r = registry();
	if (!r) {
		ft_errno_keep(saved_errno);
		return NULL;
	}
	if (!ft_reg_lock(r)) {
		ft_errno_keep(saved_errno);
		return NULL;
	}
	if (__atomic_load_n(&r->ended, __ATOMIC_RELAXED) >
	    r->sweep_above + FT_REG_SWEEP_STEP) {
		sweep_ended_locked(r);
		/* Those still listed are looked at again after 256 more ends. */
		r->sweep_above = __atomic_load_n(&r->ended, __ATOMIC_RELAXED);
	}
	/* Amortized: a sweep each time the children have doubled. */
	if (kind == FT_REC_CHILD &&
	    r->children > 2 * r->children_sweep_above + FT_REG_SWEEP_STEP) {
		sweep_children_locked(r);
		r->children_sweep_above = r->children;
	}
	rec = alloc_locked(r, kind);
	if (rec && copy)
		rec->stack_slot = stack_take_locked(r);
	ft_reg_unlock(r);
	if (rec) {
		rec->origin = (uint8_t)origin;
		rec->creator_tid = (int32_t)ft_gettid();
		rec->test = ft_test_now();
		rec->created_ns = now_ns();
		/* No handler of the program is installed (usable): libunwind
		 * may be loaded here when the copy cannot be made. */
		if (copy && !ft_fork_stack_save(rec->stack_slot,
						rec->created_ns)) {
			ft_unwind_load();
			n = ft_backtrace_async(frames,
					       (int)ft_cfg()->backtrace,
					       skip + 1);
		}
		rec->nframes = (uint8_t)n;
		memcpy(rec->frames, frames, (size_t)n * sizeof(uintptr_t));
		if (python_room)
			ft_reg_python(rec)->n = 0;
	}
	ft_errno_keep(saved_errno);
	return rec;
}

void ft_reg_link(struct ft_rec *rec, uint64_t key)
{
	struct ft_reg_header *r = atomic_load(&reg);
	struct ft_rec *old;
	uint32_t *head;

	if (!rec || !r)
		return;
	if (!ft_reg_lock(r))
		return;
	/* A pid given again: its old owner was reaped where we did not see. */
	if (!rec->linked && rec->kind == FT_REC_CHILD) {
		old = find_locked(r, FT_REC_CHILD, key);
		if (old && old != rec)
			free_locked(r, old);
	}
	if (!rec->linked) {
		rec->key = key;
		head = &r->heads[bucket(rec->kind, key)];
		rec->next = *head;
		*head = index_of(rec) + 1;
		rec->linked = 1;
	}
	rec->created = 1;
	ft_reg_unlock(r);
}

void ft_reg_free(struct ft_rec *rec)
{
	struct ft_reg_header *r = atomic_load(&reg);

	if (!rec || !r)
		return;
	if (!ft_reg_lock(r))
		return;
	free_locked(r, rec);
	ft_reg_unlock(r);
}

/* async-signal-safe */
int ft_reg_remove(enum ft_rec_kind kind, uint64_t key)
{
	struct ft_reg_header *r = atomic_load(&reg);
	struct ft_rec *rec;
	int id = -1;

	if (!r || !ft_own_process_quick() || !ft_reg_lock(r))
		return -1;
	rec = find_locked(r, kind, key);
	if (rec) {
		id = rec->id;
		free_locked(r, rec);
	}
	ft_reg_unlock(r);
	return id;
}

void ft_reg_remove_popen(uint64_t fp)
{
	struct ft_reg_header *r = atomic_load(&reg);
	struct ft_rec *rec, *child;

	if (!r || !ft_own_process())
		return;
	if (!ft_reg_lock(r))
		return;
	rec = find_locked(r, FT_REC_POPEN, fp);
	if (rec) {
		child = find_locked(r, FT_REC_CHILD, (uint64_t)rec->id);
		if (child && child->origin == FT_ORIGIN_POPEN)
			free_locked(r, child);
		free_locked(r, rec);
	}
	ft_reg_unlock(r);
}

/*
 * A thread's end, its join and its detach change its record without the
 * lock: the lock's line would otherwise go from the creator's CPU to the
 * new thread's and back with each thread made and joined (two of the five
 * lock takings a thread cost). A record moves only forward (running,
 * finished, ended), by compare-and-swap; "ended" is counted before the
 * swap and uncounted if another got there first, so that a sweep freeing
 * the record at once (under the lock) never counts below zero.
 * async-signal-safe
 */
static void end_thread(struct ft_reg_header *r, struct ft_rec *rec)
{
	uint8_t state = __atomic_load_n(&rec->state, __ATOMIC_SEQ_CST);

	__atomic_fetch_add(&r->ended, 1, __ATOMIC_SEQ_CST);
	while (state != FT_THREAD_ENDED)
		if (__atomic_compare_exchange_n(&rec->state, &state,
						FT_THREAD_ENDED, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return;
	__atomic_fetch_sub(&r->ended, 1, __ATOMIC_SEQ_CST);
}

/*
 * Finished, and ended if detached meanwhile: with the detach's store of
 * the flag before its look at the state (both sequentially consistent),
 * one of the two sees the other's write and ends the record.
 */
void ft_reg_thread_finished(struct ft_rec *rec)
{
	struct ft_reg_header *r = atomic_load(&reg);
	uint8_t running = FT_THREAD_RUNNING;

	if (!rec || !r)
		return;
	__atomic_compare_exchange_n(&rec->state, &running,
				    FT_THREAD_FINISHED, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&rec->detached, __ATOMIC_SEQ_CST))
		end_thread(r, rec);
}

/*
 * Before a join: the record of the thread about to be joined. Looked up
 * before, not after: once joined, its pthread_t may go to a new thread at
 * once. A joinable thread's record stays until ft_reg_thread_joined.
 */
struct ft_rec *ft_reg_thread_find(uint64_t key)
{
	struct ft_reg_header *r = atomic_load(&reg);
	struct ft_rec *rec;

	if (!r || !ft_own_process_quick() || !ft_reg_lock(r))
		return NULL;
	rec = find_locked(r, FT_REC_THREAD, key);
	ft_reg_unlock(r);
	return rec;
}

/* A joinable thread's record is freed only once ended: this one's. */
void ft_reg_thread_joined(struct ft_rec *rec)
{
	struct ft_reg_header *r = atomic_load(&reg);

	if (!r || !rec)
		return;
	end_thread(r, rec);
}

/* self: the calling thread's own record, for pthread_detach(pthread_self()),
 * which may come before its creator has linked the record. */
void ft_reg_thread_detach(uint64_t key, struct ft_rec *self)
{
	struct ft_reg_header *r = atomic_load(&reg);
	struct ft_rec *rec;

	if (!r || !ft_own_process_quick())
		return;
	if (!ft_reg_lock(r))
		return;
	rec = self ? self : find_locked(r, FT_REC_THREAD, key);
	if (rec) {
		__atomic_store_n(&rec->detached, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&rec->state, __ATOMIC_SEQ_CST) ==
		    FT_THREAD_FINISHED)
			end_thread(r, rec);
	}
	ft_reg_unlock(r);
}

size_t ft_reg_count(void)
{
	struct ft_reg_header *r = atomic_load(&reg);

	/* Not a look at a fork child's zeroed registry: one page less. */
	if (!atomic_load_explicit(&ft_process.registry_used,
				  memory_order_relaxed))
		return 0;
	return r ? r->live : 0;
}

size_t ft_reg_count_unended(void)
{
	struct ft_reg_header *r = atomic_load(&reg);
	uint32_t ended;

	if (!atomic_load_explicit(&ft_process.registry_used,
				  memory_order_relaxed) ||
	    !r)
		return 0;
	/* An end being counted may count one more for a moment. */
	ended = __atomic_load_n(&r->ended, __ATOMIC_SEQ_CST);
	return r->live > ended ? r->live - ended : 0;
}


/*
 * A thread of libc's own (the helper of SIGEV_THREAD timers), made with
 * its internal pthread_create: known, so never reported as made by nobody.
 */
void ft_reg_libc_thread(pid_t tid)
{
	struct ft_reg_header *r;
	struct ft_rec *rec = NULL;

	if (!ft_active() || !ft_own_process() ||
	    !(ft_cfg()->leaks & FT_LEAK_THREADS))
		return;
	r = registry();
	if (!r)
		return;
	if (!ft_reg_lock(r))
		return;
	rec = alloc_locked(r, FT_REC_THREAD);
	if (rec) {
		rec->id = tid;
		rec->created = 1;
		rec->state = FT_THREAD_ENDED;
		__atomic_fetch_add(&r->ended, 1, __ATOMIC_SEQ_CST);
	}
	ft_reg_unlock(r);
}
