/* SPDX-License-Identifier: MIT */
#ifndef FT_TOOLS_TIMERS_H
#define FT_TOOLS_TIMERS_H

#include <stddef.h>

/*
 * Under FLAKETRAP_TIMERS=warp or idle: makes the clock file of a run (in
 * /dev/shm, else $TMPDIR or /tmp), which the caller names in
 * FT_WARP_TREE_ENV (FLAKETRAP_TIMERS_TREE) for the command it starts;
 * path is "" with the timers off. 0, or -1 with a message on stderr.
 */
int ft_timers_tree_make(char *path, size_t len);

/* Removes it when the run has ended (its processes keep their mapping). */
void ft_timers_tree_remove(const char *path);

#endif
