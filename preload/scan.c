/* SPDX-License-Identifier: MIT */
/*
 * The exit scan: what a process leaves behind when it ends. Children still
 * there (running, stopped, or zombies nobody reaped) and threads still
 * running or finished but never joined, each with where it was made, and
 * for a running thread where it is now.
 *
 * It runs once per process, as late as the way it ends allows (on exit and
 * return from main, after every atexit handler and every destructor),
 * and it is async-signal-safe: it may run in _exit in a fork child or in a
 * signal handler. Memory is mapped for the scan, /proc is read with plain
 * system calls, output is one write per record.
 *
 * The registry says where each child and thread came from; /proc says what
 * is really there, including what no wrapper saw (a raw clone). A thread
 * the registry knows as ended may still be listed by /proc for a moment:
 * it is not reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "fmt.h"
#include "ft.h"
#include "proc.h"
#include "registry.h"
#include "scan.h"
#include "stacks.h"

/* More than a process can have: the kernel's pid_max is at most 4M, and
 * the registry holds 128K; beyond this a task's list is cut. */
#define FT_MAX_CHILDREN 262144
/* Threads the scan looks at, at most. */
#define FT_MAX_TASKS 65536
/* Room to read /proc/self/task at once: the kernel walks the thread list
 * from its start at each read, so 4 KiB reads of 1,000 threads cost the
 * scan some milliseconds. About 24 bytes an entry. */
#define FT_DENTS_SIZE (256 * 1024)
/* Up to this many threads, every one's list of children is read (some
 * 5 us each on our VM); past it, only those of the threads that may have
 * children (may_have_children). */
#define FT_CHILDREN_READ_ALL 64
/* Running threads made at one place whose names are read (choose_names). */
#define FT_NAMES_PER_SITE 16
/* Records, or text, gathered for one write: some 50 records of 1,000
 * threads, and few pages to fault in (each costs as much as a write). */
#define FT_OUT_SIZE (128 * 1024)


/* async-signal-safe */
void ft_scan_after_fork(void)
{
	atomic_store(&ft_process.scan_done, 0);
	atomic_store(&ft_process.exiting, 0);
	ft_process.leak_counts.children = 0;
	ft_process.leak_counts.threads = 0;
}

void ft_mark_exiting(void)
{
	atomic_store(&ft_process.exiting, 1);
}

/* Not in a vfork child: the flag is in its parent's memory. */
void ft_note_exiting(void)
{
	if (ft_own_process())
		ft_mark_exiting();
}

int ft_is_exiting(void)
{
	return atomic_load(&ft_process.exiting);
}

/* ---- sorted lookups by pid or tid ---- */

struct entry {
	int64_t id;
	size_t index;
};

static void sift(struct entry *e, size_t root, size_t n)
{
	struct entry t;
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && e[child + 1].id > e[child].id)
			child++;
		if (e[root].id >= e[child].id)
			return;
		t = e[root];
		e[root] = e[child];
		e[child] = t;
		root = child;
	}
}

/* Heapsort: no allocation, no recursion. */
static void sort_entries(struct entry *e, size_t n)
{
	struct entry t;
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift(e, i, n);
	for (i = n; i-- > 1;) {
		t = e[0];
		e[0] = e[i];
		e[i] = t;
		sift(e, 0, i);
	}
}

/* The first entry with id, or NULL. */
static struct entry *find_entry(struct entry *e, size_t n, int64_t id)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && e[lo].id == id ? &e[lo] : NULL;
}

/* ---- the leaks ---- */

static const struct ft_rec *snap_rec(const struct scan *s, size_t i)
{
	return (const struct ft_rec *)(s->snap + i * s->rs);
}

static struct leak *add_leak(struct scan *s, enum leak_kind kind, pid_t id,
			     const struct ft_rec *rec)
{
	struct leak *l;

	if (s->nleaks >= s->maxleaks)
		return NULL;
	l = &s->leaks[s->nleaks++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->id = id;
	l->rec = rec;
	return l;
}

/*
 * Every descriptor taken (by the program, or the system's): /proc cannot
 * be read, but the wait and kill calls need none. A child of ours that
 * has ended unreaped is 'Z'; one still there is said running ('R'),
 * its finer state unknown; 0 when it is gone or not ours.
 */
static char child_state_blind(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	/* The system call: our waitid wrapper would count it. */
	if (syscall(SYS_waitid, P_PID, (id_t)pid, &si,
		    WEXITED | WNOHANG | WNOWAIT, NULL) != 0)
		return 0;	/* not our child */
	if (si.si_pid == pid)
		return 'Z';
	return kill(pid, 0) == 0 ? 'R' : 0;
}

/*
 * State letter from /proc/PID/stat, and whether its parent is us; its
 * name, the same text as /proc/PID/comm, into comm ("" if unread).
 */
static char child_state(pid_t pid, pid_t parent, char comm[16])
{
	char path[64], buf[1024];
	const char *s, *name;
	long ppid;
	size_t n;
	char state;

	comm[0] = '\0';
	ft_proc_path(path, sizeof(path), "/proc/", pid, "/stat");
	if (ft_read_file(path, buf, sizeof(buf)) <= 0)
		return errno == EMFILE || errno == ENFILE ? child_state_blind(pid)
							   : 0;
	if (!(s = ft_stat_field(buf, 3)))
		return 0;
	state = *s;
	s++;
	ppid = ft_parse_long(&s);
	if (ppid != parent)
		return 0;
	/* "PID (NAME) S ...": NAME may hold ')' itself; the last one ends it. */
	name = strchr(buf, '(');
	n = name ? (size_t)(strrchr(buf, ')') - name - 1) : 0;
	if (name && n < 16) {
		memcpy(comm, name + 1, n);
		comm[n] = '\0';
	}
	return state;
}

/* No child at all, in any state: nothing to read per task. */
static int no_children(void)
{
	siginfo_t info;

	return ft_raw_syscall(SYS_waitid, P_ALL, 0, (long)&info,
			      WEXITED | WSTOPPED | WCONTINUED | WNOHANG |
				      WNOWAIT,
			      0) == -ECHILD;
}

static void add_child(struct scan *s, pid_t pid, const struct ft_rec *rec,
		      char state, const char *comm)
{
	struct leak *l = add_leak(s, LEAK_CHILD, pid, rec);

	if (!l)
		return;
	l->state = state;
	memcpy(l->comm, comm, sizeof(l->comm));
}

/*
 * The threads that made the children the registry knows (their creator,
 * or a system() call's marker), sorted; NULL when every thread's list is
 * to be read.
 */
static struct entry *child_makers(struct scan *s, long ntasks,
				  size_t *count)
{
	const struct ft_rec *rec;
	struct entry *makers;
	size_t i;

	if (ntasks <= FT_CHILDREN_READ_ALL ||
	    atomic_load(&ft_process.child_unrecorded))
		return NULL;
	makers = ft_map((s->nchildren ? s->nchildren : 1) * sizeof(*makers));
	if (!makers)
		return NULL;
	for (i = 0; i < s->nchildren; i++) {
		rec = snap_rec(s, s->children[i].index);
		makers[i].id = rec->kind == FT_REC_SYSTEM ? rec->id
							  : rec->creator_tid;
		makers[i].index = i;
	}
	sort_entries(makers, s->nchildren);
	*count = s->nchildren;
	return makers;
}

/* Whether the process's first thread has ended (a zombie until the last
 * one ends), by its stat; ended when that cannot be read. */
static int leader_ended(const struct scan *s)
{
	char path[64], buf[512];
	const char *st;

	if (s->self_tid == s->pid)
		return 0;
	ft_task_path(path, sizeof(path), s->taskdir, s->pid, "stat");
	if (ft_read_file_at(s->taskdir, path, buf, sizeof(buf)) <= 0 ||
	    !(st = ft_stat_field(buf, 3)))
		return 1;
	return *st == 'Z' || *st == 'X';
}

/*
 * Whether thread tid's list of children is read, when the process has
 * many threads: unless it is one we started that made no child we know
 * of. A child is listed under the thread that made it; the children of an
 * ended thread go to the first thread (unless it has ended: then every
 * list is read), as do those an exec found (the exec's thread becomes the
 * first), and the first thread is none we started. Missed: a child made
 * by a raw system call (clone, fork) or glibc's clone() in a thread we
 * started that made no other (docs/limits.md).
 */
static int may_have_children(const struct scan *s, pid_t tid,
			     struct entry *makers, size_t nmakers)
{
	const struct entry *e;
	size_t j;

	if (!makers || find_entry(makers, nmakers, tid))
		return 1;
	e = find_entry(s->threads, s->nthreads, tid);
	for (j = e ? (size_t)(e - s->threads) : s->nthreads;
	     j < s->nthreads && s->threads[j].id == tid; j++)
		if (snap_rec(s, s->threads[j].index)->state != FT_THREAD_ENDED)
			return 0;	/* one we started, still there */
	return 1;
}

static void scan_children(struct scan *s, const pid_t *tasks, long ntasks)
{
	struct entry *e, *sys, *makers;
	const struct ft_rec *rec;
	char path[64], comm[16];
	pid_t *pids;
	size_t n, i, j, nmakers = 0;
	long t;
	char state;

	if (ntasks < 0) {
		/* No /proc children lists: check what the registry knows. */
		for (i = 0; i < s->nchildren; i++) {
			rec = snap_rec(s, s->children[i].index);
			if (rec->kind != FT_REC_CHILD)
				continue;
			state = child_state(rec->id, s->pid, comm);
			if (state)
				add_child(s, rec->id, rec, state, comm);
		}
		return;
	}
	if (no_children())
		return;
	pids = ft_map(FT_MAX_CHILDREN * sizeof(*pids));
	if (!pids)
		return;
	makers = child_makers(s, ntasks, &nmakers);
	if (makers && leader_ended(s))
		makers = NULL;
	for (t = 0; t < ntasks; t++) {
		if (!may_have_children(s, tasks[t], makers, nmakers))
			continue;
		ft_task_path(path, sizeof(path), s->taskdir, tasks[t],
			     "children");
		n = ft_read_pids_at(s->taskdir, path, pids, FT_MAX_CHILDREN);
		for (i = 0; i < n; i++) {
			state = child_state(pids[i], s->pid, comm);
			if (!state)
				continue;	/* reaped meanwhile */
			e = find_entry(s->children, s->nchildren, pids[i]);
			rec = NULL;
			for (j = e ? (size_t)(e - s->children) : s->nchildren;
			     j < s->nchildren && s->children[j].id == pids[i];
			     j++)
				if (snap_rec(s, s->children[j].index)->kind ==
				    FT_REC_CHILD)
					rec = snap_rec(s, s->children[j].index);
			if (!rec) {
				/* Made inside system() by this thread? */
				sys = find_entry(s->children, s->nchildren,
						 -(int64_t)tasks[t]);
				if (sys)
					rec = snap_rec(s, sys->index);
			}
			add_child(s, pids[i], rec, state, comm);
		}
	}
}

static void scan_threads(struct scan *s, const pid_t *tasks, long ntasks)
{
	int have_runtime = -1;
	struct entry *listed = ft_map((size_t)(ntasks > 0 ? ntasks : 1) *
				   sizeof(*listed));
	const struct ft_rec *rec;
	struct leak *l;
	struct entry *e;
	size_t i, j;
	long t;
	int known;

	if (!listed)
		return;
	for (t = 0; t < ntasks; t++) {
		listed[t].id = tasks[t];
		listed[t].index = (size_t)t;
	}
	sort_entries(listed, ntasks > 0 ? (size_t)ntasks : 0);

	for (t = 0; t < ntasks; t++) {
		if (tasks[t] == s->self_tid || tasks[t] == s->pid)
			continue;
		e = find_entry(s->threads, s->nthreads, tasks[t]);
		known = 0;
		rec = NULL;
		for (j = e ? (size_t)(e - s->threads) : s->nthreads;
		     j < s->nthreads && s->threads[j].id == tasks[t]; j++) {
			known = 1;
			if (snap_rec(s, s->threads[j].index)->state !=
			    FT_THREAD_ENDED)
				rec = snap_rec(s, s->threads[j].index);
		}
		if (known && !rec)
			continue;	/* joined or detached, still leaving */
		if (!rec && ft_kernel_worker(tasks[t]))
			continue;	/* io_uring's, the kernel's own */
		if (rec ? ft_made_by_sanitizer(rec)
			: ft_runtime_thread(tasks[t], &have_runtime))
			continue;	/* a sanitizer runtime's own */
		l = add_leak(s, LEAK_THREAD, tasks[t], rec);
		if (!l)
			return;
		l->finished = rec && rec->state == FT_THREAD_FINISHED;
	}
	/* Finished and gone from /proc, or never started: the registry's. */
	for (i = 0; i < s->nthreads; i++) {
		rec = snap_rec(s, s->threads[i].index);
		if (rec->state == FT_THREAD_ENDED || rec->detached ||
		    rec->id == s->self_tid)
			continue;
		if (ntasks >= 0 && rec->id != 0 &&
		    find_entry(listed, (size_t)ntasks, rec->id))
			continue;	/* listed: handled above */
		if (ft_made_by_sanitizer(rec))
			continue;
		l = add_leak(s, LEAK_THREAD, rec->id, rec);
		if (!l)
			return;
		l->finished = rec->id != 0 || rec->state == FT_THREAD_FINISHED;
		/* /proc unread (descriptors exhausted): the kernel says
		 * whether the thread is still there, with no descriptor. */
		if (ntasks < 0 && rec->id > 0 &&
		    syscall(SYS_tgkill, s->pid, rec->id, 0) == 0)
			l->finished = 0;
	}
}

/*
 * Where a thread was made, as one number: its start routine, creation
 * backtrace and innermost Python line (Python's threads share their C
 * frames). 0 for a thread no wrapper saw made: each of those is its own.
 */
static uint64_t site_of(const struct ft_rec *rec)
{
	const struct ft_py_stack *py;
	uint64_t h = 14695981039346656037ull;
	int i;

	if (!rec)
		return 0;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
	MIX(rec->fn);
	for (i = 0; i < rec->nframes; i++)
		MIX(rec->frames[i]);
	py = ft_reg_python(rec);
	if (py && py->n > 0)
		MIX(ft_py_frame_hash(&py->f[0]));
#undef MIX
	return h ? h : 1;
}

/*
 * Whether another leaked thread made at site is among the first limit
 * made there (0: no limit). sites: a table of cap entries (a power of 2,
 * above the leaks' count), counts after.
 */
static int first_of_site(uint64_t site, unsigned limit, uint64_t *sites,
			 uint32_t *counts, size_t cap)
{
	size_t i;

	if (!site || !limit || !sites)
		return 1;
	for (i = site & (cap - 1); sites[i] && sites[i] != site;
	     i = (i + 1) & (cap - 1))
		;
	sites[i] = site;
	return counts[i]++ < limit;
}

/* The table first_of_site counts in, for n leaks (NULL: no memory). */
static uint64_t *site_table(size_t n, size_t *cap)
{
	*cap = 2;
	while (*cap <= 2 * n)
		*cap *= 2;
	return ft_map(*cap * (sizeof(uint64_t) + sizeof(uint32_t)));
}

/*
 * The names of the first FT_NAMES_PER_SITE running threads made at one
 * place are read, not the rest: a pool of 1,000 threads would cost 1,000
 * reads of /proc (9 us each on our VM, half of the exit scan), while
 * report shows ten of a group. Without memory for the table, all are.
 */
static void choose_names(struct scan *s)
{
	uint64_t *sites;
	uint32_t *counts;
	size_t i, n = 0, cap;
	struct leak *l;

	for (i = 0; i < s->nleaks; i++)
		n += s->leaks[i].kind == LEAK_THREAD && !s->leaks[i].finished;
	if (n <= FT_NAMES_PER_SITE || !(sites = site_table(n, &cap)))
		return;
	counts = (uint32_t *)(sites + cap);
	for (i = 0; i < s->nleaks; i++) {
		l = &s->leaks[i];
		if (l->kind == LEAK_THREAD && !l->finished &&
		    !first_of_site(site_of(l->rec), FT_NAMES_PER_SITE, sites,
				   counts, cap))
			l->unnamed = 1;
	}
	munmap(sites, cap * (sizeof(*sites) + sizeof(*counts)));
}

/* A running thread of ours whose stack may be asked (none said why not). */
static int stack_asked(const struct leak *l)
{
	return l->kind == LEAK_THREAD && !l->finished && l->id > 0 &&
	       !l->no_stack;
}

/*
 * Running threads: stacks, in parallel, into memory mapped for them. The
 * first FLAKETRAP_STACKS_PER_SITE made at one place are asked: a pool of
 * 1,000 threads waiting in one place would otherwise cost 1,000 signals
 * and unwinds, while report shows one stack per group.
 */
static void collect_stacks(struct scan *s)
{
	unsigned limit = ft_cfg()->stacks_per_site;
	const char **why, *all;
	struct ft_stack_req *reqs;
	struct leak *l;
	uint64_t *sites;
	uint32_t *counts;
	size_t i, n = 0, cap;

	for (i = 0; i < s->nleaks; i++)
		n += stack_asked(&s->leaks[i]);
	if (n == 0)
		return;
	/* Without it (no memory), every thread is asked. */
	sites = site_table(n, &cap);
	counts = sites ? (uint32_t *)(sites + cap) : NULL;
	for (i = 0, n = 0; i < s->nleaks; i++) {
		l = &s->leaks[i];
		if (!stack_asked(l))
			continue;
		if (first_of_site(site_of(l->rec), limit, sites, counts, cap))
			n++;
		else
			l->no_stack = "the stacks of the first threads made"
				      " at the same place were taken"
				      " (FLAKETRAP_STACKS_PER_SITE)";
	}
	if (sites)
		munmap(sites, cap * (sizeof(*sites) + sizeof(*counts)));
	if (n == 0)
		return;
	reqs = ft_map(n * sizeof(*reqs));
	why = ft_map(n * sizeof(*why));
	if (!reqs || !why)
		return;
	for (i = 0, n = 0; i < s->nleaks; i++)
		if (stack_asked(&s->leaks[i]))
			reqs[n++].tid = s->leaks[i].id;
	all = ft_take_stacks(reqs, n, why, 0);
	for (i = 0, n = 0; i < s->nleaks; i++) {
		l = &s->leaks[i];
		if (!stack_asked(l))
			continue;
		if (all)
			l->no_stack = all;
		else if (why[n])
			l->no_stack = why[n];
		else
			l->stack = &reqs[n];
		n++;
	}
	/* reqs stay mapped: a late answer may still write to them. */
}

static struct entry *index_kind(struct scan *s, int thread, size_t *count)
{
	const struct ft_rec *rec;
	struct entry *e = ft_map(s->nsnap * sizeof(*e));
	size_t i, n = 0;

	if (!e)
		return NULL;
	for (i = 0; i < s->nsnap; i++) {
		rec = snap_rec(s, i);
		if ((rec->kind == FT_REC_THREAD) != thread ||
		    rec->kind == FT_REC_POPEN)
			continue;
		/* system() markers go by -tid among the children. */
		e[n].id = rec->kind == FT_REC_SYSTEM ? -(int64_t)rec->id
						     : rec->id;
		e[n].index = i;
		n++;
	}
	sort_entries(e, n);
	*count = n;
	return e;
}

/*
 * Whether this thread is the process's only one. Asked of the kernel
 * without /proc where it can be: unshare(CLONE_THREAD) succeeds, and does
 * nothing, only in a process of one thread (EINVAL otherwise; before Linux
 * 4.3 it may fail in one too). A look at /proc/self/task makes the kernel
 * build the /proc entries of the process, and take them down as it ends:
 * a third of what the library added to the end of a fork child. Under a
 * seccomp filter, which may kill the process for a call it does not
 * expect, and wherever the call fails: the link count of /proc/self/task,
 * ".", ".." and one entry per thread.
 */
static int only_thread(void)
{
	struct stat st;

	if (ft_raw_syscall(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0) == 0 &&
	    ft_raw_syscall(SYS_unshare, CLONE_THREAD, 0, 0, 0, 0) == 0)
		return 1;
#ifdef SYS_newfstatat
	return ft_raw_syscall(SYS_newfstatat, AT_FDCWD,
			      (long)"/proc/self/task", (long)&st, 0, 0) == 0 &&
#else
	return stat("/proc/self/task", &st) == 0 &&
#endif
	       st.st_nlink == 3;
}

/*
 * Surely nothing to report, seen without mapping anything: the registry
 * holds nothing but ended threads (kept until the kernel no longer lists
 * them), there is no child, and this is the only thread. The common end
 * of a fork child, which every fork of a test suite pays, and of a test
 * that joined and reaped all it made.
 */
static int nothing_to_scan(void)
{
	return ft_reg_count_unended() == 0 && no_children() && only_thread();
}

/* async-signal-safe */
void ft_exit_scan(void)
{
	unsigned what = ft_cfg()->leaks;
	struct scan s;
	pid_t *tasks;
	char *dents;
	long ntasks;
	size_t i, cap;
	int saved, logging;

	/* errno is not even read before the scan is known to be needed: in a
	 * fork child that is one page of libc's code less. */
	if (!what || atomic_exchange(&ft_process.scan_done, 1) ||
	    nothing_to_scan())
		return;
	saved = errno;
	memset(&s, 0, sizeof(s));
	s.pid = getpid();
	s.self_tid = (pid_t)syscall(SYS_gettid);
	logging = ft_cfg()->log_dir[0] != '\0';
	/* The registry first, /proc after: what is reaped meanwhile is gone
	 * from /proc too, never reported as made by nobody. */
	if (what & FT_LEAK_THREADS)
		ft_reg_wait_thread_ids(100000000);
	cap = ft_reg_count() + 64;
	s.rs = ft_reg_rec_size();
	s.snap = s.rs ? ft_map(cap * s.rs) : NULL;
	s.nsnap = s.snap ? ft_reg_snapshot(s.snap, cap) : 0;
	s.children = index_kind(&s, 0, &s.nchildren);
	s.threads = index_kind(&s, 1, &s.nthreads);
	tasks = ft_map(FT_MAX_TASKS * sizeof(*tasks));
	dents = ft_map(FT_DENTS_SIZE);
	s.maxleaks = FT_MAX_TASKS + s.nsnap;
	s.leaks = ft_map(s.maxleaks * sizeof(*s.leaks));
	s.line = ft_map(FT_SCRATCH_SIZE);
	s.out = ft_map(FT_OUT_SIZE);
	s.out_cap = s.out ? FT_OUT_SIZE : 0;
	if (!tasks || !dents || !s.leaks || !s.line ||
	    (s.nsnap && !s.children) || (s.nsnap && !s.threads)) {
		ft_errno_keep(saved);
		return;
	}
	s.taskdir = ft_task_dir();
	ntasks = s.taskdir >= 0 ? ft_list_tasks_at(s.taskdir, tasks,
						   FT_MAX_TASKS, dents,
						   FT_DENTS_SIZE)
				: -1;
	if (what & FT_LEAK_CHILDREN)
		scan_children(&s, tasks, ntasks);
	if (what & FT_LEAK_THREADS)
		scan_threads(&s, tasks, ntasks);
	for (i = 0; i < s.nleaks; i++) {
		/* A fork's frames from its copied stack: s.snap is ours. */
		if (s.leaks[i].rec)
			ft_reg_resolve_frames((struct ft_rec *)s.leaks[i].rec);
		if (s.leaks[i].kind == LEAK_CHILD)
			ft_process.leak_counts.children++;
		else
			ft_process.leak_counts.threads++;
	}
	choose_names(&s);
	collect_stacks(&s);
	if (!logging && s.nleaks)
		ft_leaks_header_text(&s);
	if (logging)
		ft_log_hold();
	for (i = 0; i < s.nleaks; i++) {
		if (logging)
			ft_leak_json(&s, &s.leaks[i]);
		else
			ft_leak_text(&s, &s.leaks[i]);
	}
	ft_leaks_flush(&s, logging);
	ft_log_release();
	if (s.taskdir >= 0)
		close(s.taskdir);
	/* The mappings go with the process; a late stack answer may still
	 * write to reqs. */
	ft_errno_keep(saved);
}
