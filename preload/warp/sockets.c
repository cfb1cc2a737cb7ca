/* SPDX-License-Identifier: MIT */
/*
 * TCP in flight, for the idle rule: two threads of a tree talking over
 * loopback TCP can both be blocked while the kernel holds their bytes for
 * a moment (delayed acknowledgements, window updates: tens of ms). The
 * tree then looks idle, yet will go on. So before a jump, the sockets the
 * tree's processes hold are looked up in /proc/self/net/tcp and tcp6: one
 * with bytes sent and not yet acknowledged (tx_queue) means the network
 * is still working. Async-signal-safe: raw system calls, no allocation.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "warp.h"

#define MAX_SOCKETS 512
#define FD_DIRENT_BYTES 2048
#define NET_CHUNK 4096
#define NET_LINE 512

struct socket_set {
	uint64_t inodes[MAX_SOCKETS];
	int n;
};

/* The inodes of the sockets process pid holds ("socket:[N]" links). */
static void add_sockets(struct socket_set *set, pid_t pid)
{
	char dir[64], link[96], target[64], dents[FD_DIRENT_BYTES];
	size_t at = 0, base;
	long n, off;
	int fd;

	if (ft_path_add(dir, sizeof(dir), &at, "/proc/", pid) < 0 ||
	    ft_path_add(dir, sizeof(dir), &at, "/fd", -1) < 0)
		return;
	fd = (int)syscall(SYS_openat, AT_FDCWD, dir,
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	base = at;
	__builtin_memcpy(link, dir, at + 1);
	while (set->n < MAX_SOCKETS &&
	       (n = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		for (off = 0; off < n && set->n < MAX_SOCKETS;) {
			unsigned short reclen;
			const char *name = dents + off + 19, *p;
			ssize_t len;
			uint64_t ino = 0;

			__builtin_memcpy(&reclen, dents + off + 16,
					 sizeof(reclen));
			off += reclen;
			if (*name < '0' || *name > '9')
				continue;
			at = base;
			if (ft_path_add(link, sizeof(link), &at, "/", -1) < 0 ||
			    ft_path_add(link, sizeof(link), &at, name, -1) < 0)
				continue;
			len = (ssize_t)syscall(SYS_readlinkat, AT_FDCWD, link,
					       target, sizeof(target) - 1);
			if (len < 9)
				continue;
			target[len] = '\0';
			if (__builtin_memcmp(target, "socket:[", 8) != 0)
				continue;
			for (p = target + 8; *p >= '0' && *p <= '9'; p++)
				ino = ino * 10 + (uint64_t)(*p - '0');
			set->inodes[set->n++] = ino;
		}
	}
	syscall(SYS_close, fd);
}

static int held(const struct socket_set *set, uint64_t ino)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (set->inodes[i] == ino)
			return 1;
	return 0;
}

static unsigned long hex(const char **p)
{
	unsigned long v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned long)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned long)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned long)(c - 'a' + 10);
		else
			return v;
	}
}

/* Skips to the start of the next whitespace-separated field. */
static const char *next_field(const char *p)
{
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/*
 * One line of /proc/net/tcp: "sl local remote st tx_queue:rx_queue tr:when
 * retrnsmt uid timeout inode ...". Whether it is one of ours with bytes
 * not yet acknowledged.
 */
static int line_in_flight(const char *line, const struct socket_set *set)
{
	const char *p = line;
	unsigned long tx;
	uint64_t ino = 0;
	int i;

	while (*p == ' ')
		p++;
	for (i = 0; i < 4 && *p; i++)	/* to tx_queue:rx_queue */
		p = next_field(p);
	tx = hex(&p);
	for (i = 0; i < 5 && *p; i++)	/* to inode */
		p = next_field(p);
	for (; *p >= '0' && *p <= '9'; p++)
		ino = ino * 10 + (uint64_t)(*p - '0');
	return tx != 0 && held(set, ino);
}

static int table_in_flight(const char *path, const struct socket_set *set)
{
	char chunk[NET_CHUNK], line[NET_LINE];
	size_t len = 0;
	ssize_t n, i;
	int fd, found = 0, first = 1;

	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (!found && (n = (ssize_t)syscall(SYS_read, fd, chunk,
					       sizeof(chunk))) > 0) {
		for (i = 0; i < n && !found; i++) {
			if (chunk[i] != '\n') {
				if (len + 1 < sizeof(line))
					line[len++] = chunk[i];
				continue;
			}
			line[len] = '\0';
			/* The first line names the columns. */
			if (!first)
				found = line_in_flight(line, set);
			first = 0;
			len = 0;
		}
	}
	syscall(SYS_close, fd);
	return found;
}

int ft_idle_tcp_in_flight(const pid_t *pids, int n)
{
	struct socket_set set;
	int i;

	set.n = 0;
	for (i = 0; i < n; i++)
		add_sockets(&set, pids[i]);
	if (set.n == 0)
		return 0;
	return table_in_flight("/proc/self/net/tcp", &set) ||
	       table_in_flight("/proc/self/net/tcp6", &set);
}
