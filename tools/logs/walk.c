/* SPDX-License-Identifier: MIT */
/*
 * The log files under a directory (*.jsonl, and *.lost markers of records
 * a process could not write), read in name order or only measured (a
 * snapshot, so a later read takes only what came after).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "source.h"

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* What to do with each log file a walk finds. */
typedef void visit_fn(struct ft_logs *l, char *path, const struct stat *st);

static void visit_read(struct ft_logs *l, char *path, const struct stat *st)
{
	(void)st;
	ft_logs_read_file(l, path);
	free(path);
}

static void visit_size(struct ft_logs *l, char *path, const struct stat *st)
{
	l->snapshot = ft_logs_xrealloc(l->snapshot,
				       (l->nsnapshot + 1) * sizeof(*l->snapshot));
	l->snapshot[l->nsnapshot].path = path;
	l->snapshot[l->nsnapshot++].size = st->st_size;
}

/*
 * A process's records lost: counted and said, once per run (a marker
 * already there at the snapshot belongs to an earlier one).
 */
static void lost_mark(struct ft_logs *l, char *path, const struct stat *st,
		      visit_fn *visit)
{
	off_t ignored;

	if (visit == visit_size) {
		visit_size(l, path, st);
		return;
	}
	if (!ft_logs_snapshot_size(l, path, &ignored)) {
		l->lost++;
		ft_logs_error(l, path, 0, "this process could not write all its"
			  " records (a full disk, a file size limit, a"
			  " directory made unwritable)");
	}
	free(path);
}

/*
 * Visits the *.jsonl files under dir, in name order; returns how many.
 * quiet: an unreadable directory is not told (a snapshot).
 */
static size_t walk(struct ft_logs *l, const char *dir, int top, int quiet,
		   visit_fn *visit)
{
	struct dirent **names;
	struct stat st;
	size_t found = 0;
	char *path;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		if (quiet)
			return 0;
		ft_logs_error(l, dir, 0, "%s", strerror(errno));
		l->skipped++;
		/* Told already: no "no *.jsonl file" on top of it. */
		return top ? 1 : 0;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    asprintf(&path, "%s%s%s", dir,
			     has_suffix(dir, "/") ? "" : "/", name) < 0)
			goto next;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			found += walk(l, path, 0, quiet, visit);
			free(path);
		} else if (has_suffix(name, ".jsonl") && stat(path, &st) == 0 &&
			   S_ISREG(st.st_mode)) {
			visit(l, path, &st);
			found++;
		} else if (has_suffix(name, ".lost") && stat(path, &st) == 0 &&
			   S_ISREG(st.st_mode)) {
			lost_mark(l, path, &st, visit);
			found++;
		} else {
			free(path);
		}
next:
		free(names[i]);
	}
	free(names);
	return found;
}

void ft_logs_add(struct ft_logs *l, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		ft_logs_error(l, path, 0, "%s", strerror(errno));
		l->skipped++;
	} else if (S_ISDIR(st.st_mode)) {
		if (walk(l, path, 1, 0, visit_read) == 0 && !l->empty_ok) {
			ft_logs_error(l, path, 0, "no *.jsonl file in this"
				  " directory");
			l->skipped++;
		}
	} else {
		ft_logs_read_file(l, path);
	}
}

void ft_logs_snapshot(struct ft_logs *l, const char *dir)
{
	walk(l, dir, 1, 1, visit_size);
}

