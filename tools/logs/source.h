/* SPDX-License-Identifier: MIT */
/*
 * What the log reader's files share: read.c reads a file line by line,
 * record.c checks and keeps each line's record, walk.c finds the files
 * under a directory.
 */
#ifndef FT_LOGS_SOURCE_H
#define FT_LOGS_SOURCE_H

#include <stddef.h>
#include <sys/types.h>

#include "../logs.h"

/* The file being read, and how its problems are told. */
struct source {
	struct ft_logs *l;
	const struct ft_log_file *file;
	unsigned long bad;	/* lines skipped in this file */
};

/* realloc and strdup that end flaketrap (status 2) when memory is out. */
void *ft_logs_xrealloc(void *p, size_t n);
char *ft_logs_xstrdup(const char *s);
/* Grows an array of n elements of size sz to hold one more. */
void *ft_logs_grow(void *arr, size_t n, size_t *cap, size_t sz);

/* A problem with path (at line, unless 0): said on stderr and kept. */
__attribute__((format(printf, 4, 5)))
void ft_logs_error(struct ft_logs *l, const char *path, unsigned long line,
		   const char *fmt, ...);
/* A skipped line: told for the first few of a file, counted always. */
__attribute__((format(printf, 3, 4)))
void ft_logs_bad_line(struct source *src, unsigned long line,
		      const char *fmt, ...);

/*
 * One line: parsed, checked, kept when a report needs it. Returns 0, or -1
 * for a start record of another schema (*schema set): the file is not
 * ours to read.
 */
int ft_logs_take_line(struct source *src, char *text, size_t len,
		      unsigned long lineno, int no_newline, long long *schema);

/* Reads the records of the file path (from its size at the snapshot). */
void ft_logs_read_file(struct ft_logs *l, const char *path);
/* The size path had at the snapshot: 1 and *size set, or 0. */
int ft_logs_snapshot_size(const struct ft_logs *l, const char *path,
			  off_t *size);

#endif
