/* SPDX-License-Identifier: MIT */
/*
 * Where the exit delays fall: prints "main NS" (CLOCK_REALTIME, as the
 * log's time_ns) just before it ends in the way argv[1] says (return,
 * exit, quick_exit, _exit), and "handler NS" from its atexit (or
 * at_quick_exit) handler. The gaps to the log's exit record tell which
 * side of the handlers each delay is on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stamp(const char *what)
{
	struct timespec now;
	char line[64];
	int n;

	clock_gettime(CLOCK_REALTIME, &now);
	n = snprintf(line, sizeof(line), "%s %lld\n", what,
		     (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	if (write(1, line, (size_t)n) != n)
		_exit(3);
}

static void handler(void)
{
	stamp("handler");
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "return";

	atexit(handler);
	at_quick_exit(handler);
	stamp("main");
	if (!strcmp(how, "exit"))
		exit(0);
	if (!strcmp(how, "quick_exit"))
		quick_exit(0);
	if (!strcmp(how, "_exit"))
		_exit(0);
	return 0;
}
