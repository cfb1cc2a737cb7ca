/* SPDX-License-Identifier: MIT */
/* nap COUNT NS: COUNT relative nanosleeps of NS nanoseconds each, so the
 * requested total is exactly COUNT * NS. Exit 0 when each returned 0. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long count, i;
	long long ns;
	struct timespec ts;

	if (argc != 3) {
		fprintf(stderr, "usage: nap COUNT NS\n");
		return 2;
	}
	count = atol(argv[1]);
	ns = atoll(argv[2]);
	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	for (i = 0; i < count; i++)
		if (nanosleep(&ts, NULL) != 0) {
			perror("nanosleep");
			return 1;
		}
	return 0;
}
