/* SPDX-License-Identifier: MIT */
/*
 * The current stack of each running thread, for the exit scan: a signal
 * (FLAKETRAP_STACK_SIGNAL) sent to the thread, whose handler unwinds from
 * where it was interrupted. Never to a thread that blocks the signal, nor
 * to one waiting in a system call the signal would end with EINTR: the
 * scan must not change what the threads it reports do.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "ft.h"
#include "proc.h"
#include "stacks.h"

/* After this long, threads that have not answered are checked for a mask. */
#define FT_STACK_QUICK_NS 20000000LL

static struct ft_stack_req *reqs;
static size_t nreqs;
static atomic_int answered;
static atomic_int closed;
/* A request is going on: reqs and the handler are its. */
static atomic_int busy;

static void on_stack_signal(int sig, siginfo_t *si, void *uc)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int saved = errno;
	size_t i;

	(void)sig;
	(void)si;
	if (atomic_load(&closed) || !reqs)
		return;
	for (i = 0; i < nreqs; i++) {
		if (reqs[i].tid != tid || atomic_load(&reqs[i].done))
			continue;
		reqs[i].n = ft_backtrace_signal(uc, reqs[i].ips,
						FT_STACK_FRAMES);
		if (syscall(SYS_prctl, PR_GET_NAME, reqs[i].comm, 0, 0, 0) != 0)
			reqs[i].comm[0] = '\0';
		atomic_store(&reqs[i].done, 1);
		atomic_fetch_add(&answered, 1);
		syscall(SYS_futex, &answered, FUTEX_WAKE_PRIVATE, 1, NULL,
			NULL, 0);
		break;
	}
	ft_errno_keep(saved);
}

/* The signal mask on the line of /proc/.../status that starts with key. */
static uint64_t status_mask(const char *status, const char *key)
{
	const char *s = strstr(status, key);
	uint64_t mask = 0;
	int c;

	if (!s)
		return 0;
	for (s += strlen(key); *s == '\t' || *s == ' '; s++)
		;
	for (; (c = *s) != 0; s++) {
		if (c >= '0' && c <= '9')
			mask = mask << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			mask = mask << 4 | (uint64_t)(c - 'a' + 10);
		else
			break;
	}
	return mask;
}

/*
 * Whether our signal waits, blocked, at the thread: blocked and still
 * pending. Blocked alone is not enough: a thread running our handler has
 * every signal blocked while it unwinds, and answers soon.
 */
static int held_back(int taskdir, pid_t tid, int sig)
{
	char path[64], buf[2048];
	uint64_t bit;

	if (sig > 64)
		return 0;
	bit = 1ULL << (sig - 1);
	ft_task_path(path, sizeof(path), taskdir, tid, "status");
	if (ft_read_file_at(taskdir, path, buf, sizeof(buf)) < 0)
		return 0;
	return (status_mask(buf, "SigBlk:") & bit) &&
	       (status_mask(buf, "SigPnd:") & bit);
}

/*
 * System calls that a signal ends with EINTR even under SA_RESTART
 * (signal(7)): a thread waiting in one would see its wait cut short by our
 * stack signal, a change of behaviour. Such threads are left alone.
 */
#define FT_CALL(name) \
	{ SYS_##name, "the thread waits in " #name "(), which a signal would" \
		      " end with EINTR" }
static const struct {
	long nr;
	const char *why;
} interruptible_calls[] = {
#ifdef SYS_poll
	FT_CALL(poll),
#endif
#ifdef SYS_select
	FT_CALL(select),
#endif
#ifdef SYS_epoll_wait
	FT_CALL(epoll_wait),
#endif
#ifdef SYS_pause
	FT_CALL(pause),
#endif
#ifdef SYS_epoll_pwait2
	FT_CALL(epoll_pwait2),
#endif
#ifdef SYS_io_pgetevents
	FT_CALL(io_pgetevents),
#endif
	FT_CALL(ppoll), FT_CALL(pselect6), FT_CALL(epoll_pwait),
	FT_CALL(nanosleep), FT_CALL(clock_nanosleep), FT_CALL(rt_sigsuspend),
	FT_CALL(rt_sigtimedwait), FT_CALL(io_getevents), FT_CALL(semop),
	FT_CALL(semtimedop), FT_CALL(msgrcv), FT_CALL(msgsnd),
};

/* Socket calls end with EINTR when the socket has a timeout. */
static const long socket_calls[] = {
	SYS_read, SYS_readv, SYS_write, SYS_writev, SYS_recvfrom,
	SYS_recvmsg, SYS_recvmmsg, SYS_sendto, SYS_sendmsg, SYS_sendmmsg,
	SYS_accept, SYS_accept4, SYS_connect,
};

static int socket_with_timeout(int fd)
{
	struct timeval tv;
	socklen_t len;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	len = sizeof(tv);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0 &&
	    (tv.tv_sec || tv.tv_usec))
		return 1;
	len = sizeof(tv);
	return getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0 &&
	       (tv.tv_sec || tv.tv_usec);
}

/*
 * The last descriptor found in a socket call, and whether it is a socket
 * with a timeout: the threads of one request that wait on one descriptor
 * (a pool reading one pipe or socket) wait on one file, looked at once.
 */
struct fd_memo {
	long fd;	/* -1: none yet */
	int timed;
};

/* Why tid must not get the stack signal now, or NULL. */
static const char *in_interruptible_call(int taskdir, pid_t tid,
					 struct fd_memo *memo)
{
	char path[64], buf[256];
	const char *p = buf;
	long nr, fd;
	size_t i;

	ft_task_path(path, sizeof(path), taskdir, tid, "syscall");
	if (ft_read_line_file_at(taskdir, path, buf, sizeof(buf)) <= 0 ||
	    buf[0] < '0' ||
	    buf[0] > '9')
		return NULL;	/* running in user space, or not in a call */
	nr = ft_parse_long(&p);
	for (i = 0; i < sizeof(interruptible_calls) /
				sizeof(interruptible_calls[0]);
	     i++)
		if (interruptible_calls[i].nr == nr)
			return interruptible_calls[i].why;
	for (i = 0; i < sizeof(socket_calls) / sizeof(socket_calls[0]); i++)
		if (socket_calls[i] == nr)
			break;
	if (i == sizeof(socket_calls) / sizeof(socket_calls[0]))
		return NULL;
	/* The first argument, in hex: the descriptor. */
	if (p[0] != ' ' || p[1] != '0' || p[2] != 'x')
		return NULL;
	fd = (long)ft_parse_hex(&p);
	if (fd != memo->fd) {
		memo->fd = fd;
		memo->timed = socket_with_timeout((int)fd);
	}
	return memo->timed
		       ? "the thread waits on a socket with a timeout, which"
			 " a signal would end with EINTR"
		       : NULL;
}

/*
 * Ask every thread in reqs for its stack: our handler on the stack signal
 * unwinds from inside the thread. Returns why none can be had, or NULL;
 * per thread, why[i] says why that one is missing.
 */
static const char *take(struct ft_stack_req *requests, size_t n,
			const char **why, unsigned flags)
{
	int sig = ft_cfg()->stack_signal;
	struct fd_memo memo = { -1, 0 };
	pid_t pid = getpid();
	struct sigaction ours, old;
	struct timespec wait;
	int64_t deadline;
	int sent = 0, expected, seen, checked = 0, taskdir;
	int64_t quick;
	size_t i;

	if (sig == 0)
		return "FLAKETRAP_STACK_SIGNAL=off";
	/* No wait: no signal either, which would only set 1,000 threads
	 * unwinding while the process ends. */
	if (ft_cfg()->stack_timeout_ns <= 0)
		return "FLAKETRAP_STACK_TIMEOUT=0";
	reqs = requests;
	nreqs = n;
	if (ft_real.sigaction(sig, NULL, &old) != 0)
		return "the stack signal cannot be used";
	if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN &&
	    !ft_signal_managed(sig))
		return "the program handles the stack signal"
		       " (see FLAKETRAP_STACK_SIGNAL)";
	memset(&ours, 0, sizeof(ours));
	ours.sa_sigaction = on_stack_signal;
	ours.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&ours.sa_mask);
	atomic_store(&answered, 0);
	atomic_store(&closed, 0);
	if (ft_real.sigaction(sig, &ours, NULL) != 0)
		return "the stack signal cannot be used";
	/*
	 * The mask is read only for threads slow to answer: a thread that
	 * blocks the signal never does, and reading every thread's status
	 * first would cost the scan more than the stacks.
	 */
	taskdir = ft_task_dir();
	for (i = 0; i < nreqs; i++) {
		if (!(flags & FT_STACKS_INTERRUPT) &&
		    (why[i] = in_interruptible_call(taskdir, reqs[i].tid,
						    &memo)))
			continue;
		if (syscall(SYS_tgkill, pid, reqs[i].tid, sig) != 0)
			why[i] = "the thread is gone";
		else
			sent++;
	}
	expected = sent;
	deadline = ft_monotonic_ns() + ft_cfg()->stack_timeout_ns;
	quick = ft_monotonic_ns() + FT_STACK_QUICK_NS;
	while ((seen = atomic_load(&answered)) < expected) {
		int64_t now = ft_monotonic_ns(), left = deadline - now;

		if (left <= 0)
			break;
		if (now >= quick && !checked) {
			/* Those that block it will not answer: stop waiting. */
			for (i = 0; i < nreqs; i++)
				if (!why[i] && !atomic_load(&reqs[i].done) &&
				    held_back(taskdir, reqs[i].tid, sig)) {
					why[i] = "the thread blocks the stack"
						 " signal";
					expected--;
				}
			checked = 1;
			continue;
		}
		if (!checked && quick - now < left)
			left = quick - now;
		wait.tv_sec = left / 1000000000;
		wait.tv_nsec = left % 1000000000;
		syscall(SYS_futex, &answered, FUTEX_WAIT_PRIVATE, seen, &wait,
			NULL, 0);
	}
	atomic_store(&closed, 1);
	if (taskdir >= 0)
		close(taskdir);
	for (i = 0; i < nreqs; i++)
		if (!why[i] && !atomic_load(&reqs[i].done))
			why[i] = "no answer to the stack signal within"
				 " FLAKETRAP_STACK_TIMEOUT";
	/* A late answer would meet SIG_DFL: keep ours, it does nothing now. */
	if (atomic_load(&answered) == sent)
		ft_real.sigaction(sig, &old, NULL);
	return NULL;
}


/* async-signal-safe */
const char *ft_take_stacks(struct ft_stack_req *requests, size_t n,
			   const char **why, unsigned flags)
{
	const char *all;

	if (atomic_exchange(&busy, 1))
		return "stacks were being taken for another request";
	all = take(requests, n, why, flags);
	atomic_store(&busy, 0);
	return all;
}
