/* SPDX-License-Identifier: MIT */
/*
 * Whether the program has signal handlers of its own, for the backtrace's
 * choice of walk (a handler may run in the middle of one). Told by the
 * signal wrappers (signal.c), which also say which handler is ours; the
 * kernel is asked once for the handlers set before our constructor.
 */
#include <errno.h>

#include "ft.h"

/* Once a handler of the program is seen, one may always be running:
 * fork asks the kernel no more. The kernel is asked once, for handlers
 * set before our constructor; later ones go through the wrappers
 * (sigaction, signal, sigset, sysv_signal, bsd_signal). */
static atomic_int program_handler_seen;
static atomic_int kernel_asked;
static ft_sigaction_fn *ours;

void ft_signal_set_ours(ft_sigaction_fn *handler)
{
	ours = handler;
}

ft_sigaction_fn *ft_signal_ours(void)
{
	return ours;
}

void ft_signal_program_handler_seen(void)
{
	atomic_store(&program_handler_seen, 1);
}

int ft_signal_program_handlers(void)
{
	struct sigaction cur;
	int sig, saved = errno, found;

	if (atomic_load(&program_handler_seen))
		return 1;
	if (atomic_load(&kernel_asked))
		return 0;
	atomic_store(&kernel_asked, 1);
	/* glibc refuses its own two signals (EINVAL): they never fork. */
	for (sig = 1, found = 0; sig < NSIG && !found; sig++)
		found = ft_real.sigaction(sig, NULL, &cur) == 0 &&
			cur.sa_handler != SIG_DFL &&
			cur.sa_handler != SIG_IGN &&
			cur.sa_sigaction != ours;
	if (found)
		atomic_store(&program_handler_seen, 1);
	ft_errno_keep(saved);
	return found;
}
