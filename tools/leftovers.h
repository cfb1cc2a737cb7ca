/* SPDX-License-Identifier: MIT */
/*
 * The descendants that outlive the command `flaketrap run` ran (which, as a
 * child subreaper, it inherits): found from /proc, described, then ended
 * (SIGTERM, then SIGKILL after a grace) and reaped, so nothing a test left
 * keeps running after run returns.
 */
#ifndef FT_LEFTOVERS_H
#define FT_LEFTOVERS_H

#include <sys/types.h>

/* How long a leftover has to end after SIGTERM before SIGKILL, by default. */
#define FT_LEFTOVER_GRACE_DEFAULT "2s"

struct ft_leftover {
	pid_t pid;
	char *what;		/* "state: command line", taken before the end */
	int signal;		/* what ended it: SIGTERM, SIGKILL, or 0 */
};

/*
 * Finds every live (not zombie) descendant of this process, records what
 * each is, ends them all and reaps them. Returns how many there were, the
 * list in *out (free with ft_leftovers_free).
 */
size_t ft_leftovers_end(struct ft_leftover **out, long long grace_ms);

void ft_leftovers_free(struct ft_leftover *list, size_t n);

#endif
