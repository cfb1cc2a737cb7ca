/* SPDX-License-Identifier: MIT */
/*
 * How the process ends, for the `exit` record: the return from main (seen by
 * wrapping __libc_start_main, since libc calls its internal exit after main),
 * exit, quick_exit, _exit and _Exit. The record itself is written as late as
 * possible: by our destructor, after the program's atexit handlers and
 * destructors, or in _exit/_Exit, which skip them.
 */
#include <sys/syscall.h>

#include "ft.h"

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
	ft_real.exit(status);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

/* async-signal-safe */
__attribute__((noreturn)) static void end_now(const char *how, int status,
					      void (*real_end)(int))
{
	if (ft_active()) {
		ft_note_exiting();
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

/* Its at_quick_exit handlers end in libc's internal _exit: log first. */
FT_EXPORT void quick_exit(int status)
{
	ft_real_ensure();
	end_now("quick_exit", status,
		ft_real.quick_exit ? ft_real.quick_exit : ft_real._exit);
}

static void end_of_exit(void)
{
	if (ft_active()) {
		ft_note_exiting();
		ft_exit_scan();
		ft_log_exit(pending_how ? pending_how : "exit", pending_status);
	}
}

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);

static int registered_last;

static void last_exit_handler(void *unused)
{
	(void)unused;
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
	if (!ft_cfg()->leaks && ft_cfg()->log_dir[0] == '\0')
		return;	/* nothing to do at exit: take no atexit slot */
	registered_last = __cxa_atexit(last_exit_handler, NULL, NULL) == 0;
}

/* Only if the handler above could not be registered. */
__attribute__((destructor)) static void ft_destructor(void)
{
	if (!registered_last)
		end_of_exit();
}
