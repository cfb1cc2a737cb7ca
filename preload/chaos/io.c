/* SPDX-License-Identifier: MIT */
/*
 * Reads, writes and polls. A read is asked before the call, a write after
 * it (the bytes are on their way: held back there, the writer lets its
 * reader run first, and a reply written in two parts arrives in two), a
 * poll after it returned events. libflaketrap.so holds back only at pipes,
 * sockets and event descriptors, never at files. Every wrapper returns
 * what libc returned, with its errno.
 */
#include "chaos.h"

#define READ_LIKE(name, params, args, fd)                                   \
	FT_WRAP(name) __attribute__((symver(#name "@@GLIBC_2.2.5")));        \
	ssize_t w_##name params                                             \
	{                                                                   \
		FT_ENTER;                                                   \
		FT_POINT(read, fd);                                         \
		return ft_next.name args;                                   \
	}

#define WRITE_LIKE(name, params, args, fd)                                  \
	FT_WRAP(name) __attribute__((symver(#name "@@GLIBC_2.2.5")));        \
	ssize_t w_##name params                                             \
	{                                                                   \
		FT_ENTER;                                                   \
		ssize_t r = ft_next.name args;                              \
		if (r > 0)                                                  \
			FT_POINT(write, fd);                                \
		return r;                                                   \
	}

READ_LIKE(read, (int fd, void *buf, size_t n), (fd, buf, n), fd)
READ_LIKE(readv, (int fd, const struct iovec *iov, int n), (fd, iov, n), fd)
READ_LIKE(recv, (int fd, void *buf, size_t n, int flags),
	  (fd, buf, n, flags), fd)
READ_LIKE(recvfrom,
	  (int fd, void *restrict buf, size_t n, int flags,
	   struct sockaddr *restrict from, socklen_t *restrict fromlen),
	  (fd, buf, n, flags, from, fromlen), fd)
READ_LIKE(recvmsg, (int fd, struct msghdr *msg, int flags),
	  (fd, msg, flags), fd)

WRITE_LIKE(write, (int fd, const void *buf, size_t n), (fd, buf, n), fd)
WRITE_LIKE(writev, (int fd, const struct iovec *iov, int n), (fd, iov, n),
	   fd)
WRITE_LIKE(send, (int fd, const void *buf, size_t n, int flags),
	   (fd, buf, n, flags), fd)
WRITE_LIKE(sendto,
	   (int fd, const void *buf, size_t n, int flags,
	    const struct sockaddr *to, socklen_t tolen),
	   (fd, buf, n, flags, to, tolen), fd)
WRITE_LIKE(sendmsg, (int fd, const struct msghdr *msg, int flags),
	   (fd, msg, flags), fd)

FT_WRAP(poll) __attribute__((symver("poll@@GLIBC_2.2.5")));
int w_poll(struct pollfd *fds, nfds_t n, int timeout)
{
	FT_ENTER;
	int r = ft_next.poll(fds, n, timeout);

	if (r > 0)
		FT_POINT(poll, -1);
	return r;
}

FT_WRAP(ppoll) __attribute__((symver("ppoll@@GLIBC_2.4")));
int w_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
	    const sigset_t *mask)
{
	FT_ENTER;
	int r = ft_next.ppoll(fds, n, timeout, mask);

	if (r > 0)
		FT_POINT(poll, -1);
	return r;
}

FT_WRAP(epoll_wait) __attribute__((symver("epoll_wait@@GLIBC_2.3.2")));
int w_epoll_wait(int ep, struct epoll_event *events, int max, int timeout)
{
	FT_ENTER;
	int r = ft_next.epoll_wait(ep, events, max, timeout);

	if (r > 0)
		FT_POINT(poll, -1);
	return r;
}

FT_WRAP(epoll_pwait) __attribute__((symver("epoll_pwait@@GLIBC_2.6")));
int w_epoll_pwait(int ep, struct epoll_event *events, int max, int timeout,
		  const sigset_t *mask)
{
	FT_ENTER;
	int r = ft_next.epoll_pwait(ep, events, max, timeout, mask);

	if (r > 0)
		FT_POINT(poll, -1);
	return r;
}
