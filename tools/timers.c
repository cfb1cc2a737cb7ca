/* SPDX-License-Identifier: MIT */
/*
 * The clock file of a run under --timers (preload/warp-link.h): one
 * per run, so that every process of the run's tree shares one clock and
 * one table of waiters, and no two runs (loop's) share theirs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../preload/config.h"
#include "../preload/warp-link.h"
#include "timers.h"

/* warp's hang guards wait under the idle rule too. */
static int timers_on(void)
{
	const char *v = getenv("FLAKETRAP_TIMERS"), *why;
	int mode;

	return v && ft_parse_timers(v, &mode, &why) == 0 &&
	       mode != FT_TIMERS_OFF;
}

int ft_timers_tree_make(char *path, size_t len)
{
	static const char *const dirs[] = { "/dev/shm", NULL, "/tmp" };
	const char *tmpdir = getenv("TMPDIR");
	size_t i;
	int fd = -1;

	*path = '\0';
	if (!timers_on())
		return 0;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && fd < 0; i++) {
		const char *dir = dirs[i] ? dirs[i] : tmpdir;

		if (!dir || !*dir ||
		    snprintf(path, len, "%s/flaketrap-clock.XXXXXX", dir) >=
			    (int)len)
			continue;
		fd = mkstemp(path);
	}
	if (fd < 0) {
		fprintf(stderr, "flaketrap: --timers: cannot make the"
				" clock file of the run: %s\n",
			strerror(errno));
		*path = '\0';
		return -1;
	}
	if (ftruncate(fd, (off_t)sizeof(struct ft_warp_tree)) != 0) {
		fprintf(stderr, "flaketrap: --timers: %s: %s\n", path,
			strerror(errno));
		close(fd);
		unlink(path);
		*path = '\0';
		return -1;
	}
	close(fd);
	return 0;
}

void ft_timers_tree_remove(const char *path)
{
	if (*path)
		unlink(path);
}
