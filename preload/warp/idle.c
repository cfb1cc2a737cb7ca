/* SPDX-License-Identifier: MIT */
/*
 * The idle rule (FLAKETRAP_TIMERS=idle), after Go's testing/synctest,
 * Tokio's paused clock and Trio's autojump: the clock jumps only when
 * nothing in the process tree can make progress, and then only to the
 * earliest deadline of the process's waiters, whose wait alone ends.
 *
 * A timed wait registers its deadline (virtual monotonic ns) and waits
 * for real in slices of at most the grace. Between two slices, the waiter
 * with the earliest deadline of the process looks at every thread of the
 * process tree in /proc: a thread running, runnable or in disk sleep
 * (stat's state R or D) is busy; the process's own registered waiters are
 * not, whatever /proc says as they turn between slices. A thread of this
 * process that ran between two looks made progress, even if each look
 * found it asleep (schedstat's time on CPU changed): a thread woken by a
 * mutex the waiter released for its slice and took again, say. Two looks
 * in a row, a slice apart, that find nothing busy and no progress make
 * the tree idle: the clock jumps to the waiter's deadline and its wait
 * returns its timeout. Any other waiter sees the new time at its next
 * slice. Other processes' waiters cannot be told from their threads, so
 * only their states count there.
 *
 * The tree is the warped one: the oldest ancestor of this process (itself
 * included) whose parents all have this object loaded, and its
 * descendants, read from /proc/PID/task/TID/children. Under flaketrap run
 * it is the command's tree; the tool itself and what ran it are not in it.
 * Everything here is async-signal-safe: raw system calls, no allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "warp.h"

#define IDLE_SLOTS 256 /* of a process with no tree file */
/* Bounds on one look, so a huge tree costs a bounded time per grace. */
#define TREE_PROCESSES 256
#define DIRENT_BYTES 4096
#define IDLE_MIN_SLICE 50000 /* ns */

/*
 * The waiters: the process's own table, or its tree's, shared with every
 * process of the run (FLAKETRAP_TIMERS_TREE). In its own table a slot of
 * another pid is a fork child's stale copy of its parent's.
 */
static struct ft_warp_slot own_slots[IDLE_SLOTS];
static struct ft_warp_slot *slots = own_slots;
static int nslots = IDLE_SLOTS;
static int shared;

struct ft_warp_tree *ft_idle_tree_attach(void)
{
	const char *path = getenv(FT_WARP_TREE_ENV);
	struct ft_warp_tree *tree;
	struct stat st;
	int fd;

	if (!path || !*path)
		return NULL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() ||
	    (size_t)st.st_size < sizeof(struct ft_warp_tree)) {
		close(fd);
		return NULL;
	}
	tree = mmap(NULL, sizeof(*tree), PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	close(fd);
	if (tree == MAP_FAILED)
		return NULL;
	slots = tree->slots;
	nslots = FT_WARP_TREE_SLOTS;
	shared = 1;
	return tree;
}

static pid_t raw_getpid(void)
{
	return (pid_t)syscall(SYS_getpid);
}

/*
 * The interval timer's expiry as one of the tree's deadlines (itimer.c):
 * a slot whose tid is minus its process's pid, so that no other process's
 * waiter jumps past it; the process's own waiters leave it to
 * ft_warp_itimer_fire_before. target 0: the timer is disarmed.
 */
void ft_idle_timer_deadline(int64_t target)
{
	static atomic_int slot = -1, slot_pid;
	pid_t pid = raw_getpid();
	int i = atomic_load(&slot), mark = -(int)pid, cur;

	/* A fork child's copy names its parent's slot: not its own. */
	if (i >= 0 && atomic_load(&slot_pid) == pid) {
		if (target == 0) {
			atomic_store(&slot, -1);
			atomic_store_explicit(&slots[i].tid, 0,
					      memory_order_release);
		} else {
			atomic_store_explicit(&slots[i].target, target,
					      memory_order_release);
		}
		return;
	}
	atomic_store(&slot, -1);
	if (target == 0)
		return;
	for (i = 0; i < nslots; i++) {
		cur = 0;
		if (atomic_compare_exchange_strong(&slots[i].tid, &cur, mark)) {
			atomic_store_explicit(&slots[i].pid, pid,
					      memory_order_relaxed);
			atomic_store_explicit(&slots[i].target, target,
					      memory_order_release);
			atomic_store(&slot_pid, pid);
			atomic_store(&slot, i);
			return;
		}
	}
}

/* Whether the process of a slot is gone (its slot then is free). */
static int gone(pid_t pid)
{
	return syscall(SYS_kill, pid, 0) != 0 && errno == ESRCH;
}


static pid_t raw_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

void ft_idle_start(struct ft_idle *w, int64_t target)
{
	int i, free_tid = 0, saved = errno;
	pid_t pid = raw_getpid();

	w->target = target;
	w->since = ft_warp_now();
	w->streak = 0;
	w->sliced = 0;
	w->runtime = 0;
	w->tid = raw_gettid();
	w->slot = -1;
	w->recheck = NULL;
	for (i = 0; i < nslots; i++) {
		int cur = atomic_load_explicit(&slots[i].tid,
					       memory_order_acquire);

		if (cur != 0 && !shared &&
		    atomic_load_explicit(&slots[i].pid, memory_order_relaxed) !=
			    pid)
			atomic_compare_exchange_strong(&slots[i].tid, &cur, 0);
		free_tid = 0;
		if (atomic_compare_exchange_strong(&slots[i].tid, &free_tid,
						   (int)w->tid)) {
			atomic_store_explicit(&slots[i].pid, pid,
					      memory_order_relaxed);
			atomic_store_explicit(&slots[i].target, target,
					      memory_order_release);
			w->slot = i;
			break;
		}
	}
	errno = saved;
}

/*
 * A sleep left whole that lasts for real (FLAKETRAP_SLEEP=off, shorter than
 * the guard under warp): its deadline is one of the tree's while it lasts,
 * so that the idle rule does not jump past it.
 */
void ft_idle_real_begin(struct ft_idle *reg, int64_t ns)
{
	int64_t target;

	reg->slot = -1;
	if (ft_warp_idle_sleeps() && ns > ft_warp_grace() &&
	    (target = ft_warp_target(ns)) >= 0)
		ft_idle_start(reg, target);
}

void ft_idle_stop(struct ft_idle *w)
{
	if (w->slot >= 0)
		atomic_store_explicit(&slots[w->slot].tid, 0,
				      memory_order_release);
}

/*
 * Whether thread tid of process pid is a waiter (its state then does not
 * count): known of this process, or of any with the tree's table.
 */
static int registered(pid_t tid, pid_t pid, pid_t self)
{
	int i;

	if (!shared && pid != self)
		return 0;
	for (i = 0; i < nslots; i++)
		if (atomic_load_explicit(&slots[i].tid, memory_order_acquire) ==
			    (int)tid &&
		    atomic_load_explicit(&slots[i].pid, memory_order_relaxed) ==
			    pid)
			return 1;
	return 0;
}

/*
 * Whether w's thread is the one the kernel gives the interval timer's
 * signal: the main thread when it does not block it (the kernel offers a
 * process's signal to the main thread first). Were another thread to fire
 * the timer, the signal could reach the main thread between two slices of
 * its wait, outside the system call: no EINTR, and its own jump next. With
 * the main thread blocking SIGALRM no waiter fires it early: it fires in
 * real time.
 */
static int takes_alarm(const struct ft_idle *w, pid_t pid)
{
	unsigned long blocked = 0;

	if (w->tid != pid ||
	    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &blocked,
		    sizeof(blocked)) != 0)
		return 0;
	return !(blocked & (1UL << (SIGALRM - 1)));
}

/*
 * Whether w has the earliest deadline of the process, or of the tree with
 * its table (ties: the lowest slot). The process's own interval timer is
 * its waiters' deadline too when it comes first: they fire it
 * (ft_warp_itimer_fire_before; the main thread's waiters only, see
 * takes_alarm). Were it left out, a waiter of another
 * process due between the timer and this waiter would be kept from
 * looking by the timer, this waiter by it, and nobody would look: the
 * timer would fire in real time.
 */
static int earliest(const struct ft_idle *w, pid_t pid)
{
	int64_t key = w->target, timer = ft_warp_itimer_due();
	int i;

	if (timer != 0 && timer < key && takes_alarm(w, pid))
		key = timer;

	for (i = 0; i < nslots; i++) {
		int64_t t;
		int tid = atomic_load_explicit(&slots[i].tid,
					       memory_order_acquire);
		pid_t owner;

		if (i == w->slot || tid == 0)
			continue;
		owner = atomic_load_explicit(&slots[i].pid,
					     memory_order_relaxed);
		if (owner != pid && !shared)
			continue;
		/* The process's own interval timer: fired, not waited for. */
		if (tid < 0 && owner == pid)
			continue;
		t = atomic_load_explicit(&slots[i].target,
					 memory_order_acquire);
		if (t > key || (t == key && i > w->slot))
			continue;
		/* A process killed in its wait leaves its slot behind. */
		if (owner != pid && gone(owner)) {
			atomic_compare_exchange_strong(&slots[i].tid, &tid, 0);
			continue;
		}
		return 0;
	}
	return 1;
}

int ft_path_add(char *buf, size_t len, size_t *at, const char *s, long n)
{
	char digits[24];
	int k = 0;

	for (; *s; s++) {
		if (*at + 1 >= len)
			return -1;
		buf[(*at)++] = *s;
	}
	if (n >= 0) {
		do
			digits[k++] = (char)('0' + n % 10);
		while ((n /= 10) > 0);
		while (k > 0) {
			if (*at + 1 >= len)
				return -1;
			buf[(*at)++] = digits[--k];
		}
	}
	buf[*at] = '\0';
	return 0;
}

/* "/proc/PID" + mid + TID + tail, or "/proc/PID/task" when tid < 0. */
static int proc_path(char *buf, size_t len, pid_t pid, long tid,
		     const char *tail)
{
	size_t at = 0;

	if (ft_path_add(buf, len, &at, "/proc/", pid) < 0 ||
	    ft_path_add(buf, len, &at, "/task", -1) < 0)
		return -1;
	if (tid < 0)
		return 0;
	if (ft_path_add(buf, len, &at, "/", tid) < 0 ||
	    ft_path_add(buf, len, &at, tail, -1) < 0)
		return -1;
	return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			      O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = (ssize_t)syscall(SYS_read, fd, buf, len - 1);
	syscall(SYS_close, fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* A thread's time on CPU (ns) from its schedstat; 0 when unknown. */
static uint64_t thread_runtime(pid_t pid, long tid)
{
	char path[96], buf[128], *p;
	uint64_t v = 0;

	if (proc_path(path, sizeof(path), pid, tid, "/schedstat") < 0 ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	for (p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

/* A thread's state letter from /proc/PID/task/TID/stat; 0 when gone. */
static char thread_state(pid_t pid, long tid)
{
	char path[96], buf[512], *p, *close_paren = NULL;

	if (proc_path(path, sizeof(path), pid, tid, "/stat") < 0 ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* The name may hold ')': the state follows the last one. */
	for (p = buf; *p; p++)
		if (*p == ')')
			close_paren = p;
	if (!close_paren || close_paren[1] != ' ')
		return 0;
	return close_paren[2];
}

struct tree {
	pid_t pids[TREE_PROCESSES];
	int n;
	/* of the threads but the waiters: this process's, or the tree's */
	uint64_t runtime;
};

static void add_children(struct tree *t, pid_t pid, long tid)
{
	char path[96], buf[1024], *p;
	long v;

	if (proc_path(path, sizeof(path), pid, tid, "/children") < 0 ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return;
	for (p = buf; *p;) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p < '0' || *p > '9')
			break;
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (*p - '0');
		if (t->n < TREE_PROCESSES)
			t->pids[t->n++] = (pid_t)v;
	}
}

/*
 * Whether a thread of process pid is busy (running or in disk sleep, and
 * not one of our waiters); its children join the tree.
 */
static int process_busy(struct tree *t, pid_t pid, pid_t self)
{
	char path[64], dents[DIRENT_BYTES];
	long n, off;
	int fd, busy = 0;

	if (proc_path(path, sizeof(path), pid, -1, NULL) < 0)
		return 0;
	fd = (int)syscall(SYS_openat, AT_FDCWD, path,
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* gone */
	while (!busy &&
	       (n = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		for (off = 0; off < n && !busy;) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			const char *name = dents + off + 19;
			long tid = 0;
			char st;

			__builtin_memcpy(&reclen, dents + off + 16,
					 sizeof(reclen));
			off += reclen;
			if (*name < '0' || *name > '9')
				continue;
			for (; *name >= '0' && *name <= '9'; name++)
				tid = tid * 10 + (*name - '0');
			add_children(t, pid, tid);
			if (registered((pid_t)tid, pid, self))
				continue;
			st = thread_state(pid, tid);
			if (st == 'R' || st == 'D')
				busy = 1;
			if (pid == self || shared)
				t->runtime += thread_runtime(pid, tid);
		}
	}
	syscall(SYS_close, fd);
	return busy;
}

/* A process's parent, from its stat; 0 when unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p, *close_paren = NULL;
	size_t at = 0;
	long v = 0;

	if (ft_path_add(path, sizeof(path), &at, "/proc/", pid) < 0 ||
	    ft_path_add(path, sizeof(path), &at, "/stat", -1) < 0 ||
	    read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	for (p = buf; *p; p++)
		if (*p == ')')
			close_paren = p;
	/* ") S PPID ..." */
	if (!close_paren || !close_paren[1] || !close_paren[2] ||
	    close_paren[3] != ' ')
		return 0;
	for (p = close_paren + 4; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return (pid_t)v;
}

/* Whether process pid has libflaketrap-warp.so mapped. */
static int has_warp(pid_t pid)
{
	static const char name[] = "/libflaketrap-warp.so";
	char path[64], buf[4096 + sizeof(name)];
	size_t at = 0, keep = 0, i, k = sizeof(name) - 1;
	ssize_t n;
	int fd, found = 0;

	if (ft_path_add(path, sizeof(path), &at, "/proc/", pid) < 0 ||
	    ft_path_add(path, sizeof(path), &at, "/maps", -1) < 0)
		return 0;
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (!found && (n = (ssize_t)syscall(SYS_read, fd, buf + keep,
					       sizeof(buf) - keep)) > 0) {
		n += (ssize_t)keep;
		for (i = 0; i + k <= (size_t)n && !found; i++)
			found = __builtin_memcmp(buf + i, name, k) == 0;
		/* A name cut at the end of one read is whole in the next. */
		keep = (size_t)n < k - 1 ? (size_t)n : k - 1;
		__builtin_memmove(buf, buf + n - keep, keep);
	}
	syscall(SYS_close, fd);
	return found;
}

/* The root of the warped tree (see above); asked once per process. */
static pid_t tree_root(pid_t self)
{
	static atomic_int cached_for, cached_root;
	pid_t root, up;
	int depth;

	if (atomic_load_explicit(&cached_for, memory_order_acquire) == self)
		return atomic_load_explicit(&cached_root,
					    memory_order_relaxed);
	root = self;
	for (depth = 0; depth < 64; depth++) {
		up = parent_of(root);
		if (up <= 1 || !has_warp(up))
			break;
		root = up;
	}
	atomic_store_explicit(&cached_root, root, memory_order_relaxed);
	atomic_store_explicit(&cached_for, self, memory_order_release);
	return root;
}

/*
 * Whether anything in the process tree can run now; *runtime: the time on
 * CPU of this process's threads but its waiters.
 */
static int tree_busy(pid_t self, uint64_t *runtime)
{
	struct tree t;
	int i, busy = 0;

	t.n = 0;
	t.runtime = 0;
	t.pids[t.n++] = tree_root(self);
	for (i = 0; i < t.n && !busy; i++)
		busy = process_busy(&t, t.pids[i], self);
	*runtime = t.runtime;
	return busy || ft_idle_tcp_in_flight(t.pids, t.n);
}

int ft_idle_first(const struct ft_idle *w)
{
	return w->slot < 0 || earliest(w, raw_getpid());
}

/*
 * The condition variable this thread was last woken from as a spurious
 * wakeup before a jump: waited on again, the wait jumps.
 */
static __thread const void *rechecked __attribute__((tls_model("initial-exec")));

int ft_idle_slice(struct ft_idle *w, int64_t *ns)
{
	int64_t left = w->target - ft_warp_now();
	pid_t pid;

	if (left <= 0)
		return 0;
	if (w->sliced && w->slot >= 0 && earliest(w, pid = raw_getpid())) {
		uint64_t runtime;

		ft_warp_count_idle_scan();
		if (tree_busy(pid, &runtime))
			w->streak = 0;
		else if (w->streak == 0 || runtime != w->runtime)
			w->streak = 1;	/* a first look, or progress since */
		else
			w->streak++;
		w->runtime = runtime;
		/* The interval timer comes first if it is earlier: its
		 * signal then ends the next slice, as it would have. */
		if (w->streak >= 2) {
			switch (ft_warp_itimer_fire_before(w->target,
							   w->since)) {
			case FT_ITIMER_HERE:
				w->streak = 0;
				return FT_IDLE_EINTR;
			case FT_ITIMER_ELSEWHERE:
				w->streak = 0;
				break;
			default:
				/* The timer may have made this waiter the
				 * earliest and be gone now (fired for real
				 * before the wait): the jump is its own only
				 * if it still is. */
				if (!earliest(w, pid)) {
					w->streak = 0;
					break;
				}
				if (w->recheck && rechecked != w->recheck) {
					rechecked = w->recheck;
					return FT_IDLE_RECHECK;
				}
				rechecked = NULL;
				ft_warp_jump(w->target);
				return 0;
			}
		}
	}
	w->sliced = 1;
	/* A grace of 0 still waits a little between two looks at /proc. */
	*ns = ft_warp_grace() > IDLE_MIN_SLICE ? ft_warp_grace() : IDLE_MIN_SLICE;
	if (left < *ns)
		*ns = left;
	return 1;
}

int ft_warp_idle_sleep(int64_t target, int64_t *left)
{
	struct ft_idle w;
	struct timespec slice;
	int64_t ns;
	int r = 0, k, saved = errno;

	ft_idle_start(&w, target);
	while ((k = ft_idle_slice(&w, &ns)) != 0) {
		if (k == FT_IDLE_EINTR) {
			r = -1;
			break;
		}
		slice = ft_ns_to_ts(ns);
		/* The kernel's own sleep: libflaketrap.so would count each
		 * slice as a sleep of the program. */
		if (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &slice,
			    NULL) != 0 &&
		    errno == EINTR) {
			r = -1;
			break;
		}
	}
	ft_idle_stop(&w);
	if (r == 0) {
		errno = saved;
		return 0;
	}
	*left = target - ft_warp_now();
	if (*left < 0)
		*left = 0;
	errno = EINTR;
	return -1;
}
