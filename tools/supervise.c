/* SPDX-License-Identifier: MIT */
/*
 * One run of CMD in a supervisor process: see supervise.h. The supervisor
 * is a fork of the tool, so a run costs one fork more than CMD's own, and
 * no exec; CMD itself starts by vfork and exec. It waits on a signalfd (SIGCHLD: CMD or an orphan of its tree
 * ended; SIGTERM: stop) with the timeout as the poll's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../preload/dump.h"
#include "commands.h"
#include "logs.h"
#include "proc.h"
#include "report.h"
#include "summary.h"
#include "supervise.h"
#include "timers.h"

/* How the library's records of a request begin (preload/dump.c). */
#define DUMP_END "{\"event\":\"stack_dump\","

/* Beyond FLAKETRAP_STACK_TIMEOUT, how long asked processes get to write. */
#define DUMP_MARGIN_NS 2000000000LL

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Whether pid has libflaketrap.so mapped: only it answers a request. */
static int has_library(pid_t pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && getline(&line, &cap, f) > 0)
		found = strstr(line, "/libflaketrap.so") != NULL;
	free(line);
	fclose(f);
	return found;
}

/* Whether the log of pid in dir holds a stack_dump record. */
static int dumped(const char *dir, pid_t pid)
{
	char suffix[32], *path, *line = NULL;
	struct dirent *e;
	size_t cap = 0, ls, ln;
	int found = 0;
	DIR *d = opendir(dir);
	FILE *f;

	if (!d)
		return 0;
	ls = (size_t)snprintf(suffix, sizeof(suffix), ".%d.jsonl", (int)pid);
	while (!found && (e = readdir(d))) {
		ln = strlen(e->d_name);
		if (ln <= ls || strcmp(e->d_name + ln - ls, suffix))
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			break;
		f = fopen(path, "re");
		free(path);
		if (!f)
			continue;
		while (!found && getline(&line, &cap, f) > 0)
			found = !strncmp(line, DUMP_END, strlen(DUMP_END));
		fclose(f);
	}
	free(line);
	closedir(d);
	return found;
}

/*
 * The run hangs: every process of its tree that has the library is asked
 * for its threads' stacks (written to its log), and given until
 * FLAKETRAP_STACK_TIMEOUT and a margin to write them.
 */
static void ask_stacks(const struct ft_sv_spec *spec, struct ft_sv_result *r)
{
	union sigval v = { .sival_int = FT_DUMP_REQUEST };
	struct ft_proc **desc;
	struct ft_proctab t;
	long long deadline;
	pid_t *asked;
	size_t n, i, left;

	if (!spec->cfg->stack_signal) {
		fprintf(stderr, "flaketrap: timeout: no stacks asked"
				" (FLAKETRAP_STACK_SIGNAL=off)\n");
		return;
	}
	if (ft_proc_scan(&t))
		return;
	n = ft_proc_descendants(&t, getpid(), &desc);
	asked = calloc(n + 1, sizeof(*asked));
	if (!asked)
		exit(FT_EXIT_TOOL_ERROR);
	for (i = 0; i < n; i++)
		if (desc[i]->state != 'Z' && has_library(desc[i]->pid) &&
		    sigqueue(desc[i]->pid, spec->cfg->stack_signal, v) == 0)
			asked[r->stacks_asked++] = desc[i]->pid;
	free(desc);
	ft_proctab_free(&t);
	deadline = now_ns() + spec->cfg->stack_timeout_ns + DUMP_MARGIN_NS;
	for (left = (size_t)r->stacks_asked; left && now_ns() < deadline;) {
		struct timespec pause = { 0, 10000000 };

		for (i = 0; i < (size_t)r->stacks_asked; i++) {
			if (!asked[i])
				continue;
			if (dumped(spec->log_dir, asked[i])) {
				r->stacks_given++;
				asked[i] = 0;
				left--;
			} else if (kill(asked[i], 0) != 0) {
				asked[i] = 0;
				left--;
			}
		}
		if (left)
			nanosleep(&pause, NULL);
	}
	free(asked);
}

/* In CMD's child: its own group, /dev/null in, the run's files out. */
static void start_command(const struct ft_sv_spec *spec, int err_pipe,
			  const sigset_t *mask)
{
	int fd, err;
	ssize_t n;

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(spec->out_fd >= 0 ? spec->out_fd : fd, 1);
		dup2(spec->err_fd >= 0 ? spec->err_fd : fd, 2);
		if (fd > 2)
			close(fd);
	}
	execvp(spec->argv[0], spec->argv);
	err = errno;
	n = write(err_pipe, &err, sizeof(err));
	(void)n;
	_exit(err == ENOENT ? 127 : 126);
}

/*
 * CMD's process, by vfork: it only sets up its files and group and execs,
 * and a fork would copy the supervisor's page tables (the tool's, with
 * libdw and libstdc++ mapped) for the exec to throw away, some tenth of a
 * loop's run of true. The child has its own descriptors and signal
 * handlers (no CLONE_FILES, no CLONE_SIGHAND); it writes nothing of ours
 * but its own stack, and we wait, suspended, until it execs or exits.
 */
__attribute__((noinline)) static pid_t
spawn_command(const struct ft_sv_spec *spec, const int *fds,
	      const sigset_t *mask)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(fds[0]);
		start_command(spec, fds[1], mask);
	}
	return pid;
}

/*
 * Its process group, and CMD itself in case it left the group (setsid):
 * not reaped yet, its pid is still its own. The rest of the tree is ended
 * as leftovers.
 */
static void end_command(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

static void supervise(const struct ft_sv_spec *spec, int out, pid_t loop,
		      const sigset_t *old_mask)
{
	struct ft_sv_result r;
	struct signalfd_siginfo si;
	struct ft_summary sum;
	struct ft_logs logs;
	size_t lost;
	struct pollfd pfd;
	sigset_t set;
	char *base = NULL, clock_file[PATH_MAX];
	const char *slash;
	long long start, deadline = 0;
	int fds[2], sfd, status = 0, err = 0, done = 0, fd;
	pid_t pid, got;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	/* The loop's end is ours: nothing of the run may outlive it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (getppid() != loop)
		_exit(FT_EXIT_TOOL_ERROR);
	fd = spec->report ? open(spec->report, O_WRONLY | O_CREAT | O_TRUNC |
					      O_CLOEXEC, 0644)
			  : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	setenv("FLAKETRAP_LOG", spec->log_dir, 1);
	setenv("FLAKETRAP_SEED", spec->seed, 1);
	/* Only a run that may be asked for its stacks takes the handler. */
	if (spec->timeout_ns > 0)
		setenv("FLAKETRAP_STACK_REQUESTS", "on", 1);
	if (sfd < 0 || pipe2(fds, O_CLOEXEC) != 0 ||
	    ft_timers_tree_make(clock_file, sizeof(clock_file)) != 0)
		_exit(FT_EXIT_TOOL_ERROR);
	start = now_ns();
	pid = spawn_command(spec, fds, old_mask);
	if (pid < 0) {
		ft_timers_tree_remove(clock_file);
		_exit(FT_EXIT_TOOL_ERROR);
	}
	setpgid(pid, pid);
	close(fds[1]);
	do
		n = read(fds[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == (ssize_t)sizeof(err))
		r.exec_errno = err;
	if (spec->timeout_ns > 0)
		deadline = start + spec->timeout_ns;
	pfd.fd = sfd;
	pfd.events = POLLIN;
	while (!done) {
		int timeout = -1;

		if (deadline && !r.timed_out && !r.stopped) {
			long long left = deadline - now_ns();

			if (left <= 0) {
				r.timed_out = 1;
				ask_stacks(spec, &r);
				end_command(pid);
				continue;
			}
			timeout = (int)((left + 999999) / 1000000);
		}
		if (poll(&pfd, 1, timeout) <= 0)
			continue;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			if (!r.stopped && !r.timed_out)
				end_command(pid);
			r.stopped = 1;
			continue;
		}
		/* CMD, or an orphan of its tree: we are their subreaper. */
		while ((got = waitpid(-1, &status, WNOHANG)) > 0)
			if (got == pid) {
				done = 1;
				break;
			}
	}
	r.ns = now_ns() - start;
	ft_timers_tree_remove(clock_file);
	if (WIFSIGNALED(status)) {
		r.exit_code = -1;
		r.signal = WTERMSIG(status);
		r.status = 128 + r.signal;
	} else {
		r.exit_code = WEXITSTATUS(status);
		r.status = r.exit_code;
	}
	if (r.timed_out)
		fprintf(stderr, "flaketrap: timeout: the run was killed; %d of"
				" %d processes asked gave their stacks\n",
			r.stacks_given, r.stacks_asked);
	ft_logs_init(&logs, "flaketrap");
	logs.empty_ok = 1;
	/* flaketrap.txt sits beside the logs it cites: loop renames both. */
	if (spec->report && (slash = strrchr(spec->report, '/')))
		base = strndup(spec->report, (size_t)(slash - spec->report));
	logs.cite_base = base;
	r.leaked = ft_summarize(stderr, &logs, spec->log_dir,
				spec->opt->grace_ms, spec->opt->grace_text,
				&sum);
	r.crashed = sum.crashes > 0;
	memcpy(r.leak_tests, sum.tests, sizeof(r.leak_tests));
	r.unloaded = !r.exec_errno && !logs.records;
	r.sleeps_seen = ft_logs_counter(&logs, "sleeps_seen");
	r.sleeps_changed = ft_logs_counter(&logs, "sleeps_changed");
	r.delays = ft_report_delays(&logs);
	r.waits_warped = ft_logs_counter(&logs, "waits_warped");
	r.chaos_holds = ft_logs_counter(&logs, "chaos.holds");
	if (!r.unloaded)
		ft_report_counters(stderr, &logs, "flaketrap: ");
	lost = logs.lost;
	ft_logs_free(&logs);
	free(base);
	if (spec->opt->fail_on_leak)
		r.status = ft_fail_on_leak_status(stderr, "flaketrap",
						  r.status, r.leaked, lost);
	n = write(out, &r, sizeof(r));
	(void)n;
	fflush(NULL);
	_exit(0);
}

pid_t ft_sv_start(const struct ft_sv_spec *spec, int *fd)
{
	sigset_t all, old;
	pid_t loop = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	/* Signals wait until the supervisor has its own handling. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		supervise(spec, p[1], loop, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	*fd = p[0];
	return pid;
}

void ft_sv_stop(pid_t pid)
{
	kill(pid, SIGTERM);
}

int ft_sv_finish(pid_t pid, int fd, struct ft_sv_result *r)
{
	ssize_t n;

	do
		n = read(fd, r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	close(fd);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof(*r) ? 0 : -1;
}

void ft_sv_describe(const struct ft_sv_result *r, char *out, size_t len)
{
	const char *name;

	if (r->timed_out)
		snprintf(out, len, "timeout");
	else if (r->exec_errno)
		snprintf(out, len, "not run: %s", strerror(r->exec_errno));
	else if (r->signal && (name = ft_signal_name(r->signal)))
		snprintf(out, len, "SIG%s", name);
	else if (r->signal)
		snprintf(out, len, "signal %d", r->signal);
	else if (r->status == 3 && r->exit_code == 0)
		snprintf(out, len, "leaked");
	else
		snprintf(out, len, "exit %d", r->exit_code);
}

int ft_sv_check_command(const char *cmd, const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char full[4096];
	struct stat st;
	int found = 0, len;

	if (strchr(name, '/')) {
		if (stat(name, &st) != 0) {
			fprintf(stderr, "%s: %s: %s\n", cmd, name,
				strerror(errno));
			return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
		}
		if (S_ISDIR(st.st_mode) || access(name, X_OK) != 0) {
			fprintf(stderr, "%s: %s: %s\n", cmd, name,
				S_ISDIR(st.st_mode) ? "Is a directory"
						    : strerror(EACCES));
			return 126;
		}
		return 0;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; p; p = end) {
		end = strchr(p, ':');
		len = end ? (int)(end - p) : (int)strlen(p);
		/* An empty entry is the current directory, as for a shell. */
		snprintf(full, sizeof(full), "%.*s/%s", len ? len : 1,
			 len ? p : ".", name);
		if (end)
			end++;
		if (stat(full, &st) != 0 || S_ISDIR(st.st_mode))
			continue;
		if (access(full, X_OK) == 0)
			return 0;
		found = 1;
	}
	fprintf(stderr, "%s: %s: %s\n", cmd, name,
		found ? strerror(EACCES) : "command not found");
	return found ? 126 : 127;
}
