/* SPDX-License-Identifier: MIT */
/* Helpers of `flaketrap loop` that bisect shares. */
#ifndef FT_LOOP_H
#define FT_LOOP_H

#include <stdio.h>

/* Run i's seed, derived from the base seed (splitmix64). */
unsigned long long ft_loop_seed(unsigned long long base, long long i);

/* rm -r dir, quietly. */
void ft_remove_tree(const char *dir);

/*
 * mkdir -p dir: 0, or -1 with errno set (ENOTDIR when dir exists and is not
 * a directory).
 */
int ft_mkdir_p(const char *dir);

/* Whether a file can be made in dir: 0, or -1 with errno set. */
int ft_dir_writable(const char *dir);
/* Why the library would refuse dir as its log directory, or NULL. */
const char *ft_log_dir_refusal(const char *dir);
#define FT_LOG_DIR_ADVICE                                                 \
	"another user could plant files there that a report would take"  \
	" for the program's; give a directory of your own"

/* s in single quotes for sh. */
void ft_shell_quote(FILE *f, const char *s);

#endif
