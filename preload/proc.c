/* SPDX-License-Identifier: MIT */
/*
 * Reading /proc and mapping memory for the exit scan and the wrappers that
 * look at this process's tasks and children: plain system calls only, so
 * all of it is async-signal-safe and nothing touches the program's heap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fmt.h"
#include "ft.h"
#include "proc.h"

void *ft_map(size_t len)
{
	void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *ft_map_wiped(size_t len)
{
	void *p = ft_map(len);

	if (p && madvise(p, len ? len : 1, MADV_WIPEONFORK) != 0) {
		munmap(p, len ? len : 1);
		return NULL;
	}
	return p;
}

void ft_proc_path(char *out, size_t len, const char *a, long n,
		    const char *b)
{
	struct ft_buf p;

	ft_buf_init(&p, out, len);
	ft_buf_str(&p, a);
	if (n >= 0)
		ft_buf_u64(&p, (uint64_t)n);
	ft_buf_str(&p, b);
}

/* The start of a small /proc file, NUL-terminated; its length or -1. */
ssize_t ft_read_file(const char *path, char *buf, size_t len)
{
	return ft_read_file_at(AT_FDCWD, path, buf, len);
}

ssize_t ft_read_file_at(int dirfd, const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

ssize_t ft_read_line_file(const char *path, char *buf, size_t len)
{
	return ft_read_line_file_at(AT_FDCWD, path, buf, len);
}

ssize_t ft_read_line_file_at(int dirfd, const char *path, char *buf,
			     size_t len)
{
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return n;
}

size_t ft_read_pids_at(int dirfd, const char *path, pid_t *pids, size_t max)
{
	char buf[4096];
	size_t n = 0;
	ssize_t len, i;
	long v = -1;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while (n < max) {
		len = read(fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		/* A number may go on in the next read: v carries it. */
		for (i = 0; i < len && n < max; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				v = (v < 0 ? 0 : v * 10) + (buf[i] - '0');
			} else if (v >= 0) {
				pids[n++] = (pid_t)v;
				v = -1;
			}
		}
	}
	if (v >= 0 && n < max)
		pids[n++] = (pid_t)v;
	close(fd);
	return n;
}

int ft_task_dir(void)
{
	return open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void ft_task_path(char *out, size_t len, int taskdir, pid_t tid,
		  const char *name)
{
	struct ft_buf p;

	ft_buf_init(&p, out, len);
	if (taskdir < 0)
		ft_buf_str(&p, "/proc/self/task/");
	ft_buf_u64(&p, (uint64_t)tid);
	ft_buf_char(&p, '/');
	ft_buf_str(&p, name);
}

const char *ft_stat_field(const char *stat, int n)
{
	const char *p = strrchr(stat, ')');
	int field;

	if (!p || n < 3)
		return NULL;
	p++;
	for (field = 3; field <= n; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return NULL;
		if (field == n)
			return p;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

long ft_parse_long(const char **s)
{
	long v = 0;

	while (**s == ' ')
		(*s)++;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (*(*s)++ - '0');
	return v;
}

uintptr_t ft_parse_hex(const char **s)
{
	uintptr_t v = 0;
	int c;

	while (**s == ' ')
		(*s)++;
	if ((*s)[0] != '0' || (*s)[1] != 'x')
		return 0;
	for (*s += 2; ((c = **s) >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
	     (*s)++)
		v = v * 16 + (uintptr_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	return v;
}

/* The tids of this process, into tids; how many, or -1 without /proc. */
long ft_list_tasks(pid_t *tids, size_t max)
{
	char buf[4096];

	return ft_list_tasks_in(tids, max, buf, sizeof(buf));
}

long ft_list_tasks_in(pid_t *tids, size_t max, char *buf, size_t len)
{
	int fd = ft_task_dir();
	long n;

	if (fd < 0)
		return -1;
	n = ft_list_tasks_at(fd, tids, max, buf, len);
	close(fd);
	return n;
}

long ft_list_tasks_at(int taskdir, pid_t *tids, size_t max, char *buf,
		      size_t len)
{
	struct dirent64 *d;
	long n, i;
	size_t count = 0;
	const char *s;

	while ((n = syscall(SYS_getdents64, taskdir, buf, len)) > 0) {
		for (i = 0; i < n; i += d->d_reclen) {
			d = (struct dirent64 *)(buf + i);
			s = d->d_name;
			if (*s < '0' || *s > '9' || count >= max)
				continue;
			tids[count++] = (pid_t)ft_parse_long(&s);
		}
	}
	return (long)count;
}

int64_t ft_monotonic_ns(void)
{
	struct timespec ts;

	ft_clock(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

