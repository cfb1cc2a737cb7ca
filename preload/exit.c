/* SPDX-License-Identifier: MIT */
/*
 * How the process ends, for the `exit` record: the return from main (seen by
 * wrapping __libc_start_main, since libc calls its internal exit after main),
 * exit, quick_exit, _exit and _Exit. The record itself is written as late as
 * possible: by our last atexit (or at_quick_exit) handler, after the
 * program's handlers and destructors, or in _exit/_Exit, which skip them.
 * The exit delays go at both ends: FLAKETRAP_EXIT_DELAY as exit begins,
 * FLAKETRAP_EXIT_DELAY_LATE just before the record. A process killed by a
 * signal gets its record from the handler signal.c puts on the signals
 * that end it, below.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "ft.h"

/*
 * The process's last records, through one open of its log: a fork child
 * writes its start record here too (docs/development.md, "What a fork
 * costs"), and when it has no sleep site or chaos site to tell, the two
 * go to the file it inherited (docs/log-schema.md). errno is kept by each
 * part that may change it, and not read by the rest: one page of libc
 * less in a fork child. async-signal-safe
 */
void ft_log_exit(const char *how, int code)
{
	if (!ft_log_claim_exit())
		return;
	ft_log_hold_exit(!atomic_load_explicit(&ft_process.counters.sleeps_seen,
					       memory_order_relaxed) &&
			 !ft_chaos_on);
	ft_sites_log();
	ft_chaos_log();
	ft_log_exit_record(how, code, ft_chaos_counters_json);
	ft_log_release_ending();
}

static ft_main_fn *program_main;
static const char *volatile pending_how;
static volatile int pending_status = -1;

static void note_exit(const char *how, int status)
{
	pending_status = status & 0xff;
	pending_how = how;
}

static int main_trampoline(int argc, char **argv, char **envp)
{
	int status = program_main(argc, argv, envp);

	ft_note_exiting();
	note_exit("return", status);
	ft_delay(FT_DELAY_EXIT);
	return status;
}

FT_EXPORT int __libc_start_main(ft_main_fn *main, int argc, char **argv,
				void (*init)(void), void (*fini)(void),
				void (*rtld_fini)(void), void *stack_end)
{
	ft_real_ensure();
	program_main = main;
	return ft_real.__libc_start_main(main_trampoline, argc, argv, init,
					 fini, rtld_fini, stack_end);
}

FT_EXPORT void exit(int status)
{
	ft_real_ensure();
	ft_note_exiting();
	note_exit("exit", status);
	ft_delay(FT_DELAY_EXIT);
	ft_real.exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

/* async-signal-safe */
__attribute__((noreturn)) static void end_now(const char *how, int status,
					      void (*real_end)(int))
{
	/* One getpid for the lot: a vfork child, which does end here, does
	 * none of it. */
	if (ft_active() && ft_own_process()) {
		ft_mark_exiting();
		ft_delay(FT_DELAY_EXIT_LATE);
		ft_exit_scan();
		ft_log_exit(how, status & 0xff);
	}
	real_end(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

/* async-signal-safe */
FT_EXPORT void _exit(int status)
{
	ft_real_ensure();
	end_now("_exit", status, ft_real._exit);
}

/* async-signal-safe */
FT_EXPORT void _Exit(int status)
{
	ft_real_ensure();
	end_now("_Exit", status, ft_real._Exit);
}

static int registered_last, registered_quick_last;

/*
 * Its at_quick_exit handlers end in libc's internal _exit, unseen: the end
 * comes from our own at_quick_exit handler, which runs after the program's,
 * or, without it, before them.
 */
FT_EXPORT void quick_exit(int status)
{
	ft_real_ensure();
	ft_note_exiting();
	note_exit("quick_exit", status);
	ft_delay(FT_DELAY_EXIT);
	if (ft_real.quick_exit && registered_quick_last)
		ft_real.quick_exit(status);
	end_now("quick_exit", status,
		ft_real.quick_exit ? ft_real.quick_exit : ft_real._exit);
}

static void end_of_exit(void)
{
	if (ft_active() && ft_own_process()) {
		ft_mark_exiting();
		ft_delay(FT_DELAY_EXIT_LATE);
		ft_exit_scan();
		ft_log_exit(pending_how ? pending_how : "exit", pending_status);
	}
}

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static void last_exit_handler(void *unused)
{
	(void)unused;
	end_of_exit();
}

static void last_quick_exit_handler(void)
{
	end_of_exit();
}

/*
 * Registered from our constructor, before __libc_start_main registers the
 * dynamic loader's finalizer: exit runs handlers in reverse order, so ours
 * comes after every atexit handler and after every library's destructors
 * (a pool joined in a shared library's destructor is no leak; our own
 * destructor would run before those of the program's libraries).
 */
void ft_exit_register(void)
{
	const struct ft_config *c = ft_cfg();

	if (!c->leaks && c->log_dir[0] == '\0' &&
	    !ft_delay_on(FT_DELAY_EXIT_LATE))
		return;	/* nothing to do at exit: take no atexit slot */
	registered_last = __cxa_atexit(last_exit_handler, NULL, NULL) == 0;
	registered_quick_last = at_quick_exit(last_quick_exit_handler) == 0;
}

/* Only if the handler above could not be registered. */
__attribute__((destructor)) static void ft_destructor(void)
{
	if (!registered_last)
		end_of_exit();
}

static int ignored_by_default(int sig)
{
	return sig == SIGURG || sig == SIGWINCH || sig == SIGCHLD;
}

/*
 * Raised by the instruction that faults, which runs again when the handler
 * returns. Not SIGTRAP: after int3 the instruction pointer is past it.
 */
static int is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE;
}

/* async-signal-safe */
void ft_on_fatal_signal(int sig, siginfo_t *si, void *uctx)
{
	struct sigaction dfl;
	ucontext_t *uc = uctx;
	int saved = errno;

	if (ft_signal_stack(sig) &&
	    (ft_dump_requested(si) || ignored_by_default(sig))) {
		if (ft_dump_requested(si) && ft_own_process())
			ft_dump_stacks(uctx);
		ft_errno_keep(saved);
		return;
	}
	/* A vfork child has its own dispositions but its parent's memory. */
	if (ft_own_process()) {
		if (ft_is_crash_signal(sig)) {
			ft_crash_record(sig, si, uctx);
		} else {
			ft_fork_stacks_in_handler();
			ft_exit_scan();
		}
		ft_log_exit("signal", sig);
		ft_signal_forget(sig);
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	ft_real.sigaction(sig, &dfl, NULL);
	/*
	 * Only this signal may be delivered when we return, so the process
	 * dies of it and not of another one pending meanwhile. A fault
	 * repeats by itself, with the kernel's own siginfo; anything sent is
	 * sent again.
	 */
	sigfillset(&uc->uc_sigmask);
	sigdelset(&uc->uc_sigmask, sig);
	if (!(is_fault(sig) && si && si->si_code > 0))
		raise(sig);
	ft_errno_keep(saved);
}
