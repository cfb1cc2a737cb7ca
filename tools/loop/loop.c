/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap loop`: runs CMD under the library again and again, J at a time,
 * each run with its own seed derived from a base seed, until N runs, the
 * first failure or Ctrl-C. Each of the J slots has a supervisor that runs
 * its runs one after the other (supervise.c's workers); a failing run's
 * directory is kept with its output, logs, seed and a
 * reproduce.sh. --load N adds N processes that burn CPU meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../commands.h"
#include "../files.h"
#include "../junit.h"
#include "../loop.h"
#include "state.h"

#define EXIT_FAILED 1

volatile sig_atomic_t ft_loop_signal;
static int wake[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t n;

	if (!ft_loop_signal)
		ft_loop_signal = sig;
	n = write(wake[1], "", 1);
	(void)n;
	errno = saved;
}

long long ft_loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void ft_loop_oom(void)
{
	perror("flaketrap loop");
	exit(FT_EXIT_TOOL_ERROR);
}

__attribute__((format(printf, 1, 2)))
char *ft_loop_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		ft_loop_oom();
	return s;
}

/* splitmix64: run i's seed from the base seed. */
unsigned long long ft_loop_seed(unsigned long long base, long long i)
{
	unsigned long long z = base + (unsigned long long)i *
					      0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The slot's directory, with its log directory unless --log. */
static int ready_slot(struct loop *lp, struct slot *s, int index)
{
	char *log;

	if (!s->dir)
		s->dir = ft_loop_asprintf("%s/.running-%d-%d", lp->outdir,
				   (int)getpid(), index);
	if (s->ready)
		return 0;
	if (mkdir(s->dir, 0700) != 0) {
		fprintf(stderr, "flaketrap loop: cannot make %s: %s\n", s->dir,
			strerror(errno));
		return -1;
	}
	if (!lp->logdir) {
		log = ft_loop_asprintf("%s/log", s->dir);
		if (mkdir(log, 0700) != 0) {
			fprintf(stderr, "flaketrap loop: cannot make %s: %s\n",
				log, strerror(errno));
			free(log);
			rmdir(s->dir);
			return -1;
		}
		free(log);
	}
	s->ready = 1;
	return 0;
}

static int start_run(struct loop *lp, struct slot *s, int index)
{
	struct ft_sv_spec spec;
	char *out, *err, *rep;
	int ofd, efd;

	if (ready_slot(lp, s, index))
		return -1;
	s->run = ++lp->started;
	s->seed = ft_loop_seed(lp->base, s->run);
	snprintf(s->seedtxt, sizeof(s->seedtxt), "%llu", s->seed);
	if (lp->logdir) {
		s->log = ft_loop_asprintf("%s/run-%lld", lp->logdir, s->run);
		if (mkdir(s->log, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "flaketrap loop: cannot make %s: %s\n",
				s->log, strerror(errno));
			free(s->log);
			s->log = NULL;
			lp->started--;
			return -1;
		}
		out = ft_loop_asprintf("%s/log", s->dir);
		unlink(out);
		if (symlink(s->log, out) != 0)
			fprintf(stderr, "flaketrap loop: %s: %s\n", out,
				strerror(errno));
		free(out);
	} else {
		s->log = ft_loop_asprintf("%s/log", s->dir);
	}
	out = ft_loop_asprintf("%s/stdout", s->dir);
	err = ft_loop_asprintf("%s/stderr", s->dir);
	rep = ft_loop_asprintf("%s/flaketrap.txt", s->dir);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	efd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	memset(&spec, 0, sizeof(spec));
	spec.argv = lp->argv;
	spec.out_fd = ofd;
	spec.err_fd = efd;
	spec.log_dir = s->log;
	spec.seed = s->seedtxt;
	spec.timeout_ns = lp->timeout_ns;
	spec.report = rep;
	spec.opt = &lp->opt;
	spec.cfg = &lp->cfg;
	s->sv = ofd < 0 || efd < 0 ? -1 : ft_sv_worker_start(&s->worker, &spec);
	s->fd = s->worker.sock;
	if (s->sv < 0)
		fprintf(stderr, "flaketrap loop: cannot start run %lld: %s\n",
			s->run, strerror(errno));
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	free(out);
	free(err);
	free(rep);
	if (s->sv < 0) {
		s->sv = 0;
		free(s->log);
		s->log = NULL;
		lp->started--;
		return -1;
	}
	return 0;
}

/* --load: a process that only burns CPU, and dies with the loop. */
static pid_t start_burner(pid_t loop)
{
	volatile unsigned long long x = 1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != loop)
		_exit(0);
	prctl(PR_SET_NAME, "flaketrap-load");
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	for (;;)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

static void stop_burners(struct loop *lp)
{
	int i;

	for (i = 0; i < lp->load; i++)
		if (lp->burners[i] > 0)
			kill(lp->burners[i], SIGKILL);
	for (i = 0; i < lp->load; i++)
		if (lp->burners[i] > 0)
			while (waitpid(lp->burners[i], NULL, 0) < 0 &&
			       errno == EINTR)
				;
}

static int running(const struct loop *lp, const struct slot *slots)
{
	int i, n = 0;

	for (i = 0; i < lp->jobs; i++)
		n += slots[i].sv > 0;
	return n;
}

int ft_cmd_loop(int argc, char **argv)
{
	struct loop lp;
	struct slot *slots;
	struct pollfd *pfd;
	struct sigaction sa;
	const char *pre;
	double secs;
	int rc, i, status, npfd, tool_error = 0;
	ssize_t n;

	memset(&lp, 0, sizeof(lp));
	ft_runopt_init(&lp.opt);
	lp.max_runs = -1;
	lp.max_kept = MAX_KEPT_DEFAULT;
	lp.jobs = ft_loop_jobs_default();
	if (ft_loop_options(&lp, argc, argv)) {
		ft_loop_free_patterns(&lp);
		ft_runopt_free(&lp.opt);
		return FT_EXIT_TOOL_ERROR;
	}
	pre = getenv("LD_PRELOAD");
	lp.orig_preload = pre ? strdup(pre) : NULL;
	rc = ft_runopt_check_command(&lp.opt, "flaketrap loop", lp.argv[0]);
	if (!rc)
		rc = ft_runopt_environment(&lp.opt, &lp.cfg);
	if (!rc)
		rc = ft_sv_check_command("flaketrap loop", lp.argv[0]);
	if (!rc && (!getcwd(lp.cwd, sizeof(lp.cwd)) ||
		    readlink("/proc/self/exe", lp.self,
			     sizeof(lp.self) - 1) < 0)) {
		fprintf(stderr, "flaketrap loop: %s\n", strerror(errno));
		rc = FT_EXIT_TOOL_ERROR;
	}
	if (!rc)
		rc = ft_loop_prepare_dirs(&lp);
	if (!rc && lp.junit && !(lp.junit_cases = tmpfile())) {
		fprintf(stderr, "flaketrap loop: --junit: %s\n",
			strerror(errno));
		rc = FT_EXIT_TOOL_ERROR;
	}
	/* tmpfile has no O_CLOEXEC: else every CMD would have it. */
	if (lp.junit_cases)
		fcntl(fileno(lp.junit_cases), F_SETFD, FD_CLOEXEC);
	if (rc) {
		if (lp.own_outdir) {
			rmdir(lp.outdir);
			free((char *)lp.outdir);
		}
		free(lp.orig_preload);
		free(lp.logdir);
		ft_loop_free_patterns(&lp);
		ft_runopt_free(&lp.opt);
		return rc;
	}
	lp.base = ft_ensure_seed();
	lp.out = lp.json ? stderr : stdout;
	lp.tty = isatty(fileno(lp.out));
	slots = calloc((size_t)lp.jobs, sizeof(*slots));
	pfd = calloc((size_t)lp.jobs + 1, sizeof(*pfd));
	if (!slots || !pfd || pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0)
		ft_loop_oom();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* The reader of our output has gone: stop and clean up, as Ctrl-C. */
	sigaction(SIGPIPE, &sa, NULL);
	fprintf(lp.out, "flaketrap loop: base seed %llu (--seed=%llu gives"
			" the same runs again); failing runs go to %s\n",
		lp.base, lp.base, lp.outdir);
	for (i = 0; i < lp.load; i++)
		lp.burners[i] = start_burner(getpid());
	if (lp.load) {
		fprintf(lp.out, "flaketrap loop: load:");
		for (i = 0; i < lp.load; i++)
			fprintf(lp.out, " %d", (int)lp.burners[i]);
		fprintf(lp.out, "\n");
	}
	fflush(lp.out);
	lp.t0 = ft_loop_now_ns();
	for (;;) {
		if (ft_loop_signal)
			lp.stopping = 1;
		if (lp.stopping)
			for (i = 0; i < lp.jobs; i++)
				if (slots[i].sv > 0)
					ft_sv_worker_stop(&slots[i].worker);
		for (i = 0; i < lp.jobs && !lp.stopping; i++) {
			if (slots[i].sv > 0)
				continue;
			if (lp.max_runs >= 0 && lp.started >= lp.max_runs)
				break;
			if (start_run(&lp, &slots[i], i) != 0) {
				lp.stopping = 1;
				tool_error = 1;
			}
		}
		if (!running(&lp, slots))
			break;
		npfd = 0;
		pfd[npfd].fd = wake[0];
		pfd[npfd++].events = POLLIN;
		for (i = 0; i < lp.jobs; i++)
			if (slots[i].sv > 0) {
				pfd[npfd].fd = slots[i].fd;
				pfd[npfd++].events = POLLIN;
			}
		if (poll(pfd, (nfds_t)npfd, lp.tty ? 250 : 1000) > 0) {
			char buf[64];

			do
				n = read(wake[0], buf, sizeof(buf));
			while (n > 0);
			for (i = 0; i < lp.jobs; i++) {
				int j;

				if (slots[i].sv <= 0)
					continue;
				for (j = 1; j < npfd; j++)
					if (pfd[j].fd == slots[i].fd &&
					    pfd[j].revents)
						ft_loop_finish_run(&lp, &slots[i]);
			}
		}
		ft_loop_progress(&lp, 0);
	}
	stop_burners(&lp);
	for (i = 0; i < lp.jobs; i++) {
		ft_sv_worker_end(&slots[i].worker);
		if (slots[i].ready)
			ft_remove_tree(slots[i].dir);
		free(slots[i].dir);
	}
	secs = (double)(ft_loop_now_ns() - lp.t0) / 1e9;
	/* A private directory that keeps nothing is not left behind. */
	if (lp.own_outdir && rmdir(lp.outdir) == 0) {
		free((char *)lp.outdir);
		lp.outdir = NULL;
	}
	if (ft_loop_signal)
		status = 128 + ft_loop_signal;
	else if (lp.failed || lp.timed_out)
		status = EXIT_FAILED;
	else if (lp.leak_failed)
		status = FT_EXIT_LEAKED;
	else
		status = 0;
	if ((tool_error || lp.unloaded) && !ft_loop_signal)
		status = FT_EXIT_TOOL_ERROR;
	ft_loop_summary_text(&lp, secs);
	if (lp.json)
		ft_loop_summary_json(&lp, secs, status);
	if (lp.junit_cases) {
		/* A gate whose file is missing must not pass. */
		if (ft_junit_write(lp.junit, "flaketrap loop", lp.runs,
				   lp.failed + lp.timed_out + lp.leak_failed,
				   secs, lp.junit_cases) != 0) {
			fprintf(stderr, "flaketrap loop: --junit=%s: %s\n",
				lp.junit, strerror(errno));
			if (!ft_loop_signal)
				status = FT_EXIT_TOOL_ERROR;
		}
		fclose(lp.junit_cases);
	}
	for (i = 0; (size_t)i < lp.nfails; i++)
		free(lp.fails[i].kept);
	free(lp.fails);
	for (i = 0; (size_t)i < lp.nleak_tests; i++)
		free(lp.leak_tests[i].name);
	free(lp.leak_tests);
	free(slots);
	free(pfd);
	free(lp.orig_preload);
	free(lp.logdir);
	free((char *)lp.outdir);
	ft_loop_free_patterns(&lp);
	ft_runopt_free(&lp.opt);
	return status;
}

