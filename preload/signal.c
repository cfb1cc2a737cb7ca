/* SPDX-License-Identifier: MIT */
/*
 * The exit record of a process killed by a signal. With FLAKETRAP_LOG set,
 * each signal whose default action ends the process and that is still at
 * SIG_DFL gets our handler, which writes the record and lets the default
 * action go on (same signal, same core dump). The program never sees it:
 * sigaction() and signal() report and keep the program's own view, and the
 * first handler or SIG_IGN the program sets replaces ours for real.
 * Realtime signals, SIGKILL and SIGSTOP are left alone.
 */
#include <errno.h>
#include <string.h>

#include "ft.h"

/* x86-64 and aarch64: the flag glibc sets on every action it installs. */
#define FT_SA_RESTORER 0x04000000

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

static int is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGTRAP;
}

/* async-signal-safe */
static void on_fatal_signal(int sig, siginfo_t *si, void *uctx)
{
	struct sigaction dfl;
	int saved = errno;

	(void)uctx;
	ft_log_exit("signal", sig);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	atomic_store(&managed[sig], 0);
	ft_real.sigaction(sig, &dfl, NULL);
	/*
	 * A fault raised by an instruction repeats when we return, now with
	 * the default action and the kernel's own siginfo; anything sent
	 * is sent again, pending until this handler returns.
	 */
	if (!(is_fault(sig) && si && si->si_code > 0))
		raise(sig);
	errno = saved;
}

/*
 * Record a SIG_DFL action the program set as libc would report it back:
 * glibc adds SA_RESTORER and its restorer to every action it installs.
 */
static void set_view(int sig, const struct sigaction *act)
{
	struct sigaction cur;

	view[sig] = *act;
	view[sig].sa_flags |= FT_SA_RESTORER;
	if (ft_real.sigaction(sig, NULL, &cur) == 0)
		view[sig].sa_restorer = cur.sa_restorer;
}

/* Put our handler on sig; the program's view stays `program`. */
static int manage(int sig, const struct sigaction *program, int from_program,
		  struct sigaction *real_old)
{
	struct sigaction ours;

	memset(&ours, 0, sizeof(ours));
	ours.sa_sigaction = on_fatal_signal;
	ours.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&ours.sa_mask);
	if (ft_real.sigaction(sig, &ours, real_old) != 0)
		return -1;
	if (from_program)
		set_view(sig, program);
	else
		view[sig] = *program;
	atomic_store(&managed[sig], 1);
	return 0;
}

void ft_signal_init(void)
{
	struct sigaction cur;
	size_t i;
	int sig;

	if (ft_cfg()->log_dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		sig = fatal_signals[i];
		if (ft_real.sigaction(sig, NULL, &cur) == 0 &&
		    cur.sa_handler == SIG_DFL)
			manage(sig, &cur, 0, NULL);
	}
}

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
	    cur.sa_sigaction == on_fatal_signal)
		return 1;
	atomic_store(&managed[sig], 0);
	return 0;
}

FT_EXPORT int sigaction(int sig, const struct sigaction *act,
			struct sigaction *old)
{
	struct sigaction prev;

	ft_real_ensure();
	if (!ft_active() || ft_cfg()->log_dir[0] == '\0')
		return ft_real.sigaction(sig, act, old);
	if (!still_managed(sig)) {
		/* Back to SIG_DFL: ours again, behind the program's view. */
		if (act && act->sa_handler == SIG_DFL && is_fatal(sig))
			return manage(sig, act, 1, old);
		return ft_real.sigaction(sig, act, old);
	}
	prev = view[sig];
	if (act && act->sa_handler == SIG_DFL) {
		set_view(sig, act);
	} else if (act) {
		if (ft_real.sigaction(sig, act, NULL) != 0)
			return -1;
		atomic_store(&managed[sig], 0);
	}
	if (old)
		*old = prev;
	return 0;
}

FT_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act, old;

	ft_real_ensure();
	if (!ft_active() || ft_cfg()->log_dir[0] == '\0' ||
	    handler != SIG_DFL || !is_fatal(sig)) {
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
