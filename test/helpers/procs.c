/* SPDX-License-Identifier: MIT */
/*
 * Process shapes the log and the signal views must survive. Prints what it
 * saw; the output must be the same with and without the library.
 *   trap        dies of int3 (SIGTRAP is a trap: the ip is past it)
 *   alias       sigaction(sig, &a, &a) reports the old action
 *   view        a SIG_DFL action read back as the kernel stores it
 *   vfork       a vfork child changes a disposition, then execs
 *   vforkkill   a vfork child dies of SIGTERM; the parent's view stays
 *   rename      rewrites argv[0], then exits 0
 *   rawfork     a _Fork() child (no atfork handler) exits 7
 *   smallstack  a thread on a 24 KiB stack forks; the child _exit(7)s
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SA_UNSUPPORTED
#define SA_UNSUPPORTED 0x400
#endif

static void handler(int sig)
{
	(void)sig;
}

static const char *name(void (*h)(int))
{
	return h == SIG_DFL ? "SIG_DFL" : h == SIG_IGN ? "SIG_IGN" :
	       h == handler ? "handler" : "foreign";
}

/* What the parent sees of sig after its vfork child is gone. */
static void show_parent_view(const char *label, int sig)
{
	struct sigaction q;

	sigaction(sig, NULL, &q);
	printf("parent %s %s flags=%#x\n", label, name(q.sa_handler),
	       (unsigned)q.sa_flags);
}

static void report_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		perror("waitpid");
	else if (WIFEXITED(st))
		printf("child exited %d\n", WEXITSTATUS(st));
	else
		printf("child killed by signal %d\n", WTERMSIG(st));
}

static void *forker(void *arg)
{
	pid_t pid = fork();

	(void)arg;
	if (pid == 0)
		_exit(7);
	report_child(pid);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	struct sigaction sa, q, *volatile same;
	pthread_attr_t attr;
	pthread_t t;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	if (!strcmp(how, "trap")) {
		__asm__ volatile("int3");
		puts("survived int3");
	} else if (!strcmp(how, "alias")) {
		sa.sa_handler = handler;
		sigaction(SIGTERM, &sa, NULL);
		sa.sa_handler = SIG_DFL;
		/* restrict forbids it, yet programs do it and libc copes */
		same = &sa;
		sigaction(SIGTERM, same, same);
		sigaction(SIGTERM, NULL, &q);
		printf("old=%s now=%s\n", name(sa.sa_handler),
		       name(q.sa_handler));
	} else if (!strcmp(how, "view")) {
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = SA_UNSUPPORTED | SA_RESTART | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, SIGKILL);
		sigaddset(&sa.sa_mask, SIGSTOP);
		sigaddset(&sa.sa_mask, SIGUSR1);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGTERM, NULL, &q);
		printf("%s flags=%#x kill=%d stop=%d usr1=%d\n",
		       name(q.sa_handler), (unsigned)q.sa_flags,
		       sigismember(&q.sa_mask, SIGKILL),
		       sigismember(&q.sa_mask, SIGSTOP),
		       sigismember(&q.sa_mask, SIGUSR1));
	} else if (!strcmp(how, "vfork")) {
		pid = vfork();
		if (pid == 0) {
			signal(SIGINT, SIG_IGN);
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		report_child(pid);
		show_parent_view("SIGINT", SIGINT);
	} else if (!strcmp(how, "vforkkill")) {
		pid = vfork();
		if (pid == 0) {
			raise(SIGTERM);
			_exit(127);
		}
		report_child(pid);
		show_parent_view("SIGTERM", SIGTERM);
	} else if (!strcmp(how, "rename")) {
		strcpy(argv[0], "renamed");
	} else if (!strcmp(how, "rawfork")) {
		pid = _Fork();
		if (pid == 0)
			_exit(7);
		report_child(pid);
	} else if (!strcmp(how, "smallstack")) {
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 24576);
		pthread_create(&t, &attr, forker, NULL);
		pthread_join(t, NULL);
	} else {
		fprintf(stderr, "procs: unknown shape '%s'\n", how);
		return 2;
	}
	return 0;
}
