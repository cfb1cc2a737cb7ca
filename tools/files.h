/* SPDX-License-Identifier: MIT */
/* Directories the commands make and remove (run, loop, bisect). */
#ifndef FT_FILES_H
#define FT_FILES_H

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

#endif
