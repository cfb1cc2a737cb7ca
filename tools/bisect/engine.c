/* SPDX-License-Identifier: MIT */
/*
 * The engine of `flaketrap bisect`: runs of CMD under the library, and the
 * search. Random halves first, then smaller parts taken out (delta
 * debugging's complements, at finer and finer grain down to single items),
 * each subset tried up to RUNS times so a flaky failure counts. The best
 * subset so far is always in OUT. See engine.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../commands.h"
#include "../files.h"
#include "../loop.h"
#include "../supervise.h"
#include "engine.h"

volatile sig_atomic_t ft_bisect_signal;

void ft_bisect_oom(void)
{
	perror("flaketrap bisect");
	exit(FT_EXIT_TOOL_ERROR);
}

size_t ft_bisect_add(struct ft_bisect *b, const char *text)
{
	if (b->nitems == b->capitems) {
		b->capitems = b->capitems ? 2 * b->capitems : 64;
		b->items = realloc(b->items, b->capitems * sizeof(*b->items));
		if (!b->items)
			ft_bisect_oom();
	}
	b->items[b->nitems] = strdup(text);
	if (!b->items[b->nitems])
		ft_bisect_oom();
	return b->nitems++;
}

int ft_bisect_has(const struct ft_bisect *b, const char *text)
{
	size_t i;

	for (i = 0; i < b->nitems; i++)
		if (!strcmp(b->items[i], text))
			return 1;
	return 0;
}

int ft_bisect_write(const struct ft_bisect *b, const char *path,
		    const size_t *idx, size_t n)
{
	char *tmp;
	size_t i;
	FILE *f;
	int ok;

	if (asprintf(&tmp, "%s.tmp%d", path, (int)getpid()) < 0)
		ft_bisect_oom();
	f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "flaketrap bisect: %s: %s\n", tmp,
			strerror(errno));
		free(tmp);
		return -1;
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", b->items[idx[i]]);
	ok = fclose(f) == 0 && rename(tmp, path) == 0;
	if (!ok) {
		fprintf(stderr, "flaketrap bisect: %s: %s\n", path,
			strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

/* The supervisor of the run going on, for the signal handler. */
static volatile pid_t current;

void ft_bisect_stop_current(void)
{
	if (current > 0)
		ft_sv_stop(current);
}

int ft_bisect_try(struct ft_bisect *b, char **keep)
{
	struct ft_sv_result r;
	struct ft_sv_spec spec;
	char seed[24], *log, what[64];
	long long i;
	int fd;

	for (i = 0; i < b->runs && !ft_bisect_signal; i++) {
		b->nrun++;
		if (b->seed_fixed)
			snprintf(seed, sizeof(seed), "%s", b->failed_seed);
		else
			snprintf(seed, sizeof(seed), "%llu",
				 ft_loop_seed(b->base, b->nrun));
		if (asprintf(&log, "%s/log-%lld", b->tmp, b->nrun) < 0)
			ft_bisect_oom();
		if (ft_mkdir_p(log) != 0) {
			fprintf(stderr, "flaketrap bisect: %s: %s\n", log,
				strerror(errno));
			exit(FT_EXIT_TOOL_ERROR);
		}
		memset(&spec, 0, sizeof(spec));
		spec.argv = b->argv;
		spec.out_fd = b->verbose ? 2 : -1;
		spec.err_fd = b->verbose ? 2 : -1;
		spec.log_dir = log;
		spec.seed = seed;
		spec.timeout_ns = b->timeout_ns;
		spec.report = b->verbose ? "/dev/stderr" : NULL;
		spec.opt = &b->opt;
		spec.cfg = &b->cfg;
		current = ft_sv_start(&spec, &fd);
		if (current < 0) {
			perror("flaketrap bisect: fork");
			exit(FT_EXIT_TOOL_ERROR);
		}
		if (ft_bisect_signal)
			ft_sv_stop(current);
		if (ft_sv_finish(current, fd, &r) != 0) {
			memset(&r, 0, sizeof(r));
			r.status = FT_EXIT_TOOL_ERROR;
		}
		current = 0;
		if (!r.stopped && (r.status != 0 || r.timed_out) && keep) {
			*keep = log;
		} else {
			ft_remove_tree(log);
			free(log);
		}
		if (r.stopped)
			break;
		if (r.status != 0 || r.timed_out) {
			ft_sv_describe(&r, what, sizeof(what));
			fprintf(stderr, "failed (%s, seed %s)\n", what, seed);
			snprintf(b->failed_seed, sizeof(b->failed_seed), "%s",
				 seed);
			return 1;
		}
	}
	if (!ft_bisect_signal)
		fprintf(stderr, "passed%s\n", b->runs > 1 ? " every run" : "");
	return 0;
}

int ft_bisect_failing_log(struct ft_bisect *b, const char *what,
			  const char *nothing_msg, struct ft_logs *l)
{
	char *log = NULL;

	fprintf(stderr, "flaketrap bisect: %s: ", what);
	if (!ft_bisect_try(b, &log)) {
		if (ft_bisect_signal)
			return 128 + ft_bisect_signal;
		fprintf(stderr, "flaketrap bisect: %s\n", nothing_msg);
		return 1;
	}
	l->empty_ok = 1;
	ft_logs_add(l, log);
	ft_remove_tree(log);
	free(log);
	return 0;
}

int ft_bisect_control_run(struct ft_bisect *b, const char *knob,
			  const char *value, const char *what,
			  const char *why_msg)
{
	char name[64], *saved;
	const char *user;
	long long runs = b->runs;
	int failed;

	snprintf(name, sizeof(name), FT_ENV_PREFIX "%s", knob);
	user = getenv(name);
	saved = user ? strdup(user) : NULL;
	if (user && !saved)
		ft_bisect_oom();
	setenv(name, value, 1);
	b->runs = 1;
	fprintf(stderr, "flaketrap bisect: %s: ", what);
	failed = ft_bisect_try(b, NULL);
	b->runs = runs;
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
	if (ft_bisect_signal)
		return 128 + ft_bisect_signal;
	if (failed) {
		fprintf(stderr, "flaketrap bisect: %s\n", why_msg);
		return 1;
	}
	return 0;
}

/* Whether CMD fails with these items, in up to RUNS runs. */
static int fails(struct ft_bisect *b, const size_t *idx, size_t n)
{
	if (b->mode->select(b, idx, n))
		exit(FT_EXIT_TOOL_ERROR);
	return ft_bisect_try(b, NULL);
}

/* A uniform draw in [0, n) from the base seed. */
static size_t draw(struct ft_bisect *b, size_t n)
{
	return (size_t)(ft_loop_seed(b->base ^ 0xb15ec7ULL, ++b->ndraw) % n);
}

static void shuffle(struct ft_bisect *b, size_t *v, size_t n)
{
	size_t i, j, t;

	for (i = n; i > 1; i--) {
		j = draw(b, i);
		t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static int by_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The items back in the order the list had them. */
static void restore_order(size_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_index);
}

/* A better subset: in OUT at once, so an interrupted search loses none. */
static void keep_best(struct ft_bisect *b, const size_t *cur, size_t n)
{
	if (b->output && ft_bisect_write(b, b->output, cur, n))
		exit(FT_EXIT_TOOL_ERROR);
}

int ft_bisect_search(struct ft_bisect *b)
{
	size_t *cur, *cand, ncur, k = 2, i, j, c, lo, hi, ncand;
	const char *noun = b->mode->noun;
	long long iter = 0;
	int reduced;

	cur = malloc(b->nitems * sizeof(*cur));
	cand = malloc(b->nitems * sizeof(*cand));
	if (!cur || !cand)
		ft_bisect_oom();
	for (i = 0; i < b->nitems; i++)
		cur[i] = i;
	ncur = b->nitems;
	fprintf(stderr, "flaketrap bisect: all %zu %s: ", ncur, noun);
	if (!fails(b, cur, ncur)) {
		if (!ft_bisect_signal)
			b->mode->whole_passes(b);
		free(cur);
		free(cand);
		return ft_bisect_signal ? 128 + ft_bisect_signal : 1;
	}
	keep_best(b, cur, ncur);
	while ((long long)ncur > b->size && iter < b->max_iter &&
	       !ft_bisect_signal) {
		if (k > ncur)
			k = ncur;
		shuffle(b, cur, ncur);
		reduced = 0;
		for (c = 0; c < k && iter < b->max_iter && !ft_bisect_signal;
		     c++) {
			/*
			 * Chunk c of k, [lo, hi) of the shuffled items: with
			 * k = 2 a random half is tried, beyond that the rest
			 * without the chunk.
			 */
			lo = ncur * c / k;
			hi = ncur * (c + 1) / k;
			ncand = 0;
			for (j = 0; j < ncur; j++)
				if ((k == 2) == (j >= lo && j < hi))
					cand[ncand++] = cur[j];
			if (ncand == 0 || ncand == ncur)
				continue;
			restore_order(cand, ncand);
			iter++;
			fprintf(stderr, "flaketrap bisect: iteration %lld:"
					" %zu of %zu %s: ", iter, ncand,
				ncur, noun);
			if (fails(b, cand, ncand)) {
				memcpy(cur, cand, ncand * sizeof(*cur));
				ncur = ncand;
				reduced = 1;
				keep_best(b, cur, ncur);
				break;
			}
		}
		if (ft_bisect_signal)
			break;
		if (reduced) {
			k = k > 2 ? k - 1 : 2;
			continue;
		}
		if (k >= ncur)
			break;	/* no item can go: as small as it gets */
		k = 2 * k < ncur ? 2 * k : ncur;
	}
	restore_order(cur, ncur);
	fprintf(stderr, "flaketrap bisect: %zu of %zu %s still fail, after"
			" %lld %s (%lld %s)%s%s%s\n",
		ncur, b->nitems, noun, iter,
		iter == 1 ? "iteration" : "iterations", b->nrun,
		b->nrun == 1 ? "run" : "runs",
		ft_bisect_signal ? ", interrupted" : "",
		b->output ? "; written to " : "", b->output ? b->output : "");
	b->mode->print(b, cur, ncur);
	fflush(stdout);
	free(cur);
	free(cand);
	return ft_bisect_signal ? 128 + ft_bisect_signal : 0;
}
