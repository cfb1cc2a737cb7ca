/* SPDX-License-Identifier: MIT */
/*
 * tree: makes a process tree of known shape and states for `flaketrap
 * children`, prints "B C D E" (their pids) on stdout once every one is in
 * its state, then holds it until stdin ends, and takes it down.
 *   B  `cat -` blocked reading a pipe (sleeping), parent of
 *   C  a busy loop (running)
 *   D  stopped by SIGSTOP
 *   E  exited, never reaped (zombie)
 * Each dies with its parent (PR_SET_PDEATHSIG): a killed test leaves
 * nothing behind.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Does /proc say pid is comm in state? */
static int is(pid_t pid, const char *comm, char state)
{
	char path[64], buf[512], want[80], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "(%s) %c ", comm, state);
	p = strchr(buf, '(');
	return p && !strncmp(p, want, strlen(want));
}

int main(void)
{
	pid_t root = getpid(), b, c, d, e;
	int hold[2], info[2];
	char buf[64];
	siginfo_t si;
	ssize_t n;

	if (pipe(hold) || pipe(info))
		die("pipe");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != root)
			_exit(1);
		close(info[0]);
		c = fork();
		if (c == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				;
		}
		if (c < 0 || write(info[1], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		close(info[1]);
		dup2(hold[0], 0);
		close(hold[0]);
		close(hold[1]);
		execlp("cat", "cat", "-", (char *)NULL);
		_exit(127);
	}
	close(hold[0]);
	close(info[1]);
	if (read(info[0], &c, sizeof(c)) != sizeof(c))
		die("read");
	close(info[0]);
	d = fork();
	if (d == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		raise(SIGSTOP);
		_exit(0);
	}
	e = fork();
	if (e == 0)
		_exit(0);
	if (d < 0 || e < 0)
		die("fork");
	if (waitpid(d, NULL, WUNTRACED) != d)
		die("waitpid");
	if (waitid(P_PID, (id_t)e, &si, WEXITED | WNOWAIT))
		die("waitid");
	/*
	 * B is ready once it is cat, blocked on the pipe: wait for the kernel
	 * to say so (C has been running since its fork).
	 */
	while (!is(b, "cat", 'S'))
		sched_yield();
	printf("%d %d %d %d\n", (int)b, (int)c, (int)d, (int)e);
	fflush(stdout);
	while ((n = read(0, buf, sizeof(buf))) > 0)
		;
	kill(c, SIGKILL);
	kill(d, SIGKILL);
	close(hold[1]);
	waitpid(b, NULL, 0);
	waitpid(d, NULL, 0);
	waitpid(e, NULL, 0);
	return 0;
}
