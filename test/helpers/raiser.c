/* SPDX-License-Identifier: MIT */
/*
 * Ends in the way argv[1] says, to test the exit record and the signal
 * dispositions the program sees:
 *   term    raise(SIGTERM) with the default action
 *   segv    a real invalid memory access
 *   handled a handler of its own for SIGTERM, which calls exit(7)
 *   query   prints what sigaction() and signal() report (same output with
 *           and without the library), then dies of SIGHUP after setting it
 *           back to SIG_DFL
 *   exit N / _exit N / return N / quick_exit N
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* volatile: the compiler may not see that it stays NULL. */
static volatile int *volatile bad_address;

static void on_term(int sig)
{
	(void)sig;
	exit(7);
}

static void show(const char *what, int sig)
{
	struct sigaction sa;

	sigaction(sig, NULL, &sa);
	printf("%s: %s flags=%#x\n", what,
	       sa.sa_handler == SIG_DFL ? "SIG_DFL" :
	       sa.sa_handler == SIG_IGN ? "SIG_IGN" :
	       sa.sa_handler == on_term ? "on_term" : "other",
	       (unsigned)sa.sa_flags);
}

static int query(void)
{
	struct sigaction sa;

	show("SIGHUP at start", SIGHUP);
	show("SIGSEGV at start", SIGSEGV);
	printf("signal() returned the default: %d\n",
	       signal(SIGHUP, on_term) == SIG_DFL);
	show("SIGHUP after signal(on_term)", SIGHUP);
	printf("signal() returned on_term: %d\n",
	       signal(SIGHUP, SIG_DFL) == on_term);
	show("SIGHUP after signal(SIG_DFL)", SIGHUP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR1, &sa, NULL);
	show("SIGUSR1 ignored", SIGUSR1);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	show("SIGUSR1 back to default", SIGUSR1);
	fflush(stdout);
	raise(SIGHUP);
	return 99;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	int code = argc > 2 ? atoi(argv[2]) : 0;
	struct sigaction sa;

	if (!strcmp(how, "term"))
		raise(SIGTERM);
	if (!strcmp(how, "segv"))
		*bad_address = 1;
	if (!strcmp(how, "handled")) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigaction(SIGTERM, &sa, NULL);
		raise(SIGTERM);
	}
	if (!strcmp(how, "query"))
		return query();
	if (!strcmp(how, "exit"))
		exit(code);
	if (!strcmp(how, "_exit"))
		_exit(code);
	if (!strcmp(how, "quick_exit"))
		quick_exit(code);
	if (!strcmp(how, "return"))
		return code;
	fprintf(stderr, "raiser: unknown way '%s'\n", how);
	return 99;
}
