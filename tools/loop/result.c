/* SPDX-License-Identifier: MIT */
/*
 * A run of `flaketrap loop` that has ended: how it counts (--failure and
 * --ignore may let a failure pass), its JUnit test case, what is said of a
 * failure, and whether its directory is kept.
 */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../commands.h"
#include "../junit.h"
#include "state.h"

static void count_kind(struct loop *lp, const char *what)
{
	size_t i;

	for (i = 0; i < lp->nkinds; i++)
		if (!strcmp(lp->kinds[i].what, what)) {
			lp->kinds[i].n++;
			return;
		}
	if (lp->nkinds < sizeof(lp->kinds) / sizeof(lp->kinds[0])) {
		snprintf(lp->kinds[lp->nkinds].what,
			 sizeof(lp->kinds[0].what), "%s", what);
		lp->kinds[lp->nkinds++].n = 1;
	}
}

/* Whether the file dir/name (its last MiB) holds a line matching re. */
static int output_matches(const char *dir, const char *name, regex_t *re)
{
	char *path = ft_loop_asprintf("%s/%s", dir, name), *buf;
	size_t cap = 1 << 20;
	ssize_t n;
	off_t size;
	int fd, hit;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, size > (off_t)cap ? size - (off_t)cap : 0, SEEK_SET);
	buf = malloc(cap + 1);
	if (!buf)
		ft_loop_oom();
	n = read(fd, buf, cap);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	hit = regexec(re, buf, 0, NULL, 0) == 0;
	free(buf);
	return hit;
}

static int run_matches(const struct slot *s, regex_t *re)
{
	return output_matches(s->dir, "stdout", re) ||
	       output_matches(s->dir, "stderr", re);
}

/* The run's test case: a failure holds the last 8 KiB of its stderr. */
static void junit_run(struct loop *lp, const struct slot *s,
		      const struct ft_sv_result *r, const char *what)
{
	char *path, *name, *msg, body[8192];
	ssize_t n = 0;
	off_t size;
	int fd;

	name = ft_loop_asprintf("run %lld (seed %s)", s->run, s->seedtxt);
	msg = what ? ft_loop_asprintf("%s%s", what, r->leaked ? ", leaked" : "")
		   : NULL;
	if (what) {
		path = ft_loop_asprintf("%s/stderr", s->dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
		if (fd >= 0) {
			size = lseek(fd, 0, SEEK_END);
			lseek(fd, size > (off_t)sizeof(body)
					  ? size - (off_t)sizeof(body) : 0,
			      SEEK_SET);
			n = read(fd, body, sizeof(body));
			close(fd);
		}
	}
	ft_junit_case(lp->junit_cases, "flaketrap.loop", name,
		      (double)r->ns / 1e9, msg, body, n > 0 ? (size_t)n : 0);
	free(name);
	free(msg);
}

/* The tests (one a line) that left something alive in a failing run. */
static void count_leak_tests(struct loop *lp, char *tests)
{
	char *name, *save = NULL;
	size_t i;

	tests[sizeof(((struct ft_sv_result *)0)->leak_tests) - 1] = '\0';
	for (name = strtok_r(tests, "\n", &save); name;
	     name = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < lp->nleak_tests; i++)
			if (!strcmp(lp->leak_tests[i].name, name))
				break;
		if (i == lp->nleak_tests) {
			lp->leak_tests = realloc(lp->leak_tests,
						 (i + 1) * sizeof(*lp->leak_tests));
			if (!lp->leak_tests)
				ft_loop_oom();
			lp->leak_tests[i].name = strdup(name);
			lp->leak_tests[i].runs = 0;
			if (!lp->leak_tests[i].name)
				ft_loop_oom();
			lp->nleak_tests++;
		}
		lp->leak_tests[i].runs++;
	}
}

void ft_loop_finish_run(struct loop *lp, struct slot *s)
{
	struct ft_sv_result r;
	char what[64], *kept = NULL;
	int bad, capped;

	if (ft_sv_worker_finish(&s->worker, &r) != 0) {
		memset(&r, 0, sizeof(r));
		r.status = r.exit_code = FT_EXIT_TOOL_ERROR;
		snprintf(what, sizeof(what), "supervisor lost");
	} else {
		ft_sv_describe(&r, what, sizeof(what));
	}
	s->sv = 0;
	if (r.stopped) {
		lp->stopped++;
		ft_loop_clean_slot(lp, s);
		goto out;
	}
	/* A run that injected nothing says nothing of CMD: stop, 125. */
	if (r.unloaded && !lp->unloaded &&
	    ft_runopt_unloaded(&lp->opt, "flaketrap loop", lp->argv[0])) {
		lp->unloaded = 1;
		lp->stopping = 1;
	}
	lp->runs++;
	lp->sleeps_seen += r.sleeps_seen;
	lp->sleeps_changed += r.sleeps_changed;
	lp->delays += r.delays;
	lp->waits_warped += r.waits_warped;
	lp->chaos_holds += r.chaos_holds;
	if (r.leaked)
		lp->leaked++;
	bad = r.status != 0 || r.timed_out;
	/* Go's stress: only the failures that say so, or not the known ones. */
	if (bad && ((lp->has_failure && !run_matches(s, &lp->failure)) ||
		    (lp->has_ignore && run_matches(s, &lp->ignore)))) {
		bad = 0;
		lp->ignored++;
	}
	if (lp->junit_cases)
		junit_run(lp, s, &r, bad ? what : NULL);
	if (!bad)
		lp->passed++;
	else if (r.timed_out)
		lp->timed_out++;
	else if (r.status == FT_EXIT_LEAKED && r.exit_code == 0 && r.leaked)
		lp->leak_failed++;
	else
		lp->failed++;
	if (bad) {
		count_kind(lp, what);
		count_leak_tests(lp, r.leak_tests);
	}
	capped = bad && lp->nkept >= lp->max_kept;
	if ((bad && !capped) || lp->opt.keep_log) {
		kept = ft_loop_keep(lp, s, &r, bad ? what : "passed");
		lp->nkept += kept && bad;
	} else if (!capped) {
		ft_loop_clean_slot(lp, s);
	}
	if (bad) {
		struct failure *f;

		lp->fails = realloc(lp->fails, (lp->nfails + 1) *
						       sizeof(*lp->fails));
		if (!lp->fails)
			ft_loop_oom();
		f = &lp->fails[lp->nfails++];
		f->run = s->run;
		f->seed = s->seed;
		snprintf(f->what, sizeof(f->what), "%s", what);
		f->kept = kept ? strdup(kept) : NULL;
		ft_loop_clear_progress(lp);
		fprintf(lp->out, "run %lld (seed %s): %s%s%s%s%s\n", s->run,
			s->seedtxt, what, r.leaked ? ", leaked" : "",
			kept ? "; kept in " : "", kept ? kept : "",
			capped ? "; not kept (--max-kept reached)" : "");
		ft_loop_put_stderr_tail(lp->out, kept ? kept : s->dir);
		if (capped)
			ft_loop_clean_slot(lp, s);
		if (r.timed_out)
			fprintf(lp->out, "  %d of %d processes asked gave their"
					 " stacks (see %s/flaketrap.txt)\n",
				r.stacks_given, r.stacks_asked,
				kept ? kept : s->dir);
		lp->last_progress = 0;
		ft_loop_progress(lp, 1);
		if (lp->until_fail)
			lp->stopping = 1;
	}
	free(kept);
out:
	free(s->log);
	s->log = NULL;
}

