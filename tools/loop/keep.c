/* SPDX-License-Identifier: MIT */
/*
 * Where `flaketrap loop` keeps runs: --out (a private directory when not
 * given) and --log made and checked before the first run, and a failing
 * run's directory kept with its seed, its result and a reproduce.sh that
 * runs it again.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../commands.h"
#include "../files.h"
#include "state.h"

/* Whether dir holds the runs of an earlier loop (run-N). */
static int holds_runs(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		found = strncmp(e->d_name, "run-", 4) == 0;
	closedir(d);
	return found;
}

/* s in single quotes for sh. */
static void shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/*
 * reproduce.sh: the run again, as `flaketrap run` with the same seed, the
 * same value of every knob and the same run options, from the same
 * directory. Its arguments go to flaketrap run (--keep-log, a knob).
 */
static void write_reproduce(struct loop *lp, const char *dir,
			    const struct slot *s, const char *what)
{
	char *path = ft_loop_asprintf("%s/reproduce.sh", dir);
	const char *lib = getenv("FLAKETRAP_LIB");
	FILE *f = fopen(path, "we");
	size_t i;
	int k;

	if (!f) {
		fprintf(stderr, "flaketrap loop: %s: %s\n", path,
			strerror(errno));
		free(path);
		return;
	}
	fprintf(f, "#!/bin/sh\n"
		   "# flaketrap loop: run %lld of base seed %llu: %s.\n"
		   "# Runs it again under flaketrap run, with the same seed and"
		   " knobs;\n# arguments go to flaketrap run"
		   " (./reproduce.sh --keep-log).\ncd ",
		s->run, lp->base, what);
	shell_quote(f, lp->cwd);
	fprintf(f, " || exit 125\nexec env");
	if (lp->orig_preload && *lp->orig_preload) {
		fprintf(f, " LD_PRELOAD=");
		shell_quote(f, lp->orig_preload);
	}
	if (lib && *lib) {
		fprintf(f, " FLAKETRAP_LIB=");
		shell_quote(f, lib);
	}
	for (k = 0; k < FT_NKNOBS; k++) {
		/* An unset pattern knob has no value to give. */
		if (k == FT_KNOB_log ||
		    (ft_knobs[k].kind == FT_KIND_PATTERNS &&
		     !*ft_config_text(&lp->cfg, k)))
			continue;
		fprintf(f, " \\\n\t" FT_ENV_PREFIX "%s=", ft_knobs[k].name);
		shell_quote(f, k == FT_KNOB_seed
					  ? s->seedtxt
					  : ft_config_text(&lp->cfg, k));
	}
	fprintf(f, " \\\n\t");
	shell_quote(f, lp->self);
	fprintf(f, " run");
	for (i = 0; i < lp->opt.nreplay; i++) {
		fputc(' ', f);
		shell_quote(f, lp->opt.replay[i]);
	}
	fprintf(f, " \"$@\" --");
	for (i = 0; lp->argv[i]; i++) {
		fputc(' ', f);
		shell_quote(f, lp->argv[i]);
	}
	fputc('\n', f);
	if (fclose(f) != 0)
		fprintf(stderr, "flaketrap loop: %s: %s\n", path,
			strerror(errno));
	chmod(path, 0755);
	free(path);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char *path = ft_loop_asprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "we");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

/* Where a failing run is kept: OUT/run-I.seed-S, or with a suffix. */
static char *keep_dir(struct loop *lp, const struct slot *s)
{
	char *name;
	int i;

	for (i = 0; i < 1000; i++) {
		name = i ? ft_loop_asprintf("%s/run-%lld.seed-%s.%d", lp->outdir,
				     s->run, s->seedtxt, i)
			 : ft_loop_asprintf("%s/run-%lld.seed-%s", lp->outdir,
				     s->run, s->seedtxt);
		if (access(name, F_OK) != 0 && rename(s->dir, name) == 0)
			return name;
		free(name);
		if (errno != EEXIST && errno != ENOTEMPTY && errno != 0)
			break;
	}
	return NULL;
}

static int remove_file(const char *path, const struct stat *st, int flag,
		       struct FTW *ftw)
{
	(void)st;
	if (ftw->level > 0)
		(flag == FTW_DP ? rmdir : unlink)(path);
	return 0;
}

char *ft_loop_keep(struct loop *lp, struct slot *s,
		   const struct ft_sv_result *r, const char *result)
{
	char *text, *kept;

	text = ft_loop_asprintf("%s\n", s->seedtxt);
	write_text(s->dir, "seed", text);
	free(text);
	text = ft_loop_asprintf("run %lld\nseed %s\nresult %s\nstatus %d\n"
				"seconds %.3f\n",
				s->run, s->seedtxt, result, r->status,
				(double)r->ns / 1e9);
	write_text(s->dir, "result", text);
	free(text);
	write_reproduce(lp, s->dir, s, result);
	kept = keep_dir(lp, s);
	if (kept)
		s->ready = 0;
	else
		fprintf(stderr, "flaketrap loop: cannot keep %s: %s\n",
			s->dir, strerror(errno));
	return kept;
}

/* A run not kept: its logs go, the rest is overwritten by the next. */
void ft_loop_clean_slot(struct loop *lp, struct slot *s)
{
	if (!lp->logdir)
		nftw(s->log, remove_file, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes --out (and --log) and checks that a run directory can be made. */
int ft_loop_prepare_dirs(struct loop *lp)
{
	const char *log = getenv("FLAKETRAP_LOG"), *why;
	char abs[PATH_MAX], *probe;

	/*
	 * No --out: a directory of our own, mode 0700 and a name no one can
	 * guess, never a fixed name that another user could own or plant
	 * first in a shared working directory.
	 */
	if (!lp->outdir) {
		probe = strdup("flaketrap-runs.XXXXXX");
		if (!probe)
			ft_loop_oom();
		if (!mkdtemp(probe)) {
			fprintf(stderr, "flaketrap loop: cannot make a directory"
					" for failing runs in %s: %s\n",
				lp->cwd, strerror(errno));
			free(probe);
			return FT_EXIT_TOOL_ERROR;
		}
		lp->own_outdir = 1;
		lp->outdir = probe;
	} else if (ft_mkdir_p(lp->outdir) != 0) {
		fprintf(stderr, "flaketrap loop: cannot make --out directory"
				" %s: %s\n", lp->outdir, strerror(errno));
		return FT_EXIT_TOOL_ERROR;
	}
	probe = ft_loop_asprintf("%s/.running-%d-probe", lp->outdir, (int)getpid());
	if (mkdir(probe, 0700) != 0) {
		fprintf(stderr, "flaketrap loop: cannot write in --out"
				" directory %s: %s\n", lp->outdir,
			strerror(errno));
		free(probe);
		return FT_EXIT_TOOL_ERROR;
	}
	rmdir(probe);
	free(probe);
	if (log && *log) {
		if (ft_mkdir_p(log) != 0 || !realpath(log, abs)) {
			fprintf(stderr, "flaketrap loop: cannot make the log"
					" directory %s: %s\n", log,
				strerror(errno));
			return FT_EXIT_TOOL_ERROR;
		}
		/* Records that cannot be written would pass as none. */
		if (ft_dir_writable(abs) != 0) {
			fprintf(stderr, "flaketrap loop: --log=%s: cannot write"
					" there: %s\n", log, strerror(errno));
			return FT_EXIT_TOOL_ERROR;
		}
		if ((why = ft_log_dir_refusal(abs))) {
			fprintf(stderr, "flaketrap loop: --log=%s: %s: %s\n",
				log, why, FT_LOG_DIR_ADVICE);
			return FT_EXIT_TOOL_ERROR;
		}
		/* Two loops' run-1 in one directory would mix in a report. */
		if (holds_runs(abs)) {
			fprintf(stderr, "flaketrap loop: --log=%s already holds"
					" another loop's runs (run-N): give a new"
					" or empty directory\n", log);
			return FT_EXIT_TOOL_ERROR;
		}
		lp->logdir = strdup(abs);
		if (!lp->logdir)
			ft_loop_oom();
	}
	/* The runs' logs go where the runs are, absolute. */
	if (realpath(lp->outdir, abs)) {
		if (lp->own_outdir)
			free((char *)lp->outdir);
		lp->outdir = strdup(abs);
	} else if (!lp->own_outdir) {
		lp->outdir = strdup(lp->outdir);
	}
	if (!lp->outdir)
		ft_loop_oom();
	return 0;
}

