/* SPDX-License-Identifier: MIT */
/*
 * Our handler on the signals that end the process. With FLAKETRAP_LOG set,
 * each signal whose default action ends the process and that is still at
 * SIG_DFL gets the handler (exit.c's), which writes the exit record and
 * lets the default action go on (same signal, same core dump). The program never sees it:
 * sigaction() and signal() report and keep the program's own view, and the
 * first handler or SIG_IGN the program sets replaces ours for real.
 * Realtime signals, SIGKILL and SIGSTOP are left alone, but for the stack
 * signal: with a log it gets our handler too, to answer requests for
 * stacks (dump.c); any other arrival of it gets its default action.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "ft.h"

static const int fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
	SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
};

/* Signals whose real handler is ours; view[] is what the program set. */
static atomic_char managed[NSIG];
static struct sigaction view[NSIG];

static int is_fatal(int sig)
{
	size_t i;

	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		if (fatal_signals[i] == sig)
			return 1;
	return 0;
}

/*
 * The stack signal, with a log and FLAKETRAP_STACK_REQUESTS: our handler
 * answers requests for stacks (dump.c) on it, when its default action is
 * to end the process (the handler then does as for any deadly signal) or
 * to ignore it. Only on request: a handler on a signal ignored by default
 * makes a stray one end poll or epoll_wait with EINTR.
 */
int ft_signal_stack(int sig)
{
	return ft_cfg()->log_dir[0] != '\0' && ft_cfg()->stack_requests &&
	       sig == ft_cfg()->stack_signal &&
	       (is_fatal(sig) || sig == SIGURG || sig == SIGWINCH ||
		sig == SIGCHLD || (sig >= SIGRTMIN && sig <= SIGRTMAX));
}

/* The signals we put our handler on: all deadly ones with a log (for the
 * exit record), the crash signals with FLAKETRAP_CRASH, the stack signal. */
static int wants(int sig)
{
	return (ft_cfg()->log_dir[0] != '\0' && is_fatal(sig)) ||
	       (ft_cfg()->crash && ft_is_crash_signal(sig)) ||
	       ft_signal_stack(sig);
}

static void fill_ours(struct sigaction *ours)
{
	memset(ours, 0, sizeof(*ours));
	ours->sa_sigaction = ft_signal_ours();
	/* A stack overflow leaves no stack to run on but the alternate. */
	ours->sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigfillset(&ours->sa_mask);
}

/*
 * Put our handler on sig and remember `program` (a SIG_DFL action the
 * program set) as the kernel would have stored it: the kernel drops the
 * flags it does not know and SIGKILL/SIGSTOP from the mask, and glibc adds
 * its restorer. Installing it once with our handler in place of SIG_DFL
 * and reading it back gives exactly that, with no moment at SIG_DFL.
 */
static int manage(int sig, const struct sigaction *program,
		  struct sigaction *real_old)
{
	struct sigaction ours, probe, stored, want = *program;

	fill_ours(&probe);
	probe.sa_flags = want.sa_flags | SA_SIGINFO;
	probe.sa_mask = want.sa_mask;
	if (ft_real.sigaction(sig, &probe, real_old) != 0 ||
	    ft_real.sigaction(sig, NULL, &stored) != 0)
		return -1;
	stored.sa_handler = SIG_DFL;
	if (!(want.sa_flags & SA_SIGINFO))
		stored.sa_flags &= ~SA_SIGINFO;
	fill_ours(&ours);
	ft_real.sigaction(sig, &ours, NULL);
	view[sig] = stored;
	atomic_store(&managed[sig], 1);
	return 0;
}

/*
 * The main thread's alternate signal stack, for the crash record of a
 * stack overflow (threads made by pthread_create get theirs in threads.c).
 * Mapped, never from the heap, with a guard page below; left alone when
 * the program (or a runtime loaded before us) has set one already.
 */
#define FT_MAIN_ALTSTACK (64 * 1024)

static void main_altstack(void)
{
	stack_t ss, old;
	long page = sysconf(_SC_PAGESIZE);
	char *mem;

	if (sigaltstack(NULL, &old) != 0 || !(old.ss_flags & SS_DISABLE))
		return;
	mem = mmap(NULL, FT_MAIN_ALTSTACK + (size_t)page,
		   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return;
	mprotect(mem, (size_t)page, PROT_NONE);
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = mem + page;
	ss.ss_size = FT_MAIN_ALTSTACK;
	if (sigaltstack(&ss, NULL) != 0)
		munmap(mem, FT_MAIN_ALTSTACK + (size_t)page);
}

void ft_signal_init(ft_sigaction_fn *handler)
{
	struct sigaction cur, ours;
	size_t i;
	int sig;

	if (ft_cfg()->log_dir[0] == '\0' && !ft_cfg()->crash)
		return;
	if (ft_cfg()->crash)
		main_altstack();
	ft_signal_set_ours(handler);
	fill_ours(&ours);
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		sig = fatal_signals[i];
		if (!wants(sig) || ft_real.sigaction(sig, NULL, &cur) != 0 ||
		    cur.sa_handler != SIG_DFL)
			continue;
		/* The program's view is what the kernel reports now. */
		view[sig] = cur;
		if (ft_real.sigaction(sig, &ours, NULL) == 0)
			atomic_store(&managed[sig], 1);
	}
	sig = ft_cfg()->stack_signal;
	if (sig > 0 && sig < NSIG && !is_fatal(sig) && wants(sig) &&
	    ft_real.sigaction(sig, NULL, &cur) == 0 &&
	    cur.sa_handler == SIG_DFL) {
		view[sig] = cur;
		if (ft_real.sigaction(sig, &ours, NULL) == 0)
			atomic_store(&managed[sig], 1);
	}
}

/*
 * A handler of the program may call fork, or sleep, whose backtrace or
 * site must then not load libunwind (dlopen, malloc): load it before the
 * handler can run, while the program installs it. Normal context: no
 * handler of its could be running before this first one (those set before
 * our constructor or by a path we do not wrap are asked of the kernel:
 * ft_signal_program_handlers).
 */
static void before_program_handler(sighandler_t handler)
{
	if (handler == SIG_DFL || handler == SIG_IGN || handler == SIG_ERR)
		return;
	ft_signal_program_handler_seen();
	if (!ft_unwind_loaded() && (ft_fork_backtraces() || ft_sites_unwind()))
		ft_unwind_load();
	if (ft_fork_backtraces())
		ft_fork_stacks_ready();
}

/*
 * The other ways to set a handler only tell before_program_handler (fork's
 * backtrace then takes the signal-safe walk); what they set is the real
 * view, as for a raw system call (still_managed).
 */
static int is_handler(sighandler_t disp)
{
	return disp != SIG_HOLD;
}

FT_EXPORT sighandler_t sigset(int sig, sighandler_t disp)
{
	if (is_handler(disp))
		before_program_handler(disp);
	return ft_real.sigset(sig, disp);
}

#define FT_OTHER_SIGNAL(name)                                         \
	FT_EXPORT sighandler_t name(int sig, sighandler_t handler)    \
	{                                                             \
		before_program_handler(handler);                      \
		return ft_real.name(sig, handler);                    \
	}
FT_OTHER_SIGNAL(sysv_signal)
/* What signal() is with strict X/Open feature macros (signal.h). */
FT_OTHER_SIGNAL(__sysv_signal)
FT_OTHER_SIGNAL(bsd_signal)
FT_OTHER_SIGNAL(ssignal)
#undef FT_OTHER_SIGNAL

/*
 * Still ours for real? A program may have changed it by a path we do not
 * wrap (sigset, a raw syscall): then its view is the real one again.
 */
static int still_managed(int sig)
{
	struct sigaction cur;

	if (sig <= 0 || sig >= NSIG || !atomic_load(&managed[sig]))
		return 0;
	if (ft_real.sigaction(sig, NULL, &cur) == 0 &&
	    cur.sa_sigaction == ft_signal_ours())
		return 1;
	atomic_store(&managed[sig], 0);
	return 0;
}

/* Whether sig's real handler is ours, behind the program's SIG_DFL. */
int ft_signal_managed(int sig)
{
	return still_managed(sig);
}

/* async-signal-safe */
void ft_signal_forget(int sig)
{
	atomic_store(&managed[sig], 0);
}

/*
 * Whether the wrappers below keep a view at all: only with a log, and
 * not in a vfork child, whose dispositions are its own but whose memory
 * (managed[], view[]) is its parent's.
 */
static int keeping_views(void)
{
	return ft_active() &&
	       (ft_cfg()->log_dir[0] != '\0' || ft_cfg()->crash) &&
	       ft_own_process();
}

FT_EXPORT int sigaction(int sig, const struct sigaction *act,
			struct sigaction *old)
{
	struct sigaction prev, want;

	if (act)
		before_program_handler(act->sa_handler);
	if (!keeping_views())
		return ft_real.sigaction(sig, act, old);
	if (!still_managed(sig)) {
		/* Back to SIG_DFL: ours again, behind the program's view. */
		if (act && act->sa_handler == SIG_DFL && wants(sig))
			return manage(sig, act, old);
		return ft_real.sigaction(sig, act, old);
	}
	prev = view[sig];
	if (act) {
		want = *act;	/* act and old may be the same memory */
		if (want.sa_handler == SIG_DFL) {
			if (manage(sig, &want, NULL) != 0)
				return -1;
		} else {
			if (ft_real.sigaction(sig, &want, NULL) != 0)
				return -1;
			atomic_store(&managed[sig], 0);
		}
	}
	if (old)
		*old = prev;
	return 0;
}

FT_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act, old;

	before_program_handler(handler);
	if (!keeping_views())
		return ft_real.signal(sig, handler);
	if (handler != SIG_DFL || !wants(sig)) {
		if (still_managed(sig)) {
			old = view[sig];
			if (ft_real.signal(sig, handler) == SIG_ERR)
				return SIG_ERR;
			atomic_store(&managed[sig], 0);
			return old.sa_handler;
		}
		return ft_real.signal(sig, handler);
	}
	/* What glibc's signal() installs: BSD semantics. */
	memset(&act, 0, sizeof(act));
	act.sa_handler = SIG_DFL;
	act.sa_flags = SA_RESTART;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}
