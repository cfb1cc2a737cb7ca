/* SPDX-License-Identifier: MIT */
/*
 * Runs of CMD in a supervisor process: see supervise.h. The supervisor is
 * a fork of the tool, no exec; CMD itself starts by vfork and exec. It
 * waits on a signalfd (SIGCHLD: CMD or an orphan of its tree ended;
 * SIGTERM: stop) with the timeout as the poll's, and a worker also on its
 * socket (a stop of its run, or the tool's end).
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../preload/dump.h"
#include "../preload/warp-link.h"
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

/*
 * The variables of one run in CMD's environment. Built for execvpe rather
 * than set with setenv: a worker (ft_sv_worker) runs many runs, and
 * glibc's setenv keeps every value it replaced for the process's life.
 */
struct run_env {
	char **env;
	char *log, *seed, *requests, *clock;
};

static int is_var(const char *entry, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(entry, name, n) && entry[n] == '=';
}

/* clock_file: the run's under --timers (timers.c), "" without. */
static int run_env_make(struct run_env *e, const struct ft_sv_spec *spec,
			const char *clock_file)
{
	extern char **environ;
	size_t n, i, k = 0;
	int stacks = spec->timeout_ns > 0;

	memset(e, 0, sizeof(*e));
	for (n = 0; environ[n]; n++)
		;
	e->env = calloc(n + 5, sizeof(*e->env));
	if (!e->env || asprintf(&e->log, "FLAKETRAP_LOG=%s", spec->log_dir) < 0 ||
	    asprintf(&e->seed, "FLAKETRAP_SEED=%s", spec->seed) < 0) {
		e->log = e->seed = NULL;
		return -1;
	}
	/* Only a run that may be asked for its stacks takes the handler. */
	if (stacks && !(e->requests = strdup("FLAKETRAP_STACK_REQUESTS=on")))
		return -1;
	if (*clock_file && asprintf(&e->clock, "%s=%s", FT_WARP_TREE_ENV,
				    clock_file) < 0) {
		e->clock = NULL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!is_var(environ[i], "FLAKETRAP_LOG") &&
		    !is_var(environ[i], "FLAKETRAP_SEED") &&
		    !(stacks && is_var(environ[i], "FLAKETRAP_STACK_REQUESTS")) &&
		    !(e->clock && is_var(environ[i], FT_WARP_TREE_ENV)))
			e->env[k++] = environ[i];
	e->env[k++] = e->log;
	e->env[k++] = e->seed;
	if (e->requests)
		e->env[k++] = e->requests;
	if (e->clock)
		e->env[k++] = e->clock;
	e->env[k] = NULL;
	return 0;
}

static void run_env_free(struct run_env *e)
{
	free(e->env);
	free(e->log);
	free(e->seed);
	free(e->requests);
	free(e->clock);
}

/* In CMD's child: its own group, /dev/null in, the run's files out. */
static void start_command(const struct ft_sv_spec *spec, char **env,
			  int err_pipe, const sigset_t *mask)
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
	execvpe(spec->argv[0], spec->argv, env);
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
spawn_command(const struct ft_sv_spec *spec, char **env, const int *fds,
	      const sigset_t *mask)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(fds[0]);
		start_command(spec, env, fds[1], mask);
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

/*
 * What a worker's socket carries: from the tool, a run (with CMD's stdout
 * and stderr as SCM_RIGHTS) or a stop; back, the ft_sv_result.
 */
enum { JOB_RUN = 1, JOB_STOP };

struct job {
	int type;
	unsigned seq;		/* the run's: a stop names the run it ends */
	int has_out, has_err, has_report;
	long long timeout_ns;
	char seed[24];
	char log_dir[PATH_MAX];
	char report[PATH_MAX];
};

/* The supervisor's own set-up, once for all its runs; its signalfd. */
static int supervisor_setup(pid_t loop)
{
	sigset_t set;
	int sfd;

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
	if (getppid() != loop || sfd < 0)
		_exit(FT_EXIT_TOOL_ERROR);
	return sfd;
}

/*
 * A message on a worker's socket during its run: 1 when it ends the run
 * (its stop, or the tool gone: then *quit), else 0.
 */
static int control_says_stop(int ctl, unsigned seq, int *quit)
{
	struct job m;
	ssize_t n = recv(ctl, &m, sizeof(m), MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		*quit = 1;
		return 1;
	}
	return n == (ssize_t)sizeof(m) && m.type == JOB_STOP && m.seq == seq;
}

/*
 * One run of CMD, its report on stderr (spec->report), its result in *r.
 * ctl: a worker's socket, watched for a stop of run seq (-1: a one-run
 * supervisor, stopped by SIGTERM; a worker is too). Returns 1 when a
 * worker must end after this run: its socket ended (its tool gone).
 */
static int supervise_run(const struct ft_sv_spec *spec, int sfd, int ctl,
			 unsigned seq, const sigset_t *old_mask,
			 struct ft_sv_result *r)
{
	struct signalfd_siginfo si;
	struct ft_summary sum;
	struct ft_logs logs;
	struct run_env env;
	size_t lost;
	struct pollfd pfd[2];
	char *base = NULL, clock_file[PATH_MAX];
	const char *slash;
	long long start, deadline = 0;
	int fds[2], status = 0, err = 0, done = 0, fd, quit = 0;
	pid_t pid, got;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	fd = spec->report ? open(spec->report, O_WRONLY | O_CREAT | O_TRUNC |
					      O_CLOEXEC, 0644)
			  : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	if (ft_timers_tree_make(clock_file, sizeof(clock_file)) != 0)
		_exit(FT_EXIT_TOOL_ERROR);
	if (run_env_make(&env, spec, clock_file) != 0 ||
	    pipe2(fds, O_CLOEXEC) != 0)
		_exit(FT_EXIT_TOOL_ERROR);
	start = now_ns();
	pid = spawn_command(spec, env.env, fds, old_mask);
	run_env_free(&env);
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
		r->exec_errno = err;
	if (spec->timeout_ns > 0)
		deadline = start + spec->timeout_ns;
	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ctl;	/* poll passes over a negative one */
	pfd[1].events = POLLIN;
	while (!done) {
		int timeout = -1, stop = 0;

		if (deadline && !r->timed_out && !r->stopped) {
			long long left = deadline - now_ns();

			if (left <= 0) {
				r->timed_out = 1;
				ask_stacks(spec, r);
				end_command(pid);
				continue;
			}
			timeout = (int)((left + 999999) / 1000000);
		}
		if (poll(pfd, 2, timeout) <= 0)
			continue;
		if (pfd[1].revents) {
			stop = control_says_stop(ctl, seq, &quit);
			if (quit)
				pfd[1].fd = -1;
		}
		if (pfd[0].revents &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			/*
			 * SIGTERM or SIGHUP ends the run, not a worker: one
			 * that left after its answer could be sent the slot's
			 * next run as it left, and lose it. The tool's end
			 * (PDEATHSIG) also ends the socket.
			 */
			if (si.ssi_signo != SIGCHLD) {
				stop = 1;
			} else {
				/* CMD, or an orphan of its tree: we are
				 * their subreaper. */
				while ((got = waitpid(-1, &status, WNOHANG)) >
				       0)
					if (got == pid) {
						done = 1;
						break;
					}
			}
		}
		if (stop && !done) {
			if (!r->stopped && !r->timed_out)
				end_command(pid);
			r->stopped = 1;
		}
	}
	r->ns = now_ns() - start;
	ft_timers_tree_remove(clock_file);
	if (WIFSIGNALED(status)) {
		r->exit_code = -1;
		r->signal = WTERMSIG(status);
		r->status = 128 + r->signal;
	} else {
		r->exit_code = WEXITSTATUS(status);
		r->status = r->exit_code;
	}
	if (r->timed_out)
		fprintf(stderr, "flaketrap: timeout: the run was killed; %d of"
				" %d processes asked gave their stacks\n",
			r->stacks_given, r->stacks_asked);
	ft_logs_init(&logs, "flaketrap");
	logs.empty_ok = 1;
	/* flaketrap.txt sits beside the logs it cites: loop renames both. */
	if (spec->report && (slash = strrchr(spec->report, '/')))
		base = strndup(spec->report, (size_t)(slash - spec->report));
	logs.cite_base = base;
	r->leaked = ft_summarize(stderr, &logs, spec->log_dir,
				 spec->opt->grace_ms, spec->opt->grace_text,
				 &sum);
	r->crashed = sum.crashes > 0;
	memcpy(r->leak_tests, sum.tests, sizeof(r->leak_tests));
	r->unloaded = !r->exec_errno && !logs.records;
	r->sleeps_seen = ft_logs_counter(&logs, "sleeps_seen");
	r->sleeps_changed = ft_logs_counter(&logs, "sleeps_changed");
	r->delays = ft_report_delays(&logs);
	r->waits_warped = ft_logs_counter(&logs, "waits_warped");
	r->chaos_holds = ft_logs_counter(&logs, "chaos.holds");
	if (!r->unloaded)
		ft_report_counters(stderr, &logs, "flaketrap: ");
	lost = logs.lost;
	ft_logs_free(&logs);
	free(base);
	if (spec->opt->fail_on_leak)
		r->status = ft_fail_on_leak_status(stderr, "flaketrap",
						   r->status, r->leaked, lost);
	/* The next run meets no child of this one: ft_summarize's
	 * ft_leftovers_end has ended and reaped them. */
	fflush(NULL);
	return quit;
}

static void supervise(const struct ft_sv_spec *spec, int out, pid_t loop,
		      const sigset_t *old_mask)
{
	struct ft_sv_result r;
	int sfd = supervisor_setup(loop);
	ssize_t n;

	supervise_run(spec, sfd, -1, 0, old_mask, &r);
	n = write(out, &r, sizeof(r));
	(void)n;
	_exit(0);
}

/*
 * A supervisor's fork, every signal held (*old: the mask before, which the
 * caller puts back, and CMD gets): they wait until the supervisor has its
 * own handling.
 */
static pid_t fork_supervisor(sigset_t *old)
{
	sigset_t all;

	fflush(NULL);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
	return fork();
}

pid_t ft_sv_start(const struct ft_sv_spec *spec, int *fd)
{
	sigset_t old;
	pid_t loop = getpid(), pid;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	pid = fork_supervisor(&old);
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

/* Every worker of this process: a new one closes their sockets' ends. */
static struct ft_sv_worker *workers;

static ssize_t recv_job(int sock, struct job *job, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { job, sizeof(*job) };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	ssize_t n;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	*nfds = 0;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			if (*nfds > 2)
				*nfds = 2;
			memcpy(fds, CMSG_DATA(c), (size_t)*nfds * sizeof(int));
		}
	return n;
}

/*
 * A worker: one run after another as its socket asks, until the socket
 * ends (the tool is done with it, or gone).
 * spec: the parts every run shares (argv, options, configuration), read
 * in this copy of the tool's memory.
 */
static void worker(const struct ft_sv_spec *shared, int sock, pid_t loop,
		   const sigset_t *old_mask)
{
	int sfd = supervisor_setup(loop), err = fcntl(2, F_DUPFD_CLOEXEC, 3);
	struct ft_sv_result r;
	struct ft_sv_spec spec;
	struct job job;
	int fds[2], nfds, quit, i, k;
	ssize_t n;

	for (;;) {
		n = recv_job(sock, &job, fds, &nfds);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (n != (ssize_t)sizeof(job) || job.type != JOB_RUN) {
			/* A stop that came after its run ended. */
			for (i = 0; i < nfds; i++)
				close(fds[i]);
			continue;
		}
		/*
		 * A run whose files did not come (no fd left here): leaving
		 * makes it "supervisor lost" and the slot's next run gets a
		 * new worker; dropped, the loop would wait for it forever.
		 */
		if (nfds != job.has_out + job.has_err)
			_exit(FT_EXIT_TOOL_ERROR);
		spec = *shared;
		k = 0;
		spec.out_fd = job.has_out ? fds[k++] : -1;
		spec.err_fd = job.has_err ? fds[k++] : -1;
		spec.log_dir = job.log_dir;
		spec.seed = job.seed;
		spec.timeout_ns = job.timeout_ns;
		spec.report = job.has_report ? job.report : NULL;
		quit = supervise_run(&spec, sfd, sock, job.seq, old_mask, &r);
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		/* The report's file was our stderr for the run. */
		if (err >= 0)
			dup2(err, 2);
		if (send(sock, &r, sizeof(r), MSG_NOSIGNAL) < 0 || quit)
			_exit(0);
	}
}

static int worker_make(struct ft_sv_worker *w, const struct ft_sv_spec *spec)
{
	struct ft_sv_worker *o;
	sigset_t old;
	pid_t loop = getpid(), pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	pid = fork_supervisor(&old);
	if (pid == 0) {
		/* Else a worker would not see the end of another's socket. */
		for (o = workers; o; o = o->next)
			close(o->sock);
		close(sv[0]);
		/*
		 * The first run's files come on the socket as every run's:
		 * these, from the fork, would stay open for the worker's life
		 * (a file kept or removed by the loop held all along).
		 */
		if (spec->out_fd >= 0)
			close(spec->out_fd);
		if (spec->err_fd >= 0 && spec->err_fd != spec->out_fd)
			close(spec->err_fd);
		worker(spec, sv[1], loop, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	w->pid = pid;
	w->sock = sv[0];
	w->next = workers;
	workers = w;
	return 0;
}

/* The worker's end, once its socket is closed (it leaves at once). */
static void worker_reap(struct ft_sv_worker *w)
{
	struct ft_sv_worker **p;

	for (p = &workers; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	close(w->sock);
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
	w->sock = -1;
}

static int send_job(struct ft_sv_worker *w, const struct job *job,
		    const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)job, sizeof(*job) };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds) {
		memset(u.buf, 0, sizeof(u.buf));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	for (;;) {
		if (sendmsg(w->sock, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

pid_t ft_sv_worker_start(struct ft_sv_worker *w, const struct ft_sv_spec *spec)
{
	struct job job;
	int fds[2], nfds = 0, tries;

	memset(&job, 0, sizeof(job));
	job.type = JOB_RUN;
	job.timeout_ns = spec->timeout_ns;
	if (snprintf(job.log_dir, sizeof(job.log_dir), "%s", spec->log_dir) >=
		    (int)sizeof(job.log_dir) ||
	    snprintf(job.seed, sizeof(job.seed), "%s", spec->seed) >=
		    (int)sizeof(job.seed) ||
	    (spec->report &&
	     snprintf(job.report, sizeof(job.report), "%s", spec->report) >=
		     (int)sizeof(job.report))) {
		errno = ENAMETOOLONG;
		return -1;
	}
	job.has_report = spec->report != NULL;
	if ((job.has_out = spec->out_fd >= 0))
		fds[nfds++] = spec->out_fd;
	if ((job.has_err = spec->err_fd >= 0))
		fds[nfds++] = spec->err_fd;
	/* A worker that died (out of memory, killed) is replaced once. */
	for (tries = 0; tries < 2; tries++) {
		if (w->pid <= 0 && worker_make(w, spec) != 0)
			return -1;
		job.seq = ++w->seq;
		if (send_job(w, &job, fds, nfds) == 0)
			return w->pid;
		worker_reap(w);
	}
	return -1;
}

void ft_sv_worker_stop(struct ft_sv_worker *w)
{
	struct job stop;

	if (w->pid <= 0)
		return;
	memset(&stop, 0, sizeof(stop));
	stop.type = JOB_STOP;
	stop.seq = w->seq;
	/* Refused only when the worker is gone: its result is lost then. */
	(void)send(w->sock, &stop, sizeof(stop), MSG_NOSIGNAL | MSG_DONTWAIT);
}

int ft_sv_worker_finish(struct ft_sv_worker *w, struct ft_sv_result *r)
{
	ssize_t n;

	do
		n = recv(w->sock, r, sizeof(*r), 0);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*r))
		return 0;
	worker_reap(w);
	return -1;
}

void ft_sv_worker_end(struct ft_sv_worker *w)
{
	if (w->pid > 0)
		worker_reap(w);
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
