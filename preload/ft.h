/* SPDX-License-Identifier: MIT */
/*
 * Internal header of libflaketrap.so: the export attribute, the real-function
 * table, the init state and the prototypes shared between preload files.
 * Pure modules (config, fmt, prng, timespec) have their own headers and do
 * not include this one.
 */
#ifndef FT_H
#define FT_H

#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "chaos-link.h"
#include "warp-link.h"

#define FT_EXPORT __attribute__((visibility("default")))

/* Not declared by any libc header; this is its glibc signature. */
typedef int ft_main_fn(int, char **, char **);
int __libc_start_main(ft_main_fn *main, int argc, char **argv,
		      void (*init)(void), void (*fini)(void),
		      void (*rtld_fini)(void), void *stack_end);

/* Old names of signal() that our feature macros hide; sigset is
 * deprecated, and still used. */
sighandler_t bsd_signal(int sig, sighandler_t handler);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
struct ft_real {
#define FT_REAL(name, kind) __typeof__(&name) name;
#include "real.def"
#undef FT_REAL
};
#pragma GCC diagnostic pop

/* The next definitions of the wrapped functions; valid once ft_ready(). */
extern struct ft_real ft_real;

/*
 * Resolve every real function (idempotent, cheap after the first call).
 * Called by each wrapper: another library's constructor may call a wrapper
 * before ours has run. Async-signal-safe after the first call.
 */
void ft_real_ensure(void);

/*
 * The real clock_gettime, the next definition after ours: our own
 * timestamps and deadlines never read the virtual clock of
 * libflaketrap-warp.so. async-signal-safe
 */
int ft_clock(clockid_t clk, struct timespec *ts);

/*
 * The virtual clock's link (FLAKETRAP_TIMERS=warp), or NULL when off;
 * set once at initialization.
 */
extern const struct ft_warp_link *ft_warp;

/*
 * Make sure the library is initialized (real functions, configuration) and
 * tell whether wrappers should act: false while initializing, in a
 * secure-execution process, and in a second copy of the library.
 * async-signal-safe once initialized
 */
int ft_active(void);

/* The parsed configuration; only meaningful when ft_active(). */
const struct ft_config *ft_cfg(void);

/*
 * state.c holds the state; init.c, the start-up a floor above it
 * (preload/floors), fills it and wires the features in. state.c reaches
 * the start-up through this table, which init.c puts in the ft_startup
 * section (FT_STARTUP = { ... };) and the linker finds: never by name.
 */
#define FT_NEW_PROCESS_MAX 4
struct ft_startup {
	/* Lazily, from the first ft_active(): 1 active, 0 inert. */
	int (*initialize)(void);
	/* The features' resets in a new process (a fork child), in order;
	 * async-signal-safe. */
	void (*new_process[FT_NEW_PROCESS_MAX])(void);
};
#define FT_STARTUP                                                        \
	__attribute__((section("ft_startup"), used)) static const struct \
		ft_startup ft_startup_table
/* For the start-up only: the configuration it fills, the program's argv,
 * the process key of an exec'd image, the process marked as ours. */
struct ft_config *ft_cfg_edit(void);
void ft_set_argv(char **argv);
void ft_image_start(void);
void ft_mark_process(void);

/* Process-wide counters, reset in a fork child. */
struct ft_counters {
	atomic_ullong sleeps_seen;
	atomic_ullong sleeps_changed;
	atomic_ullong requested_ns;
	atomic_ullong slept_ns;
	atomic_ullong delays[FT_NDELAYS];	/* injected, per kind */
	atomic_ullong delay_ns[FT_NDELAYS];	/* their drawn lengths */
};
struct ft_leak_counts {
	unsigned children;
	unsigned threads;
};

/*
 * What a fork child rewrites of our state (reset as it starts, set as it
 * ends), alone on one page that the kernel zeroes in a fork child
 * (MADV_WIPEONFORK, state.c): zero is a new process's value of each part,
 * a child that writes the page gets a page of zeroes rather than a copy
 * (each page a fork child writes or even reads costs it some 10-20 us on
 * our VM), and the parent's writes to it after a fork are no copies
 * either. A vfork child shares it. Each part belongs to the file named.
 */
struct ft_process_state {
	/* state.c: whose state this is, and its random streams */
	pid_t owner;
	uint64_t key;
	atomic_uint generation;
	atomic_ullong forks;
	/* Alone on its cache line: each pthread_create adds to it, while
	 * each new thread reads the key and generation above (a line shared
	 * with the new thread's CPU would have to be taken back each time). */
	_Alignas(64) atomic_ullong threads_made;
	_Alignas(64) struct ft_counters counters;
	/* The forking thread's stream restarts as thread 0 when it next
	 * draws (not in the fork: its own page is one more to copy). */
	atomic_int fork_thread_pending;
	/* registry.c: this process has made a record (a fork child's
	 * registry is zeroed, and reading it maps a page) */
	atomic_int registry_used;
	/* children.c: a child was made with no record of its maker (the
	 * registry full or out of reach): the exit scan reads every thread's
	 * list of children */
	atomic_int child_unrecorded;
	/* log.c: the records written once per process */
	atomic_int start_written;
	atomic_int exit_written;
	atomic_int loss_told;
	/* scan.c: the exit scan */
	atomic_int scan_done;
	atomic_int exiting;
	struct ft_leak_counts leak_counts;
} __attribute__((aligned(4096)));
_Static_assert(sizeof(struct ft_process_state) == 4096,
	       "ft_process is one page");
/* The wipe-on-fork page once made at start (state.c); the static copy
 * before it, or where it cannot be made. */
extern struct ft_process_state ft_process_static;
extern struct ft_process_state *ft_process_page;
static inline struct ft_process_state *ft_process_now(void)
{
	struct ft_process_state *page = ft_process_page;

	return page ? page : &ft_process_static;
}
#define ft_process (*ft_process_now())

/* The next 64 random bits of the calling thread's seeded stream.
 * async-signal-safe */
uint64_t ft_random(void);
/* A creation ordinal for a new thread (its creator draws it, so the order
 * follows pthread_create calls, not scheduling). */
uint64_t ft_thread_ordinal_next(void);
/* In the new thread, before anything draws: its own stream. */
void ft_thread_stream_start(uint64_t ordinal);
/* The calling thread's stream key, and in *ordinal its creation ordinal,
 * for a stream of its own (chaos). async-signal-safe */
uint64_t ft_thread_key(uint64_t *ordinal);
/* The key thread ordinal has (or will have) in this process. */
uint64_t ft_thread_key_of(uint64_t ordinal);
/* Bumped in each new process (fork child): per-thread state of an older
 * one is stale. async-signal-safe */
unsigned ft_process_generation(void);

/*
 * chaos.c: FLAKETRAP_CHAOS. Attach libflaketrap-chaos.so (from the
 * initialization; 0, or -1 with a message in err), then start once the
 * sites are known (constructor). A fork child resets its counters.
 */
int ft_chaos_attach(char *err, size_t errlen);
void ft_chaos_start(void);
void ft_chaos_after_fork(void);
/* Thread ordinal is about to be made, or was not made or has ended
 * (chaos's victim). async-signal-safe */
void ft_chaos_thread_made(uint64_t ordinal);
void ft_chaos_thread_gone(uint64_t ordinal);
/* Whether points are asked (chaos attached and started). */
extern int ft_chaos_on;
/* The point function libflaketrap-chaos.so calls; ours call it too. */
ft_chaos_point_fn ft_chaos_point;
/* The chaos counters and the chaos_sites record(s), from ft_log_exit.
 * async-signal-safe */
struct ft_buf;
void ft_chaos_counters_json(struct ft_buf *b);
void ft_chaos_log(void);

/* delay.c: inject the delay of kind (when configured), for real: not
 * shrunk, not ended by signals. async-signal-safe */
void ft_delay(enum ft_delay_kind kind);
static inline int ft_delay_on(enum ft_delay_kind kind)
{
	return ft_cfg()->delay[kind].hi_ns != 0;
}

/*
 * Put errno back as the caller saw it, storing only when it changed:
 * errno is in the thread's own page, and a page that a parent writes
 * between fork and its child's exit is copied (some 40 us on a VM).
 */
static inline void ft_errno_keep(int saved)
{
	if (errno != saved)
		errno = saved;
}

/*
 * A system call made here rather than through libc's syscall(): -errno on
 * failure, errno untouched. For the paths every fork child takes (its
 * start and its exit): a fork child maps no page of libc's code until it
 * runs it, and each one it runs, or writes (errno), is one more page
 * fault per fork. async-signal-safe
 */
static inline long ft_raw_syscall(long nr, long a, long b, long c, long d,
				  long e)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
#else
	int saved = errno;
	long ret = syscall(nr, a, b, c, d, e);

	if (ret == -1) {
		ret = -errno;
		ft_errno_keep(saved);
	}
	return ret;
#endif
}

/* As ft_raw_syscall, with a sixth argument (mmap's offset). */
static inline long ft_raw_syscall6(long nr, long a, long b, long c, long d,
				   long e, long f)
{
#if defined(__x86_64__)
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	int saved = errno;
	long ret = syscall(nr, a, b, c, d, e, f);

	if (ret == -1) {
		ret = -errno;
		ft_errno_keep(saved);
	}
	return ret;
#endif
}

static inline pid_t ft_getpid(void)
{
	return (pid_t)ft_raw_syscall(SYS_getpid, 0, 0, 0, 0, 0);
}

/* The seed in use (given or drawn at start). */
uint64_t ft_seed(void);

/* argv of the program as seen at start, NULL-terminated (may be NULL). */
char **ft_argv(void);

/*
 * 1 in the process our state belongs to. A fork child that our fork
 * wrapper did not see (_Fork, a raw fork or clone) gets its state reset
 * here and owns it from then on. 0 in a vfork child: it shares the
 * parent's memory and must not touch our state. async-signal-safe
 */
int ft_own_process(void);
/* The same without a system call, mostly, for the wrappers of calls a
 * vfork child may not make (see state.c for why the difference never
 * matters there): threads, fork, spawn, waitpid. */
int ft_own_process_quick(void);
/* The calling thread's tid, cached; only where ft_own_process(). */
pid_t ft_gettid(void);
/* The fork wrapper's: before the real fork, and in its child. */
/* The fork's ordinal and the parent's key, for its child. */
uint64_t ft_fork_prepare(uint64_t *key);
void ft_fork_child(uint64_t ordinal, uint64_t parent_key);

/* log.c: JSON Lines to FLAKETRAP_LOG; every function is async-signal-safe. */
void ft_log_start(void);
/* Whether this call is the one to write the `exit` record (once per
 * process, with a log). */
int ft_log_claim_exit(void);
/* The `exit` record, once claimed; more_counters adds the counters of
 * features above the log (chaos). */
struct ft_buf;
void ft_log_exit_record(const char *how, int code,
			void (*more_counters)(struct ft_buf *b));
/* A new process (start, fork child): its own file, nothing written yet. */
void ft_log_after_fork(void);

/* exit.c: the exit scan and record come last at exit (constructor). */
void ft_exit_register(void);
/*
 * Write the `exit` record once per process, after the records of the
 * features' sites: how is "return", "exit", "_exit", "quick_exit" or
 * "signal"; code is the status or the signal. async-signal-safe
 */
void ft_log_exit(const char *how, int code);

/*
 * altstack.c: the pool of the alternate signal stacks of the threads we
 * start. A slot is its number + 1 (0: none); it is given back with the
 * thread's record, once the thread is gone. ft_alt_give is
 * async-signal-safe.
 */
#define FT_ALT_SIZE (32 * 1024)
uint32_t ft_alt_take(void);
void *ft_alt_slot(uint32_t slot);
void ft_alt_give(uint32_t slot);

/* signal.c: our handler on the signals that end the process (and the
 * stack signal), behind the program's view of them. */
typedef void ft_sigaction_fn(int sig, siginfo_t *si, void *ucontext);
void ft_signal_init(ft_sigaction_fn *handler);
/* Whether sig's real handler is ours, behind the program's SIG_DFL. */
int ft_signal_managed(int sig);
/* sig's real handler is no longer ours (ours is ending the process).
 * async-signal-safe */
void ft_signal_forget(int sig);
/* Whether sig is the stack signal that ours answers (dump.c). */
int ft_signal_stack(int sig);

/* exit.c: the handler of ft_signal_init; the exit record. */
void ft_on_fatal_signal(int sig, siginfo_t *si, void *ucontext);

/* handlers.c: our handler, once installed (NULL before). */
void ft_signal_set_ours(ft_sigaction_fn *handler);
ft_sigaction_fn *ft_signal_ours(void);
/* A signal wrapper saw the program install a handler. */
void ft_signal_program_handler_seen(void);
/* Whether a handler other than ours is, or may have been, installed on
 * any signal (the kernel asked once, for those set before our
 * constructor; the wrappers tell of later ones): async-signal-safe. */
int ft_signal_program_handlers(void);

/* A record: begin it in mem (FT_SCRATCH_SIZE bytes), add keys, end it
 * (writes it); keep is where to cut back if it did not fit. */
#define FT_LINE_MAX 16384
#define FT_LINE_CLOSE 32
#define FT_SCRATCH_SIZE (FT_LINE_MAX + FT_LINE_CLOSE)
struct ft_buf;
void ft_log_begin(struct ft_buf *b, char *mem, const char *event);
void ft_log_end(struct ft_buf *b, size_t keep);
/* Keep the log open across many records (the exit scan), then close it. */
void ft_log_hold(void);
/* ft_log_exit's hold: with nothing_else, the process writes no record but
 * its start and exit, which then may go to the file it inherited. */
void ft_log_hold_exit(int nothing_else);
/* ft_log_release for ft_log_exit's hold: the process is ending. */
void ft_log_release_ending(void);
void ft_log_release(void);
/* As ft_log_end, without the write: the exit scan gathers its records and
 * writes many with ft_log_write_lines (one write(2) each, not one a
 * record: a quarter of its time with 1,100 records). */
void ft_log_finish(struct ft_buf *b, size_t keep);
/* As ft_log_begin, for a record of process pid while ft_log_hold holds
 * the log (its start record written): no system call. */
void ft_log_begin_held(struct ft_buf *b, char *mem, const char *event,
		       pid_t pid);
void ft_log_write_lines(const char *p, size_t len);
/* All of it, through EINTR and short writes: 0, or -1 with errno set.
 * async-signal-safe */
int ft_write_all(int fd, const char *p, size_t len);
/* What was fd 2 at start, kept to write there only while it still is. */
void ft_stderr_note(void);
/* To stderr, unless fd 2 is no longer the file it was at start;
 * async-signal-safe. */
void ft_stderr_write(const char *p, size_t len);

/*
 * testcase.c: the test that runs now. enter makes name (cut to
 * FT_TEST_NAME_MAX - 1 bytes) the process's current test and returns its
 * number (0: none, the table full); leave ends it and returns its number.
 * now is the test a record made by this thread belongs to: the one this
 * thread was made in (inherit, at its start), else the current one.
 * name gives a number's name back, or NULL; async-signal-safe.
 */
#define FT_TEST_NAME_MAX 1024
uint32_t ft_test_enter(const char *name);
uint32_t ft_test_leave(void);
uint32_t ft_test_now(void);
void ft_test_inherit(uint32_t test);
const char *ft_test_name(uint32_t test);

/* children.c: fork and vfork take a creation backtrace in this process. */
int ft_fork_backtraces(void);

/*
 * forkstack.c: a fork's creation backtrace from a copy of its stack,
 * unwound only for a child reported as a leak. FT_FORK_STACKS slots of
 * FT_FORK_STACK_SIZE bytes, given out by the registry.
 */
#define FT_FORK_STACKS 4096
#define FT_FORK_STACK_SIZE 8192
/* Forks may copy their stack: no handler of the program, slots mapped. */
int ft_fork_stacks_usable(void);
/* Copy the caller's registers and stack top into slot; 0 when it cannot. */
int ft_fork_stack_save(uint32_t slot, int64_t tag);
/* Before the program's first handler: libunwind's remote library loaded
 * if copies wait for their unwind. */
void ft_fork_stacks_ready(void);
/* In our handler of a deadly signal: the report loads no library. */
void ft_fork_stacks_in_handler(void);
int ft_fork_stack_frames(uint32_t slot, int64_t tag, uintptr_t *ips, int max);

/* backtrace.c */
void ft_unwind_load(void);
/* The caller's callers, dropping skip frames above the caller. */
int ft_backtrace(uintptr_t *ips, int max, int skip);
/* From a signal handler: the interrupted stack, frame 0 exact. */
int ft_backtrace_signal(void *ucontext, uintptr_t *ips, int max);
/* A crash's stack, loading libunwind in a child when not loaded. */
int ft_backtrace_crash(void *ucontext, uintptr_t *ips, int max);
/* A frame as a JSON object, or as text; is_return: a return address. */
void ft_frame_json(struct ft_buf *b, uintptr_t ip, int is_return);
/* As many whole frames as leave room for the rest of the record; their
 * number. */
int ft_frames_json(struct ft_buf *b, const uintptr_t *ips, int n);
void ft_frame_text(struct ft_buf *b, uintptr_t ip, int is_return);
/* Whether ip is in this library's own code. async-signal-safe as above */
int ft_frame_ours(uintptr_t ip, int is_return);

/* The address range of a module's loaded segments (dl_iterate_phdr's
 * info): [*lo, *hi); *lo > *hi when it has none. */
struct dl_phdr_info;
void ft_module_range(const struct dl_phdr_info *info, uintptr_t *lo,
		     uintptr_t *hi);

/* Frames from the current one outward, by a cursor: async-signal-safe. */
int ft_backtrace_safe(uintptr_t *ips, int max);
/* The same (frame 0 in it), by the cached walk while the program has no
 * signal handler. */
int ft_backtrace_quick(uintptr_t *ips, int max);
/* As ft_backtrace, async-signal-safe, and empty while libunwind is not
 * loaded (ft_unwind_loaded). */
int ft_backtrace_async(uintptr_t *ips, int max, int skip);
/* libunwind loaded: a backtrace can be taken in a signal handler. */
int ft_unwind_loaded(void);
/* As ft_frames_json, every frame a return address (frame 0 too). */
int ft_return_frames_json(struct ft_buf *b, const uintptr_t *ips, int n);
/* What is known of a frame (module, symbol, offset); the strings live as
 * long as the module stays loaded. */
void ft_frame_name(uintptr_t ip, int is_return, struct ft_frame_name *out);
/* The site id of a frame, "module+0x1234" (the module's file name). */
void ft_frame_id(struct ft_buf *b, uintptr_t ip, int is_return);

/*
 * python.c: the Python frames of the calling thread, in a process whose
 * interpreter exports them (CPython's _Py_DumpTraceback and
 * PyGILState_GetThisThreadState), with FLAKETRAP_PYTHON on.
 */
#define FT_PY_FRAMES 8		/* the innermost frames kept */
struct ft_py_frame {
	char function[48];	/* truncated: its head */
	char file[112];		/* truncated: its tail, "..." first */
	unsigned line;		/* 0: unknown */
	/* Frames left out between the one before and this one (library
	 * frames passed over to reach the test's own: python.c). */
	unsigned skipped;
};
struct ft_py_stack {
	int n;
	struct ft_py_frame f[FT_PY_FRAMES];
};
/* From the constructor (normal context): finds the interpreter, if any. */
void ft_python_init(void);
/* A thread's or child's record: its creator's Python frames, where the
 * registry has room for them. async-signal-safe */
struct ft_rec;
void ft_python_note(struct ft_rec *rec);
/* Whether ip is in the interpreter's own module (python3, libpython). */
int ft_python_interpreter(uintptr_t ip);
/* The calling thread's innermost Python frames (out->n 0 when none, or
 * not Python); with wrappers, the frames whose function or file match one
 * are passed over first. errno kept. async-signal-safe */
void ft_python_stack(struct ft_py_stack *out,
		     const struct ft_patterns *wrappers);
/* A frame as the patterns see it: function as symbol, no module. */
void ft_py_frame_name(const struct ft_py_frame *f, struct ft_frame_name *out);
/* ,"python":[{"function":...,"file":...,"line":N},...] when s->n > 0 */
void ft_py_stack_json(struct ft_buf *b, const struct ft_py_stack *s);
/* FNV-1a of a frame's file, line and function: the same in every run
 * (no address in it). async-signal-safe */
uint64_t ft_py_frame_hash(const struct ft_py_frame *f);
/* "file.py:88": a Python site's id (the file's base name). */
void ft_py_site_id(struct ft_buf *b, const struct ft_py_frame *f);

/* sites.c: sleep sites and the patterns that pick sleeps by them. */
#define FT_SITE_FRAMES 8	/* the backtrace kept per site */
struct ft_sleep_call {
	uintptr_t site;		/* 0: unknown (or nothing asked for it) */
	int nframes;		/* frames from the site outward, when unwound */
	uintptr_t frames[FT_SITE_FRAMES];
	/* The site's slot: site, or a Python site's key (py.n > 0). */
	uintptr_t key;
	struct ft_py_stack py;
};
/* Once the configuration is parsed: whether sites are counted or
 * patterns apply (a sleep may come before our constructor). */
void ft_sites_configure(void);
/* From the constructor (normal context): the modules that are no site,
 * libunwind loaded, when needed. Until then a site is the caller. */
void ft_sites_init(void);
/* Whether a sleep may need libunwind to find its site (a log, patterns,
 * sleep wrappers or chaos). */
int ft_sites_unwind(void);
/* Before a sleep returning to ra is decided: 1 when the patterns leave it
 * alone. async-signal-safe */
int ft_sleep_begin(struct ft_sleep_call *c, uintptr_t ra);
/* Once decided: counted at its site (with FLAKETRAP_LOG). async-signal-safe */
void ft_sleep_end(struct ft_sleep_call *c, int64_t req_ns, int64_t slept_ns,
		  int changed);
/* As ft_sleep_begin, for any call and patterns: the site found in *c
 * (0 when unknown), 1 when the patterns leave the call alone. Needs
 * ft_sites_init. async-signal-safe */
int ft_site_pick(struct ft_sleep_call *c, uintptr_t ra,
		 const struct ft_patterns *only, const struct ft_patterns *skip);
/* Whether ip is in one of our libraries (or the libunwind ours loaded).
 * async-signal-safe */
int ft_site_ours(uintptr_t ip);
/* The sleep_sites record(s); from ft_log_exit. async-signal-safe */
void ft_sites_log(void);
void ft_sites_after_fork(void);

/* children.c */
size_t ft_task_children(pid_t tid, pid_t *pids, size_t max);
/* A child was made with no record (see ft_process). async-signal-safe */
void ft_child_unrecorded(void);

/* proc.c: the tids of this process; how many, -1 without /proc. */
long ft_list_tasks(pid_t *tids, size_t max);
/* The same, reading the directory through buf (len bytes). */
long ft_list_tasks_in(pid_t *tids, size_t max, char *buf, size_t len);
/* The same from taskdir, /proc/self/task opened (ft_task_dir, proc.h) and
 * not yet read: a buffer that holds every entry reads the directory once
 * (the kernel walks the thread list from its start at each read). */
long ft_list_tasks_at(int taskdir, pid_t *tids, size_t max, char *buf,
		      size_t len);
/* scan.c: the exit scan, once per process; the caller has seen
 * ft_own_process() (a vfork child must not scan). async-signal-safe */
void ft_exit_scan(void);
void ft_scan_after_fork(void);
/* The process has begun to end (exit called, or main returned):
 * ft_mark_exiting where ft_own_process() has been seen. */
void ft_note_exiting(void);
void ft_mark_exiting(void);
int ft_is_exiting(void);

/* dump.c: stacks on request (flaketrap loop --timeout). */
/* Whether si is a request for stacks (sigqueue with FT_DUMP_REQUEST). */
int ft_dump_requested(const siginfo_t *si);
/* Write every thread's stack to the log; from the signal's handler.
 * async-signal-safe */
void ft_dump_stacks(void *ucontext);

/* crash.c: the crash record. async-signal-safe */
int ft_is_crash_signal(int sig);
void ft_crash_record(int sig, const siginfo_t *si, void *ucontext);


#endif
