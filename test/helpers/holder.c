/* SPDX-License-Identifier: MIT */
/*
 * holder [ignore-term]: a process a test leaves behind. Says "up" on
 * stdout once it runs, then waits for a signal to end it; with ignore-term
 * SIGTERM does not (only SIGKILL does).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ignore-term"))
		signal(SIGTERM, SIG_IGN);
	if (write(1, "up\n", 3) != 3)
		return 1;
	close(1);
	for (;;)
		pause();
}
