/* SPDX-License-Identifier: MIT */
/*
 * Reading flaketrap logs (schema 1): files or directories of *.jsonl, each
 * line one record. Lines are checked against the schema; a bad line is
 * skipped with a message naming its file and line, the rest is kept. Only
 * the records a report needs (leaks, crashes, stacks, sleep sites) are kept
 * in memory.
 */
#ifndef FT_LOGS_H
#define FT_LOGS_H

#include <sys/types.h>

#include "json.h"

/* Longer lines are skipped unread (the library writes at most 16 KiB).
 * The fuzz build makes it small, to reach that path. */
#ifndef FT_LOG_LINE_MAX
#define FT_LOG_LINE_MAX (1024 * 1024)
#endif
/* Messages printed per file; further bad lines are only counted. */
#define FT_LOG_ERRORS_SHOWN 10

struct ft_log_file {
	char *path;		/* as given, or found under a directory */
	char *dir;		/* its directory: a run */
	char *program;		/* from the name <program>.<pid>.jsonl */
	int gone;		/* removed once read: never cited */
	const char *cited;	/* path as a report cites it (in path) */
};

struct ft_record {
	struct ft_json *json;
	const char *event;	/* leaked_child, leaked_thread, crash,
				   thread_stack or sleep_sites */
	long long pid;
	long long time_ns;
	const struct ft_log_file *file;
	unsigned long line;
};

struct ft_log_error {
	char *path;
	unsigned long line;	/* 0: about the whole file */
	char *message;
};

struct ft_log_size {
	char *path;
	off_t size;
};

struct ft_proc_key {
	const char *dir;
	long long pid;
};

/*
 * The sum over every exit record read of one integer of its `counters`
 * object, named by its path: "sleeps_seen", "delays.waitpid.count".
 */
struct ft_log_counter {
	char name[64];
	long long sum;
};

#define FT_LOG_COUNTERS_MAX 128

struct ft_logs {
	struct ft_log_file **files;
	size_t nfiles;
	struct ft_record *recs;
	size_t nrecs, caprecs;
	struct ft_proc_key *procs;	/* one per (file, pid): may repeat */
	size_t nprocs, capprocs;
	struct ft_log_error *errors;
	size_t nerrors, caperrors;
	size_t records;		/* valid records read, of any event */
	size_t exits;		/* exit records among them */
	/* Counters of those exit records, summed (new ones are summed too,
	 * in the order first met; past FT_LOG_COUNTERS_MAX, left out). */
	struct ft_log_counter counters[FT_LOG_COUNTERS_MAX];
	size_t ncounters;
	size_t skipped;		/* lines and files skipped */
	/* Processes that could not write all their records (a prog.PID.lost
	 * beside their log, made by the library). */
	size_t lost;
	/* Sizes of files before a run: only what was appended is read. */
	struct ft_log_size *snapshot;
	size_t nsnapshot;
	const char *prefix;	/* of messages on stderr */
	int empty_ok;		/* a directory without logs is no error */
	/* The files are removed once read (run without --keep-log): a
	 * report cites their records by process, not by path. */
	int paths_gone;
	/* A directory that moves with the logs (a kept run of loop, its
	 * flaketrap.txt there): paths under it are cited relative to it. */
	const char *cite_base;
};

void ft_logs_init(struct ft_logs *l, const char *prefix);

/*
 * Records the size of each *.jsonl file under dir now: later reads of
 * these files start there, so a run reports only its own records.
 */
void ft_logs_snapshot(struct ft_logs *l, const char *dir);

/*
 * Reads path: a log file, or a directory searched recursively for *.jsonl
 * files (in name order; symbolic links to directories are not followed).
 * Problems are printed on stderr, kept in l->errors and counted in
 * l->skipped.
 */
void ft_logs_add(struct ft_logs *l, const char *path);

/*
 * Reads buf[0..len) as the contents of the log file path (which is only a
 * name here: nothing is opened), as ft_logs_add reads a file.
 */
void ft_logs_add_buffer(struct ft_logs *l, const char *path, const char *buf,
			size_t len);

/*
 * How many distinct processes (directory and pid) are in keys, or with
 * runs set, how many runs (directories). Sorts keys.
 */
size_t ft_logs_distinct(struct ft_proc_key *keys, size_t n, int runs);

/* The sum of the exit records' counter name, 0 when none had it. */
long long ft_logs_counter(const struct ft_logs *l, const char *name);

void ft_logs_free(struct ft_logs *l);

#endif
