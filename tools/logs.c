/* SPDX-License-Identifier: MIT */
/*
 * Log reading: finds the files, reads them line by line with a bounded
 * buffer (a 1 GB line costs 1 MiB of memory, not 1 GB), parses and checks
 * each record against schema 1, keeps the leak and crash records, the
 * stacks taken on request and the sleep sites.
 * Grouping and printing are report.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logs.h"
#include "schema.h"

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

/* The file being read, and how its problems are told. */
struct source {
	struct ft_logs *l;
	const struct ft_log_file *file;
	unsigned long bad;	/* lines skipped in this file */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("flaketrap");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		perror("flaketrap");
		exit(2);
	}
	return d;
}

/* Grows an array of n elements of size sz to hold one more. */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? 2 * *cap : 16;
	return xrealloc(arr, *cap * sz);
}

__attribute__((format(printf, 4, 5)))
static void log_error(struct ft_logs *l, const char *path, unsigned long line,
		      const char *fmt, ...)
{
	struct ft_log_error *e;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		perror("flaketrap");
		exit(2);
	}
	va_end(ap);
	if (line)
		fprintf(stderr, "%s: %s:%lu: %s\n", l->prefix, path, line, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", l->prefix, path, msg);
	l->errors = grow(l->errors, l->nerrors, &l->caperrors, sizeof(*e));
	e = &l->errors[l->nerrors++];
	e->path = xstrdup(path);
	e->line = line;
	e->message = msg;
}

/* A skipped line: told for the first few of a file, counted always. */
__attribute__((format(printf, 3, 4)))
static void bad_line(struct source *src, unsigned long line,
		     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	src->l->skipped++;
	if (++src->bad > FT_LOG_ERRORS_SHOWN)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		perror("flaketrap");
		exit(2);
	}
	va_end(ap);
	log_error(src->l, src->file->path, line, "%s", msg);
	free(msg);
}

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

void ft_logs_init(struct ft_logs *l, const char *prefix)
{
	memset(l, 0, sizeof(*l));
	l->prefix = prefix;
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
				*line = xrealloc(*line, *cap);
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
		*line = xrealloc(NULL, *cap = 64);
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

static int snapshot_size(const struct ft_logs *l, const char *path,
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

static void add_proc(struct ft_logs *l, const char *dir, long long pid)
{
	if (l->nprocs && l->procs[l->nprocs - 1].pid == pid &&
	    l->procs[l->nprocs - 1].dir == dir)
		return;
	l->procs = grow(l->procs, l->nprocs, &l->capprocs, sizeof(*l->procs));
	l->procs[l->nprocs].dir = dir;
	l->procs[l->nprocs++].pid = pid;
}

static struct ft_log_file *new_file(struct ft_logs *l, const char *path)
{
	struct ft_log_file *f = xrealloc(NULL, sizeof(*f));
	const char *base = strrchr(path, '/');
	char *dot;
	size_t n;

	f->path = xstrdup(path);
	f->gone = l->paths_gone;
	f->cited = f->path;
	n = l->cite_base ? strlen(l->cite_base) : 0;
	if (n && !strncmp(path, l->cite_base, n) && path[n] == '/')
		f->cited = f->path + n + 1;
	n = base ? (size_t)(base - path) : 0;
	f->dir = base ? strndup(path, n ? n : 1) : xstrdup(".");
	if (!f->dir) {
		perror("flaketrap");
		exit(2);
	}
	f->program = xstrdup(base ? base + 1 : path);
	n = strlen(f->program);
	if (n > 6 && !strcmp(f->program + n - 6, ".jsonl"))
		f->program[n - 6] = '\0';
	dot = strrchr(f->program, '.');
	if (dot && dot != f->program && dot[1] &&
	    strspn(dot + 1, "0123456789") == strlen(dot + 1))
		*dot = '\0';
	l->files = xrealloc(l->files, (l->nfiles + 1) * sizeof(*l->files));
	l->files[l->nfiles++] = f;
	return f;
}

/* Adds the integers under v (an exit record's counters) to l's sums. */
static void add_counters(struct ft_logs *l, const struct ft_json *v,
			 const char *prefix)
{
	const struct ft_json *m;
	char name[sizeof(l->counters[0].name)];
	long long n;
	size_t i;
	int len;

	for (m = v->first; m; m = m->next) {
		len = snprintf(name, sizeof(name), "%s%s%.*s", prefix,
			       *prefix ? "." : "", (int)m->name_len, m->name);
		if (len < 0 || (size_t)len >= sizeof(name))
			continue;
		if (m->type == FT_JSON_OBJECT) {
			add_counters(l, m, name);
			continue;
		}
		if (ft_json_int(m, &n) != 0)
			continue;
		for (i = 0; i < l->ncounters; i++)
			if (!strcmp(l->counters[i].name, name))
				break;
		if (i == l->ncounters) {
			if (i == FT_LOG_COUNTERS_MAX)
				continue;
			strcpy(l->counters[l->ncounters++].name, name);
		}
		/* A forged log must not overflow the sum. */
		if (__builtin_add_overflow(l->counters[i].sum, n,
					   &l->counters[i].sum))
			l->counters[i].sum = n < 0 ? LLONG_MIN : LLONG_MAX;
	}
}

long long ft_logs_counter(const struct ft_logs *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->ncounters; i++)
		if (!strcmp(l->counters[i].name, name))
			return l->counters[i].sum;
	return 0;
}

/*
 * One line: parsed, checked, kept when a report needs it. Returns 0, or -1
 * for a start record of another schema (*schema set): the file is not
 * ours to read.
 */
static int take_line(struct source *src, char *text, size_t len,
		     unsigned long lineno, int no_newline, long long *schema)
{
	static const struct {
		const char *event;
		enum ft_schema_part part;
	} kinds[] = {
		{ "leaked_child", FT_SCHEMA_LEAKED_CHILD },
		{ "leaked_thread", FT_SCHEMA_LEAKED_THREAD },
		{ "crash", FT_SCHEMA_CRASH },
		{ "thread_stack", FT_SCHEMA_THREAD_STACK },
		{ "sleep_sites", FT_SCHEMA_SLEEP_SITES },
		{ "chaos_sites", FT_SCHEMA_CHAOS_SITES },
	};
	struct ft_logs *l = src->l;
	char err[256], why[256];
	struct ft_record *r;
	struct ft_json *v;
	const char *event, *w;
	long long pid, t;
	size_t i;

	v = ft_json_parse(text, len, err, sizeof(err));
	if (!v) {
		/* The library writes whole lines: a cut one is the last. */
		if (no_newline)
			bad_line(src, lineno, "truncated line (no newline at"
				 " the end of the file): %s", err);
		else
			bad_line(src, lineno, "invalid JSON: %s", err);
		return 0;
	}
	if (v->type != FT_JSON_OBJECT) {
		bad_line(src, lineno, "not a record (a JSON object)");
		goto skip;
	}
	w = ft_schema_check(v, FT_SCHEMA_RECORD, why, sizeof(why));
	if (w) {
		bad_line(src, lineno, "bad record: %s", w);
		goto skip;
	}
	event = ft_json_str(ft_json_get(v, "event"));
	ft_json_int(ft_json_get(v, "pid"), &pid);
	ft_json_int(ft_json_get(v, "time_ns"), &t);
	if (!strcmp(event, "start")) {
		w = ft_schema_check(v, FT_SCHEMA_START, why, sizeof(why));
		if (w) {
			bad_line(src, lineno, "bad start record: %s", w);
			goto skip;
		}
		ft_json_int(ft_json_get(v, "schema"), schema);
		if (*schema != 1) {
			ft_json_free(v);
			return -1;
		}
	}
	/* Unknown events are newer schema-1 records: not ours to judge. */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(event, kinds[i].event))
			break;
	if (i < sizeof(kinds) / sizeof(kinds[0])) {
		w = ft_schema_check(v, kinds[i].part, why, sizeof(why));
		if (w) {
			bad_line(src, lineno, "bad %s record: %s", event, w);
			goto skip;
		}
	}
	l->records++;
	add_proc(l, src->file->dir, pid);
	if (!strcmp(event, "exit")) {
		const struct ft_json *c = ft_json_get(v, "counters");

		l->exits++;
		if (c && c->type == FT_JSON_OBJECT && c->count <= 64)
			add_counters(l, c, "");
	}
	if (i < sizeof(kinds) / sizeof(kinds[0])) {
		l->recs = grow(l->recs, l->nrecs, &l->caprecs,
			       sizeof(*l->recs));
		r = &l->recs[l->nrecs++];
		r->json = v;
		r->event = kinds[i].event;
		r->pid = pid;
		r->time_ns = t;
		r->file = src->file;
		r->line = lineno;
		return 0;
	}
skip:
	ft_json_free(v);
	return 0;
}

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
			bad_line(src, lineno, "line longer than %d bytes,"
				 " skipped", FT_LOG_LINE_MAX);
		} else if (len == 0) {
			bad_line(src, lineno, "empty line");
		} else if (take_line(src, line, len, lineno, no_newline,
				     &schema) < 0) {
			/* Records already taken from this file go too. */
			for (i = first_rec; i < l->nrecs; i++)
				ft_json_free(l->recs[i].json);
			l->nrecs = first_rec;
			l->nprocs = first_proc;
			l->records = first_records;
			l->skipped = first_skipped + 1;
			log_error(l, path, lineno, "unknown schema version"
				  " %lld: the file is skipped", schema);
			goto out;
		}
	}
	if (got < 0) {
		log_error(l, path, lineno + 1, "%s", strerror(errno));
		l->skipped++;
	}
	if (src->bad > FT_LOG_ERRORS_SHOWN)
		log_error(l, path, 0, "%lu more bad lines, not shown",
			  src->bad - FT_LOG_ERRORS_SHOWN);
out:
	free(line);
}

static struct reader *new_reader(int fd, const char *mem, size_t memlen)
{
	struct reader *r = xrealloc(NULL, sizeof(*r));

	r->fd = fd;
	r->mem = mem;
	r->memlen = memlen;
	r->mempos = 0;
	r->pos = r->end = 0;
	r->eof = 0;
	return r;
}

static void read_file(struct ft_logs *l, const char *path)
{
	struct source src = { l, NULL, 0 };
	unsigned long lineno = 0;
	struct reader *r;
	off_t from = 0;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error(l, path, 0, "%s", strerror(errno));
		l->skipped++;
		return;
	}
	r = new_reader(fd, NULL, 0);
	src.file = new_file(l, path);
	/* A file cut shorter since the snapshot was rewritten: read it all. */
	if (snapshot_size(l, path, &from) &&
	    (fstat(r->fd, &st) || st.st_size < from))
		from = 0;
	if (from && skip_bytes(r, from, &lineno)) {
		log_error(l, path, 0, "%s", strerror(errno));
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
	read_file(l, path);
	free(path);
}

static void visit_size(struct ft_logs *l, char *path, const struct stat *st)
{
	l->snapshot = xrealloc(l->snapshot,
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
	if (!snapshot_size(l, path, &ignored)) {
		l->lost++;
		log_error(l, path, 0, "this process could not write all its"
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
		log_error(l, dir, 0, "%s", strerror(errno));
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
		log_error(l, path, 0, "%s", strerror(errno));
		l->skipped++;
	} else if (S_ISDIR(st.st_mode)) {
		if (walk(l, path, 1, 0, visit_read) == 0 && !l->empty_ok) {
			log_error(l, path, 0, "no *.jsonl file in this"
				  " directory");
			l->skipped++;
		}
	} else {
		read_file(l, path);
	}
}

void ft_logs_snapshot(struct ft_logs *l, const char *dir)
{
	walk(l, dir, 1, 1, visit_size);
}

static int cmp_proc(const void *a, const void *b)
{
	const struct ft_proc_key *x = a, *y = b;
	int c = strcmp(x->dir, y->dir);

	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

size_t ft_logs_distinct(struct ft_proc_key *keys, size_t n, int runs)
{
	size_t i, count = 0;

	if (!n)
		return 0;
	qsort(keys, n, sizeof(*keys), cmp_proc);
	for (i = 0; i < n; i++)
		if (i == 0 || (runs ? strcmp(keys[i - 1].dir, keys[i].dir)
				    : cmp_proc(&keys[i - 1], &keys[i])))
			count++;
	return count;
}

void ft_logs_free(struct ft_logs *l)
{
	size_t i;

	for (i = 0; i < l->nrecs; i++)
		ft_json_free(l->recs[i].json);
	for (i = 0; i < l->nfiles; i++) {
		free(l->files[i]->path);
		free(l->files[i]->dir);
		free(l->files[i]->program);
		free(l->files[i]);
	}
	for (i = 0; i < l->nerrors; i++) {
		free(l->errors[i].path);
		free(l->errors[i].message);
	}
	for (i = 0; i < l->nsnapshot; i++)
		free(l->snapshot[i].path);
	free(l->recs);
	free(l->files);
	free(l->procs);
	free(l->errors);
	free(l->snapshot);
	memset(l, 0, sizeof(*l));
}
