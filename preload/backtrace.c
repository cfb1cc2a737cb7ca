/* SPDX-License-Identifier: MIT */
/*
 * Backtraces with libunwind (frames.c describes their frames).
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL), never linked: libunwind.so.8
 * exports _Unwind_RaiseException and friends, and as a dependency of a
 * preloaded library it would come first in the global scope, taking C++
 * exceptions away from libgcc_s in every program that dlopens C++ code.
 *
 * Creation backtraces of threads and spawned children use unw_backtrace:
 * its fast path walks with a per-thread cache and no system call, where
 * stepping a cursor takes libunwind's global cache lock, and two
 * sigprocmask calls, at every frame (about 8 us per pthread_create). The
 * price: that cache lives in libunwind's thread-local storage, which glibc
 * allocates from malloc, in each thread that makes a thread or a child, and
 * reallocates the thread's TLS vector for when a later dlopen adds a module
 * with TLS. So wherever a signal handler may be running (crash, current
 * stacks, and the creation backtrace of fork and vfork, which POSIX lets a
 * handler call) a cursor is stepped instead: malloc may be what the
 * signal interrupted. libunwind says its local cursors are signal-safe.
 *
 * A cursor is stepped for creation backtraces too when something other
 * than the dynamic loader defines __tls_get_addr: the sanitizer runtimes
 * (ASan, LSan, TSan, ...) do, to track each module's dynamic TLS, and
 * gcc 12's guesses the size of a block from the 16 bytes before it when it
 * starts 16 bytes into a page, as libunwind's 16-byte cache pointer block
 * may in ASan's heap: LeakSanitizer then scanned a bogus range at exit and
 * died of SIGSEGV ("Tracer caught signal 11"), failing every threaded
 * ASan program. A cursor never touches libunwind's TLS.
 */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ft.h"
#include "timespec.h"

#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)

static struct {
	int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
	int (*backtrace)(void **, int);
	int (*getcontext)(unw_context_t *);	/* optional: sleep sites */
} unw;

enum { UNW_NOT_TRIED, UNW_LOADING, UNW_READY, UNW_MISSING };
static atomic_int unw_state;
/* unw_backtrace may be used: __tls_get_addr is the dynamic loader's. */
static int unw_trace_ok;

/* Does the dynamic loader define the __tls_get_addr in use? */
static int tls_get_addr_is_loaders(void)
{
	void *sym = dlsym(RTLD_DEFAULT, "__tls_get_addr");
	Dl_info info;

	if (!sym)
		return 1;	/* no module with dynamic TLS can be loaded */
	/* AT_BASE: where the kernel mapped the program's interpreter. */
	return dladdr(sym, &info) != 0 &&
	       (uintptr_t)info.dli_fbase == (uintptr_t)getauxval(AT_BASE);
}

/* Not async-signal-safe (dlopen): call it from normal context only. */
void ft_unwind_load(void)
{
	int expected = UNW_NOT_TRIED;
	int saved;
	void *h;

	/* Every creation backtrace comes here: a plain load, no locked
	 * instruction, once it is settled. */
	if (atomic_load_explicit(&unw_state, memory_order_acquire) !=
	    UNW_NOT_TRIED)
		return;
	saved = errno;
	if (!atomic_compare_exchange_strong(&unw_state, &expected,
					    UNW_LOADING))
		return;
	h = dlopen("libunwind.so.8", RTLD_LAZY | RTLD_LOCAL);
	if (h) {
		unw.init_local2 = (__typeof__(unw.init_local2))dlsym(
			h, FT_STR(UNW_OBJ(init_local2)));
		unw.step = (__typeof__(unw.step))dlsym(h, FT_STR(UNW_OBJ(step)));
		unw.get_reg = (__typeof__(unw.get_reg))dlsym(
			h, FT_STR(UNW_OBJ(get_reg)));
		unw.backtrace = (__typeof__(unw.backtrace))dlsym(
			h, "unw_backtrace");
		unw.getcontext = (__typeof__(unw.getcontext))dlsym(
			h, FT_STR(unw_tdep_getcontext));
		unw_trace_ok = tls_get_addr_is_loaders();
	}
	atomic_store_explicit(&unw_state,
			      unw.init_local2 && unw.step && unw.get_reg &&
					      unw.backtrace && unw.getcontext
				      ? UNW_READY
				      : UNW_MISSING,
			      memory_order_release);
	/*
	 * libunwind sets itself up at its first unwind (its lock, memory
	 * pools mapped, the pipe it checks addresses with: two descriptors
	 * for the process's life), which is signal-safe: not here, where the
	 * program would hold those two descriptors from its start.
	 */
	ft_errno_keep(saved);
}

int ft_unwind_loaded(void)
{
	return atomic_load_explicit(&unw_state, memory_order_acquire) ==
	       UNW_READY;
}

static int unwind_ready(void)
{
	return atomic_load_explicit(&unw_state, memory_order_acquire) ==
	       UNW_READY;
}

static int collect(unw_cursor_t *cur, uintptr_t *ips, int max)
{
	unw_word_t ip;
	int n = 0;

	do {
		if (unw.get_reg(cur, UNW_REG_IP, &ip) != 0 || ip == 0)
			break;
		ips[n++] = (uintptr_t)ip;
	} while (n < max && unw.step(cur) > 0);
	return n;
}

/*
 * Kept out of line so that its own frame is the first one, dropped with
 * `skip` more (the wrappers between it and the program).
 */
__attribute__((noinline)) int ft_backtrace(uintptr_t *ips, int max, int skip)
{
	void *raw[FT_BACKTRACE_MAX + 8];
	uintptr_t stepped[FT_BACKTRACE_MAX + 8];
	int saved = errno, n = 0, got, k, want = max + skip + 1;

	if (max <= 0)
		return 0;
	ft_unwind_load();
	if (!unwind_ready())
		return 0;
	if (!unw_trace_ok) {
		/* See the top: stepped[0] is in ft_backtrace_safe. */
		if (want + 1 > (int)(sizeof(stepped) / sizeof(stepped[0])))
			want = (int)(sizeof(stepped) / sizeof(stepped[0])) - 1;
		got = ft_backtrace_safe(stepped, want + 1);
		for (k = skip + 2; k < got && n < max; k++)
			ips[n++] = stepped[k];
		ft_errno_keep(saved);
		return n;
	}
	if (want > (int)(sizeof(raw) / sizeof(raw[0])))
		want = (int)(sizeof(raw) / sizeof(raw[0]));
	/* raw[0] is in ft_backtrace itself: unw_backtrace starts there. */
	got = unw.backtrace(raw, want);
	for (k = skip + 1; k < got && n < max; k++)
		ips[n++] = (uintptr_t)raw[k];
	ft_errno_keep(saved);
	return n;
}

/* async-signal-safe once loaded: the stack a signal interrupted */
int ft_backtrace_signal(void *ucontext, uintptr_t *ips, int max)
{
	unw_cursor_t cur;
	int saved = errno, n = 0;

	if (max <= 0)
		return 0;
	if (unwind_ready() &&
	    unw.init_local2(&cur, (unw_context_t *)ucontext,
			    UNW_INIT_SIGNAL_FRAME) == 0)
		n = collect(&cur, ips, max);
#if defined(__x86_64__)
	if (n == 0 && ucontext) {
		ips[0] = (uintptr_t)((ucontext_t *)ucontext)
				 ->uc_mcontext.gregs[REG_RIP];
		n = 1;
	}
#endif
	ft_errno_keep(saved);
	return n;
}

/* How long a crash's unwinding child has before it is given up on. */
#define FT_CRASH_CHILD_NS 2000000000LL

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	ft_clock(CLOCK_MONOTONIC, &ts);
	return ft_ts_to_ns(&ts);
}

/*
 * async-signal-safe: the stack a crash interrupted. libunwind is loaded
 * lazily (at the first thread or child made, or with a log's stack
 * requests or sleep sites): loading it at start would cost every process
 * of a test suite a third of its start-up. A crash handler cannot load it
 * (dlopen is not async-signal-safe: a lock the crashed code holds, malloc's
 * or the loader's, would hang the process), so when it is not loaded a
 * copy of the process does: a child made by a raw clone (no atfork
 * handler, no SIGCHLD for the program to see) loads it, unwinds its copy
 * of the same stack from the same context, sends the frames back through
 * a pipe and ends. A child stuck on such a lock is killed after 2 s; the
 * frames are then the crash address alone.
 */
int ft_backtrace_crash(void *ucontext, uintptr_t *ips, int max)
{
	int saved = errno, fds[2], n = 0, status;
	int64_t deadline, left;
	struct timespec wait;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t r;
	long pid;

	if (max <= 0 || unwind_ready() ||
	    atomic_load_explicit(&unw_state, memory_order_acquire) ==
		    UNW_MISSING ||
	    syscall(SYS_pipe2, fds, O_CLOEXEC) != 0)
		return ft_backtrace_signal(ucontext, ips, max);
	pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0) {
		syscall(SYS_close, fds[0]);
		ft_unwind_load();
		n = unwind_ready() ? ft_backtrace_signal(ucontext, ips, max)
				   : 0;
		ft_write_all(fds[1], (const char *)ips,
			     (size_t)n * sizeof(ips[0]));
		syscall(SYS_exit_group, 0);
	}
	syscall(SYS_close, fds[1]);
	deadline = monotonic_ns() + FT_CRASH_CHILD_NS;
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (pid > 0 && got < (size_t)max * sizeof(ips[0])) {
		left = deadline - monotonic_ns();
		if (left <= 0)
			break;
		wait.tv_sec = left / 1000000000;
		wait.tv_nsec = left % 1000000000;
		r = syscall(SYS_ppoll, &pfd, 1L, &wait, NULL, 0L);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		r = syscall(SYS_read, fds[0], (char *)ips + got,
			    (size_t)max * sizeof(ips[0]) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	syscall(SYS_close, fds[0]);
	if (pid > 0) {
		syscall(SYS_kill, pid, SIGKILL);
		while (syscall(SYS_wait4, pid, &status, __WALL, NULL) < 0 &&
		       errno == EINTR)
			;
	}
	n = (int)(got / sizeof(ips[0]));
	ft_errno_keep(saved);
	return n ? n : ft_backtrace_signal(ucontext, ips, max);
}

/*
 * async-signal-safe once loaded: the current stack, frame 0 in this
 * function, by stepping a cursor (libunwind's global cache lock is taken
 * with every signal blocked, so a handler cannot deadlock on it) and not
 * with unw_backtrace, whose per-thread cache glibc may allocate with
 * malloc on first use: a sleep may be called from a signal handler.
 */
__attribute__((noinline)) int ft_backtrace_safe(uintptr_t *ips, int max)
{
	unw_context_t ctx;
	unw_cursor_t cur;
	int saved = errno, n = 0;

	if (max > 0 && unwind_ready() && unw.getcontext &&
	    unw.getcontext(&ctx) == 0 && unw.init_local2(&cur, &ctx, 0) == 0)
		n = collect(&cur, ips, max);
	ft_errno_keep(saved);
	return n;
}

/*
 * The current stack, frame 0 in this function, either way: by
 * unw_backtrace's cached walk (0.2 us) while no handler of the program can
 * be running, for it has none (ft_signal_program_handlers), else by
 * stepping the cursor (some 20 us and two system calls a frame).
 * async-signal-safe
 */
#define FT_QUICK_MAX (FT_BACKTRACE_MAX + 8)
__attribute__((noinline)) int ft_backtrace_quick(uintptr_t *ips, int max)
{
	union {
		void *walked[FT_QUICK_MAX];
		uintptr_t stepped[FT_QUICK_MAX + 1];
	} raw;
	int saved = errno, n, k;

	if (max > FT_QUICK_MAX)
		max = FT_QUICK_MAX;
	if (max <= 0)
		return 0;
	if (!unwind_ready() || !unw_trace_ok ||
	    ft_signal_program_handlers()) {
		/* stepped[0] is in ft_backtrace_safe: dropped. */
		n = ft_backtrace_safe(raw.stepped, max + 1);
		for (k = 1; k < n; k++)
			ips[k - 1] = raw.stepped[k];
		return n > 0 ? n - 1 : 0;
	}
	n = unw.backtrace(raw.walked, max);
	for (k = 0; k < n; k++)
		ips[k] = (uintptr_t)raw.walked[k];
	ft_errno_keep(saved);
	return n;
}

/*
 * async-signal-safe: the caller's callers, dropping skip frames above the
 * caller, for wrappers that a signal handler may call (fork, vfork).
 * Never loads libunwind: see ft_unwind_loaded.
 */
__attribute__((noinline)) int ft_backtrace_async(uintptr_t *ips, int max,
						 int skip)
{
	uintptr_t raw[FT_BACKTRACE_MAX + 8];
	int n = 0, got, k, want = max + skip + 2;

	if (max <= 0)
		return 0;
	if (want > (int)(sizeof(raw) / sizeof(raw[0])))
		want = (int)(sizeof(raw) / sizeof(raw[0]));
	/* raw[0] is in ft_backtrace_quick, raw[1] here. */
	got = ft_backtrace_quick(raw, want);
	for (k = skip + 2; k < got && n < max; k++)
		ips[n++] = raw[k];
	return n;
}
