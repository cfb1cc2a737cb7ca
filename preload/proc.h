/* SPDX-License-Identifier: MIT */
/* /proc and memory helpers of the exit scan; all async-signal-safe. */
#ifndef FT_PROC_H
#define FT_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* Anonymous memory of our own, touched only where used; NULL on failure. */
void *ft_map(size_t len);
/* The same, marked MADV_WIPEONFORK: a fork child finds it zeroed, and the
 * parent's pages are never write-protected by a fork. NULL on failure. */
void *ft_map_wiped(size_t len);
/* out = a + n (decimal, unless n < 0) + b */
void ft_proc_path(char *out, size_t len, const char *a, long n, const char *b);
/* The start of a small file, NUL-terminated; its length or -1. */
ssize_t ft_read_file(const char *path, char *buf, size_t len);
/* The same, path relative to dirfd (openat). */
ssize_t ft_read_file_at(int dirfd, const char *path, char *buf, size_t len);
/*
 * A /proc file of one short line the kernel writes whole (a thread's comm,
 * its syscall), in a single read: ft_read_file's second read, to see the
 * end, is a tenth of the exit scan's system calls with 1,000 threads.
 * NUL-terminated; its length or -1.
 */
ssize_t ft_read_line_file(const char *path, char *buf, size_t len);
ssize_t ft_read_line_file_at(int dirfd, const char *path, char *buf,
			     size_t len);
/*
 * /proc/self/task opened (O_DIRECTORY), or -1: a thread's files opened
 * relative to it are found without walking /proc/self/task/ again each
 * time, a third of the cost of each open with 1,000 threads.
 */
int ft_task_dir(void);
/* The numbers in a file (a task's children), into pids; how many. Read to
 * its end, whatever its size. */
size_t ft_read_pids_at(int dirfd, const char *path, pid_t *pids, size_t max);
/* The path of thread tid's file name: relative to taskdir, from
 * ft_task_dir, or from the root when taskdir is -1. */
void ft_task_path(char *out, size_t len, int taskdir, pid_t tid,
		  const char *name);
/*
 * Field n (1-based, as proc(5) numbers them; 3 or more) of the text of a
 * /proc/.../stat file, past the command name, which may hold spaces and
 * parentheses; NULL when the text has no such field.
 */
const char *ft_stat_field(const char *stat, int n);
/* A decimal number at *s after spaces; *s moves past it. */
long ft_parse_long(const char **s);
/* "0x" and lower-case hex digits after spaces, as /proc writes them; 0
 * without the "0x". */
uintptr_t ft_parse_hex(const char **s);
int64_t ft_monotonic_ns(void);

#endif
