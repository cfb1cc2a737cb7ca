/* SPDX-License-Identifier: MIT */
/*
 * Log reading: a file, or a buffer, line by line with a bounded buffer (a
 * 1 GB line costs 1 MiB of memory, not 1 GB), each line handed to
 * record.c. Grouping and printing are report's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source.h"

/* The fuzz build makes it small, to reach lines across chunks. */
#ifndef FT_LOG_READ_CHUNK
#define FT_LOG_READ_CHUNK 65536
#endif

/* Reads a file (fd), or a buffer in memory (fd -1: mem, memlen). */
struct reader {
	int fd;
	const char *mem;
	size_t memlen, mempos;
	char buf[FT_LOG_READ_CHUNK];
	size_t pos, end;
	int eof;
};

/* read(2) on the reader's file, or the next chunk of its buffer. */
static ssize_t fill(struct reader *r)
{
	ssize_t got;
	size_t n;

	if (r->fd < 0) {
		n = r->memlen - r->mempos;
		if (n > sizeof(r->buf))
			n = sizeof(r->buf);
		memcpy(r->buf, r->mem + r->mempos, n);
		r->mempos += n;
		return (ssize_t)n;
	}
	do
		got = read(r->fd, r->buf, sizeof(r->buf));
	while (got < 0 && errno == EINTR);
	return got;
}

/*
 * The next line of r into *line (NUL-terminated, without its newline).
 * Returns 1 for a line, 0 at the end, -1 on a read error (errno set).
 * *too_long: the line passed FT_LOG_LINE_MAX and its text was dropped;
 * *no_newline: the file ended before the line's newline.
 */
static int next_line(struct reader *r, char **line, size_t *cap,
		     size_t *len, int *too_long, int *no_newline)
{
	size_t n, take;
	ssize_t got;
	char *nl;

	*len = 0;
	*too_long = *no_newline = 0;
	for (;;) {
		if (r->pos == r->end) {
			if (r->eof)
				break;
			got = fill(r);
			if (got < 0)
				return -1;
			r->pos = 0;
			r->end = (size_t)got;
			if (got == 0) {
				r->eof = 1;
				break;
			}
		}
		nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
		n = nl ? (size_t)(nl - (r->buf + r->pos)) : r->end - r->pos;
		take = *too_long ? 0 : n;
		if (*len + take > FT_LOG_LINE_MAX) {
			*too_long = 1;
			take = 0;
		}
		if (take) {
			if (*len + take + 1 > *cap) {
				*cap = *len + take + 1 > 2 * *cap
					       ? *len + take + 1
					       : 2 * *cap;
				*line = ft_logs_xrealloc(*line, *cap);
			}
			memcpy(*line + *len, r->buf + r->pos, take);
			*len += take;
		}
		r->pos += n;
		if (nl) {
			r->pos++;
			goto done;
		}
	}
	if (*len == 0 && !*too_long)
		return 0;
	*no_newline = 1;
done:
	if (!*line)
		*line = ft_logs_xrealloc(NULL, *cap = 64);
	(*line)[*len] = '\0';
	return 1;
}

/* Reads and drops the first size bytes of r, counting their lines. */
static int skip_bytes(struct reader *r, off_t size, unsigned long *lines)
{
	ssize_t got;
	size_t n;
	char *p;

	while (size > 0) {
		got = fill(r);
		if (got < 0)
			return -1;
		if (got == 0) {
			r->eof = 1;
			return 0;
		}
		n = (off_t)got < size ? (size_t)got : (size_t)size;
		for (p = r->buf; (p = memchr(p, '\n', n - (size_t)(p - r->buf)));
		     p++)
			++*lines;
		size -= (off_t)n;
		r->pos = n;
		r->end = (size_t)got;
	}
	return 0;
}

int ft_logs_snapshot_size(const struct ft_logs *l, const char *path,
			  off_t *size)
{
	size_t i;

	for (i = 0; i < l->nsnapshot; i++)
		if (!strcmp(l->snapshot[i].path, path)) {
			*size = l->snapshot[i].size;
			return 1;
		}
	return 0;
}

static struct ft_log_file *new_file(struct ft_logs *l, const char *path)
{
	struct ft_log_file *f = ft_logs_xrealloc(NULL, sizeof(*f));
	const char *base = strrchr(path, '/');
	char *dot;
	size_t n;

	f->path = ft_logs_xstrdup(path);
	f->gone = l->paths_gone;
	f->cited = f->path;
	n = l->cite_base ? strlen(l->cite_base) : 0;
	if (n && !strncmp(path, l->cite_base, n) && path[n] == '/')
		f->cited = f->path + n + 1;
	n = base ? (size_t)(base - path) : 0;
	f->dir = base ? strndup(path, n ? n : 1) : ft_logs_xstrdup(".");
	if (!f->dir) {
		perror("flaketrap");
		exit(2);
	}
	f->program = ft_logs_xstrdup(base ? base + 1 : path);
	n = strlen(f->program);
	if (n > 6 && !strcmp(f->program + n - 6, ".jsonl"))
		f->program[n - 6] = '\0';
	dot = strrchr(f->program, '.');
	if (dot && dot != f->program && dot[1] &&
	    strspn(dot + 1, "0123456789") == strlen(dot + 1))
		*dot = '\0';
	l->files = ft_logs_xrealloc(l->files, (l->nfiles + 1) * sizeof(*l->files));
	l->files[l->nfiles++] = f;
	return f;
}

/* Adds the integers under v (an exit record's counters) to l's sums. */
/* The lines of r from line lineno + 1 on, as the records of path. */
static void read_lines(struct ft_logs *l, const char *path, struct reader *r,
		       struct source *src, unsigned long lineno)
{
	size_t len, cap = 0, first_rec = l->nrecs, first_proc = l->nprocs;
	size_t first_records = l->records, first_skipped = l->skipped, i;
	int too_long, no_newline, got;
	long long schema;
	char *line = NULL;

	while ((got = next_line(r, &line, &cap, &len, &too_long,
				&no_newline)) > 0) {
		lineno++;
		if (too_long) {
			ft_logs_bad_line(src, lineno, "line longer than %d bytes,"
				 " skipped", FT_LOG_LINE_MAX);
		} else if (len == 0) {
			ft_logs_bad_line(src, lineno, "empty line");
		} else if (ft_logs_take_line(src, line, len, lineno, no_newline,
					     &schema) < 0) {
			/* Records already taken from this file go too. */
			for (i = first_rec; i < l->nrecs; i++)
				ft_json_free(l->recs[i].json);
			l->nrecs = first_rec;
			l->nprocs = first_proc;
			l->records = first_records;
			l->skipped = first_skipped + 1;
			ft_logs_error(l, path, lineno, "unknown schema version"
				  " %lld: the file is skipped", schema);
			goto out;
		}
	}
	if (got < 0) {
		ft_logs_error(l, path, lineno + 1, "%s", strerror(errno));
		l->skipped++;
	}
	if (src->bad > FT_LOG_ERRORS_SHOWN)
		ft_logs_error(l, path, 0, "%lu more bad lines, not shown",
			      src->bad - FT_LOG_ERRORS_SHOWN);
out:
	free(line);
}

static struct reader *new_reader(int fd, const char *mem, size_t memlen)
{
	struct reader *r = ft_logs_xrealloc(NULL, sizeof(*r));

	r->fd = fd;
	r->mem = mem;
	r->memlen = memlen;
	r->mempos = 0;
	r->pos = r->end = 0;
	r->eof = 0;
	return r;
}

void ft_logs_read_file(struct ft_logs *l, const char *path)
{
	struct source src = { l, NULL, 0 };
	unsigned long lineno = 0;
	struct reader *r;
	off_t from = 0;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ft_logs_error(l, path, 0, "%s", strerror(errno));
		l->skipped++;
		return;
	}
	r = new_reader(fd, NULL, 0);
	src.file = new_file(l, path);
	/* A file cut shorter since the snapshot was rewritten: read it all. */
	if (ft_logs_snapshot_size(l, path, &from) &&
	    (fstat(r->fd, &st) || st.st_size < from))
		from = 0;
	if (from && skip_bytes(r, from, &lineno)) {
		ft_logs_error(l, path, 0, "%s", strerror(errno));
		l->skipped++;
	} else {
		read_lines(l, path, r, &src, lineno);
	}
	close(r->fd);
	free(r);
}

void ft_logs_add_buffer(struct ft_logs *l, const char *path, const char *buf,
			size_t len)
{
	struct source src = { l, NULL, 0 };
	struct reader *r = new_reader(-1, buf, len);

	src.file = new_file(l, path);
	read_lines(l, path, r, &src, 0);
	free(r);
}

