/* SPDX-License-Identifier: MIT */
/*
 * Children: every way a child is made records it (with where it was made),
 * every way a child is reaped removes it. What the exit scan finds still
 * there is a leak.
 *
 * vfork cannot be wrapped by a C function that calls vfork and returns: the
 * child would return through the wrapper's frame and pop it, and the
 * parent, resuming in the same frame, would find it clobbered. vfork.S
 * does what a sound wrapper must do: it keeps no frame across the call
 * (the return address waits in thread-local storage) and calls back into C
 * before and after.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fmt.h"
#include "ft.h"
#include "proc.h"
#include "registry.h"

/*
 * A child no record names the maker of (scan.c then reads every thread's
 * list of children, not only those of the threads that made some).
 * async-signal-safe
 */
void ft_child_unrecorded(void)
{
	if (!atomic_load_explicit(&ft_process.child_unrecorded,
				  memory_order_relaxed))
		atomic_store(&ft_process.child_unrecorded, 1);
}

/* A child record made before fork/spawn, linked once the pid is known. */
static void child_made(struct ft_rec *rec, pid_t pid)
{
	if (!rec) {
		if (pid > 0)
			ft_child_unrecorded();
		return;
	}
	if (pid <= 0) {
		ft_reg_free(rec);
		return;
	}
	rec->id = pid;
	ft_reg_link(rec, (uint64_t)pid);
}

/*
 * fork and vfork unwind without loading libunwind: a signal handler may
 * be what calls them, and dlopen would meet the malloc it interrupted.
 * Loaded here only when no handler of the program is installed, so that
 * none can be running; the sigaction and signal wrappers load it before
 * the program's first handler goes in.
 */
int ft_fork_backtraces(void)
{
	return ft_active() && ft_own_process_quick() &&
	       (ft_cfg()->leaks & FT_LEAK_CHILDREN) && ft_cfg()->backtrace > 0;
}

/*
 * A fork that copies its stack (forkstack.c) needs no libunwind; a vfork
 * always walks at once (ft_reg_new copies only for fork), so it loads it.
 * So does a vfork whose child may sleep before it execs while sites are
 * found (sites.c would load it in the child, on the parent's memory).
 */
static void unwind_for_fork(int copies)
{
	if (!ft_unwind_loaded() &&
	    (ft_fork_backtraces() || (!copies && ft_sites_unwind())) &&
	    !ft_signal_program_handlers() &&
	    !(copies && ft_fork_stacks_usable()))
		ft_unwind_load();
}

FT_EXPORT pid_t fork(void)
{
	struct ft_rec *rec;
	uint64_t ordinal = 0, key = 0;
	pid_t pid;
	int saved;

	unwind_for_fork(1);
	rec = ft_reg_new(FT_REC_CHILD, FT_ORIGIN_FORK, 1);
	ft_python_note(rec);
	ft_real_ensure();
	if (ft_active())
		ordinal = ft_fork_prepare(&key);
	pid = ft_real.fork();
	if (pid == 0 && ft_active())
		ft_fork_child(ordinal, key);
	if (pid != 0) {
		saved = errno;
		child_made(rec, pid);
		ft_errno_keep(saved);
	}
	/* In the child the registry page is already zero: rec is not ours. */
	if (pid == 0)
		ft_delay(FT_DELAY_FORK_CHILD);
	else if (pid > 0)
		ft_delay(FT_DELAY_FORK_PARENT);
	if (ft_chaos_on && pid >= 0)
		ft_chaos_point(pid ? FT_CHAOS_fork_parent : FT_CHAOS_fork_child,
			       (uintptr_t)__builtin_return_address(0), -1, 0);
	return pid;
}

/*
 * glibc's _Fork (fork without its handlers: the child finds our state as
 * a fork child does, and owns it) and forkpty (which forks inside libc,
 * out of our fork wrapper's sight) make children no record names: the
 * exit scan finds them as made by nobody. These wrappers only say that
 * such a child was made, so that the scan reads every thread's list of
 * children (scan.c). The child returns at once. async-signal-safe
 */
FT_EXPORT pid_t _Fork(void)
{
	pid_t pid;

	ft_real_ensure();
	if (!ft_real._Fork) {
		errno = ENOSYS;
		return -1;
	}
	pid = ft_real._Fork();
	if (pid > 0)
		ft_child_unrecorded();
	return pid;
}

FT_EXPORT pid_t forkpty(int *amaster, char *name,
			const struct termios *termp,
			const struct winsize *winp)
{
	pid_t pid;

	ft_real_ensure();
	if (!ft_real.forkpty) {
		errno = ENOSYS;
		return -1;
	}
	pid = ft_real.forkpty(amaster, name, termp, winp);
	if (pid > 0)
		ft_child_unrecorded();
	return pid;
}

#if defined(__x86_64__)
static __thread struct ft_rec *vfork_pending;
static __thread uintptr_t vfork_return;

struct ft_vfork_start {
	pid_t (*real)(void);
	uintptr_t *return_slot;
};

/* Called from vfork.S only. */
struct ft_vfork_start ft_vfork_prepare(void);
uintptr_t ft_vfork_done(pid_t pid);

/* Called by vfork.S with the program's frame still whole. */
struct ft_vfork_start ft_vfork_prepare(void)
{
	struct ft_vfork_start s;
	int saved = errno;

	ft_real_ensure();
	unwind_for_fork(0);
	/* Skip this function and vfork.S: frame 0 is vfork's caller. */
	vfork_pending = ft_reg_new(FT_REC_CHILD, FT_ORIGIN_VFORK, 2);
	ft_python_note(vfork_pending);
	s.real = ft_real.vfork;
	s.return_slot = &vfork_return;
	ft_errno_keep(saved);
	return s;
}

/*
 * Called by vfork.S in the child (pid 0), which must leave our memory
 * alone, then in the parent. Returns where vfork returns to.
 */
uintptr_t ft_vfork_done(pid_t pid)
{
	int saved = errno;

	if (pid != 0) {
		child_made(vfork_pending, pid);
		vfork_pending = NULL;
	}
	ft_errno_keep(saved);
	return vfork_return;
}
#endif

__attribute__((noinline)) static int spawn(int (*real)(pid_t *, const char *,
			     const posix_spawn_file_actions_t *,
			     const posix_spawnattr_t *, char *const[],
			     char *const[]),
		 enum ft_origin origin, pid_t *pid, const char *path,
		 const posix_spawn_file_actions_t *actions,
		 const posix_spawnattr_t *attr, char *const argv[],
		 char *const envp[])
{
	struct ft_rec *rec = ft_reg_new(FT_REC_CHILD, origin, 2);
	pid_t child = 0;
	int err;

	ft_python_note(rec);

	err = real(&child, path, actions, attr, argv, envp);
	child_made(rec, err == 0 ? child : -1);
	if (err == 0 && pid)
		*pid = child;
	return err;
}

FT_EXPORT int posix_spawn(pid_t *pid, const char *path,
			  const posix_spawn_file_actions_t *actions,
			  const posix_spawnattr_t *attr, char *const argv[],
			  char *const envp[])
{
	ft_real_ensure();
	return spawn(ft_real.posix_spawn, FT_ORIGIN_POSIX_SPAWN, pid, path,
		     actions, attr, argv, envp);
}

FT_EXPORT int posix_spawnp(pid_t *pid, const char *file,
			   const posix_spawn_file_actions_t *actions,
			   const posix_spawnattr_t *attr, char *const argv[],
			   char *const envp[])
{
	ft_real_ensure();
	return spawn(ft_real.posix_spawnp, FT_ORIGIN_POSIX_SPAWNP, pid, file,
		     actions, attr, argv, envp);
}

/*
 * libc's system() makes and reaps its child inside, out of our sight. While
 * it runs, a record keyed by the calling thread says where it was called:
 * a child of that thread the exit scan finds unrecorded is that one.
 */
FT_EXPORT int system(const char *command)
{
	struct ft_rec *rec = NULL;
	int ret, saved;

	ft_real_ensure();
	if (command)
		rec = ft_reg_new(FT_REC_SYSTEM, FT_ORIGIN_SYSTEM, 1);
	if (rec) {
		rec->id = (int32_t)syscall(SYS_gettid);
		ft_reg_link(rec, (uint64_t)rec->id);
	} else if (command) {
		ft_child_unrecorded();
	}
	ret = ft_real.system(command);
	saved = errno;
	ft_reg_free(rec);
	ft_errno_keep(saved);
	return ret;
}

/* The pids in /proc/self/task/TID/children, into pids; how many.
 * Read to its end, whatever its size. async-signal-safe */
size_t ft_task_children(pid_t tid, pid_t *pids, size_t max)
{
	char path[64];

	ft_task_path(path, sizeof(path), -1, tid, "children");
	return ft_read_pids_at(AT_FDCWD, path, pids, max);
}

/* Room for the pid lists of popen: a thread's children, however many. */
#define FT_POPEN_PIDS 262144

static int is_among(pid_t pid, const pid_t *pids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return 1;
	return 0;
}

/*
 * libc's popen() spawns its child inside and hands back only a FILE. The
 * child is the one pid that appears among this thread's children across
 * the call (each thread has its own list, so other threads' children do
 * not count).
 */
FT_EXPORT FILE *popen(const char *command, const char *type)
{
	pid_t *before = NULL, *after = NULL, tid, child = 0;
	struct ft_rec *rec, *popen_rec = NULL;
	size_t nb = 0, na, i;
	FILE *f;
	int saved;

	ft_real_ensure();
	rec = ft_reg_new(FT_REC_CHILD, FT_ORIGIN_POPEN, 1);
	ft_python_note(rec);
	tid = (pid_t)syscall(SYS_gettid);
	if (rec) {
		before = ft_map(FT_POPEN_PIDS * sizeof(pid_t));
		after = ft_map(FT_POPEN_PIDS * sizeof(pid_t));
	}
	if (before && after)
		nb = ft_task_children(tid, before, FT_POPEN_PIDS);
	f = ft_real.popen(command, type);
	saved = errno;
	if (f && before && after) {
		na = ft_task_children(tid, after, FT_POPEN_PIDS);
		for (i = 0; i < na && !child; i++)
			if (!is_among(after[i], before, nb))
				child = after[i];
	}
	if (child)
		popen_rec = ft_reg_new(FT_REC_POPEN, FT_ORIGIN_POPEN, 0);
	if (popen_rec) {
		popen_rec->id = child;
		ft_reg_link(popen_rec, (uint64_t)(uintptr_t)f);
		child_made(rec, child);
	} else {
		ft_reg_free(rec);
		if (f)
			ft_child_unrecorded();
	}
	if (before)
		munmap(before, FT_POPEN_PIDS * sizeof(pid_t));
	if (after)
		munmap(after, FT_POPEN_PIDS * sizeof(pid_t));
	ft_errno_keep(saved);
	return f;
}

FT_EXPORT int pclose(FILE *stream)
{
	int ret, saved;

	ft_real_ensure();
	ret = ft_real.pclose(stream);
	saved = errno;
	/* Reaped, or already reaped by another wait: gone either way. */
	ft_reg_remove_popen((uint64_t)(uintptr_t)stream);
	ft_errno_keep(saved);
	return ret;
}

/*
 * A wait status that says the child is gone (not stopped or continued).
 * The status is read from the caller's own variable when it gave one, so
 * a bad pointer still fails with EFAULT as it would without us.
 */
static void reaped(pid_t pid, int status)
{
	if (pid > 0 && (WIFEXITED(status) || WIFSIGNALED(status)))
		ft_reg_remove(FT_REC_CHILD, (uint64_t)pid);
}

FT_EXPORT pid_t wait(int *wstatus)
{
	int status = 0, *st = wstatus ? wstatus : &status, saved;
	pid_t pid;

	ft_real_ensure();
	pid = ft_real.wait(st);
	saved = errno;
	if (pid > 0)
		reaped(pid, *st);
	ft_errno_keep(saved);
	return pid;
}

FT_EXPORT pid_t waitpid(pid_t which, int *wstatus, int options)
{
	int status = 0, *st = wstatus ? wstatus : &status, saved;
	pid_t pid;

	ft_real_ensure();
	if (options & WNOHANG)
		ft_delay(FT_DELAY_WAITPID);
	pid = ft_real.waitpid(which, st, options);
	saved = errno;
	if (pid > 0)
		reaped(pid, *st);
	ft_errno_keep(saved);
	return pid;
}

FT_EXPORT pid_t wait3(int *wstatus, int options, struct rusage *usage)
{
	int status = 0, *st = wstatus ? wstatus : &status, saved;
	pid_t pid;

	ft_real_ensure();
	if (options & WNOHANG)
		ft_delay(FT_DELAY_WAITPID);
	pid = ft_real.wait3(st, options, usage);
	saved = errno;
	if (pid > 0)
		reaped(pid, *st);
	ft_errno_keep(saved);
	return pid;
}

FT_EXPORT pid_t wait4(pid_t which, int *wstatus, int options,
		      struct rusage *usage)
{
	int status = 0, *st = wstatus ? wstatus : &status, saved;
	pid_t pid;

	ft_real_ensure();
	if (options & WNOHANG)
		ft_delay(FT_DELAY_WAITPID);
	pid = ft_real.wait4(which, st, options, usage);
	saved = errno;
	if (pid > 0)
		reaped(pid, *st);
	ft_errno_keep(saved);
	return pid;
}

FT_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *infop, int options)
{
	siginfo_t info, *in = infop ? infop : &info;
	int ret, saved;

	ft_real_ensure();
	if (!infop)
		memset(&info, 0, sizeof(info));
	if (options & WNOHANG)
		ft_delay(FT_DELAY_WAITPID);
	ret = ft_real.waitid(idtype, id, in, options);
	saved = errno;
	if (ret == 0 && in->si_pid > 0 && !(options & WNOWAIT) &&
	    (in->si_code == CLD_EXITED || in->si_code == CLD_KILLED ||
	     in->si_code == CLD_DUMPED))
		ft_reg_remove(FT_REC_CHILD, (uint64_t)in->si_pid);
	ft_errno_keep(saved);
	return ret;
}
