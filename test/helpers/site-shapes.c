/* SPDX-License-Identifier: MIT */
/*
 * Sleeps in the shapes that sleep sites must handle. Every sleep is a 1 us
 * nanosleep; exit 0 when each returned 0.
 *   site-shapes many   300 call sites, one sleep each: more than the
 *                      library's table (256) holds, and more than one
 *                      16 KiB record of sites.
 *   site-shapes fork   2 sleeps in parent_naps(), then a child that makes
 *                      1 in child_nap() and exits; the parent waits for it.
 *   site-shapes chain  1 sleep five calls deep: depth1() calls depth2() ...
 *                      calls depth5(), which sleeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

/* Inlined: the function that calls it is the site. */
__attribute__((always_inline)) static inline void nap(void)
{
	static const struct timespec us = { 0, 1000 };

	if (nanosleep(&us, NULL) != 0)
		failures++;
}

/* Each expansion is a call of its own: a site of its own. */
#define NAP_SITE (failures += nanosleep(&(struct timespec){ 0, 1000 }, NULL) != 0)
#define NAP_10                                                              \
	do {                                                                \
		NAP_SITE; NAP_SITE; NAP_SITE; NAP_SITE; NAP_SITE;           \
		NAP_SITE; NAP_SITE; NAP_SITE; NAP_SITE; NAP_SITE;           \
	} while (0)
#define NAP_100                                                             \
	do {                                                                \
		NAP_10; NAP_10; NAP_10; NAP_10; NAP_10;                     \
		NAP_10; NAP_10; NAP_10; NAP_10; NAP_10;                     \
	} while (0)

__attribute__((noinline)) static void many(void)
{
	NAP_100;
	NAP_100;
	NAP_100;
}

__attribute__((noinline)) static void parent_naps(void)
{
	nap();
	nap();
}

__attribute__((noinline)) static void child_nap(void)
{
	nap();
}

static int forked(void)
{
	pid_t pid;
	int status;

	parent_naps();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		child_nap();
		exit(failures ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		failures++;
	return 0;
}

/* Not tail calls: each frame stays on the stack. */
static volatile int depth;
__attribute__((noinline)) static void depth5(void) { nap(); depth++; }
__attribute__((noinline)) static void depth4(void) { depth5(); depth++; }
__attribute__((noinline)) static void depth3(void) { depth4(); depth++; }
__attribute__((noinline)) static void depth2(void) { depth3(); depth++; }
__attribute__((noinline)) static void depth1(void) { depth2(); depth++; }

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "many") == 0)
		many();
	else if (argc == 2 && strcmp(argv[1], "fork") == 0)
		forked();
	else if (argc == 2 && strcmp(argv[1], "chain") == 0)
		depth1();
	else {
		fprintf(stderr, "usage: site-shapes many|fork|chain\n");
		return 2;
	}
	return failures ? 1 : 0;
}
