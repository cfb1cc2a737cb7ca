/* SPDX-License-Identifier: MIT */
/*
 * Ending what the command left running. Each leftover is held by a pidfd
 * from the first look on: signals cannot reach a recycled pid, and poll()
 * on the pidfds waits for the end of processes that are not our children
 * (a daemon's own children) without polling /proc.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leftovers.h"
#include "proc.h"

/* After this many rounds of new descendants, give up (a fork bomb). */
#define MAX_ROUNDS 100

struct held {
	int pidfd;		/* -1 once the process has ended */
	size_t idx;		/* in the leftover list */
};

static void oom(void)
{
	perror("flaketrap");
	exit(2);
}

/* Reaps every child of ours that has ended, without waiting. */
static void reap_ended(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int no_child(void)
{
	siginfo_t si;

	return waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WCONTINUED |
					     WNOHANG | WNOWAIT) != 0 &&
	       errno == ECHILD;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until every held process has ended, or until deadline_ms
 * (CLOCK_MONOTONIC; -1: no deadline). Returns how many are left.
 */
static size_t wait_ended(struct held *h, size_t n, long long deadline_ms)
{
	struct pollfd *pfd = malloc((n + 1) * sizeof(*pfd));
	size_t i, live;
	int timeout, r;

	if (!pfd)
		oom();
	for (;;) {
		reap_ended();
		for (i = 0, live = 0; i < n; i++)
			if (h[i].pidfd >= 0) {
				pfd[live].fd = h[i].pidfd;
				pfd[live++].events = POLLIN;
			}
		if (!live)
			break;
		timeout = -1;
		if (deadline_ms >= 0) {
			long long left = deadline_ms - now_ms();

			if (left <= 0)
				break;
			timeout = (int)left;
		}
		r = poll(pfd, live, timeout);
		if (r < 0 && errno != EINTR)
			break;
		/* A readable pidfd: that process has ended. */
		for (i = 0; i < n; i++) {
			size_t j;

			if (h[i].pidfd < 0)
				continue;
			for (j = 0; j < live; j++)
				if (pfd[j].fd == h[i].pidfd && pfd[j].revents) {
					close(h[i].pidfd);
					h[i].pidfd = -1;
				}
		}
	}
	free(pfd);
	reap_ended();
	return live;
}

static void send_all(struct held *h, size_t n, struct ft_leftover *list,
		     int sig)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (h[i].pidfd < 0)
			continue;
		if (pidfd_send_signal(h[i].pidfd, sig, NULL, 0) == 0)
			list[h[i].idx].signal = sig;
		/* A stopped process acts on SIGTERM once it runs again. */
		if (sig == SIGTERM)
			pidfd_send_signal(h[i].pidfd, SIGCONT, NULL, 0);
	}
}

static char *describe(const struct ft_proc *p)
{
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		oom();
	fprintf(f, "%s: ", ft_proc_state_name(p->state));
	ft_proc_put_command(f, p);
	if (fclose(f))
		oom();
	return text;
}

size_t ft_leftovers_end(struct ft_leftover **out, long long grace_ms)
{
	struct ft_leftover *list = NULL;
	struct ft_proctab t;
	struct ft_proc **desc;
	struct held *h;
	size_t n = 0, cap = 0, nd, nh, i;
	int round;

	for (round = 0; round < MAX_ROUNDS; round++) {
		reap_ended();
		/*
		 * No child at all, no descendant: an orphan becomes our
		 * child. Spares reading all of /proc after each clean run.
		 */
		if (no_child())
			break;
		if (ft_proc_scan(&t)) {
			fprintf(stderr, "flaketrap: /proc: %s\n",
				strerror(errno));
			break;
		}
		nd = ft_proc_descendants(&t, getpid(), &desc);
		h = malloc((nd + 1) * sizeof(*h));
		if (!h)
			oom();
		for (i = 0, nh = 0; i < nd; i++) {
			/* A zombie has ended: its parent, or we, reap it. */
			if (desc[i]->state == 'Z')
				continue;
			h[nh].pidfd = pidfd_open(desc[i]->pid, 0);
			if (h[nh].pidfd < 0)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 16;
				list = realloc(list, cap * sizeof(*list));
				if (!list)
					oom();
			}
			list[n].pid = desc[i]->pid;
			list[n].what = describe(desc[i]);
			list[n].signal = 0;
			h[nh++].idx = n++;
		}
		free(desc);
		ft_proctab_free(&t);
		if (!nh) {
			free(h);
			break;
		}
		/*
		 * The first ones get a grace to end cleanly (and log their
		 * exit); what appears while they end gets none.
		 */
		if (round == 0) {
			send_all(h, nh, list, SIGTERM);
			if (wait_ended(h, nh, now_ms() + grace_ms))
				send_all(h, nh, list, SIGKILL);
		} else {
			send_all(h, nh, list, SIGKILL);
		}
		wait_ended(h, nh, -1);
		free(h);
	}
	if (round == MAX_ROUNDS)
		fprintf(stderr, "flaketrap: descendants kept appearing after"
				" %d rounds of SIGKILL; some may be left\n",
			MAX_ROUNDS);
	reap_ended();
	*out = list;
	return n;
}

void ft_leftovers_free(struct ft_leftover *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].what);
	free(list);
}
