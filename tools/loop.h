/* SPDX-License-Identifier: MIT */
/* What `flaketrap loop` shares with bisect. */
#ifndef FT_LOOP_H
#define FT_LOOP_H

/* Run i's seed, derived from the base seed (splitmix64). */
unsigned long long ft_loop_seed(unsigned long long base, long long i);

#endif
