/* SPDX-License-Identifier: MIT */
/*
 * What `flaketrap loop` prints: the progress line (kept up to date on a
 * terminal), the end of a failing run's stderr, and the summary as text
 * and as JSON.
 */
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

/* Plain progress lines, when not on a terminal: one per this long. */
#define PLAIN_EVERY_NS 5000000000LL
#define TTY_EVERY_NS 250000000LL

void ft_loop_clear_progress(struct loop *lp)
{
	if (lp->tty && lp->last_progress)
		fputs("\r\033[K", lp->out);
}

void ft_loop_progress(struct loop *lp, int force)
{
	long long now = ft_loop_now_ns(), el = now - lp->t0;
	double secs = (double)el / 1e9;

	if (!force && now - lp->last_progress <
			      (lp->tty ? TTY_EVERY_NS : PLAIN_EVERY_NS))
		return;
	lp->last_progress = now;
	if (lp->tty)
		fputs("\r\033[K", lp->out);
	fprintf(lp->out, "%lld:%02lld:%02lld %lld run%s (%lld running):"
			 " %lld failed, %lld leaked, %lld timed out,"
			 " %.1f runs/s",
		el / 3600000000000LL, el / 60000000000LL % 60,
		el / 1000000000LL % 60, lp->runs, lp->runs == 1 ? "" : "s",
		lp->started - lp->runs - lp->stopped,
		lp->failed + lp->leak_failed + lp->timed_out, lp->leaked,
		lp->timed_out, secs > 0 ? (double)lp->runs / secs : 0.0);
	fputs(lp->tty ? "" : "\n", lp->out);
	fflush(lp->out);
}

/* What a failing run said last: the last lines of its stderr, as a hint. */
#define TAIL_LINES 3
#define TAIL_WIDTH 160
void ft_loop_put_stderr_tail(FILE *out, const char *dir)
{
	char *path = ft_loop_asprintf("%s/stderr", dir), buf[8192];
	const char *lines[TAIL_LINES + 1], *p, *end;
	size_t len;
	ssize_t n;
	int fd, k = 0, i, j;
	off_t size;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)(sizeof(buf) - 1), SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	len = (size_t)n;
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	/* The starts of the last TAIL_LINES lines, newest first. */
	for (p = buf + len; k < TAIL_LINES && p > buf; k++) {
		while (p > buf && p[-1] != '\n')
			p--;
		lines[k] = p;
		if (p > buf)
			p--;
	}
	for (i = k - 1; i >= 0; i--) {
		end = strchr(lines[i], '\n');
		j = end ? (int)(end - lines[i]) : (int)strlen(lines[i]);
		fputs("  | ", out);
		for (n = 0; n < j && n < TAIL_WIDTH; n++)
			fputc(lines[i][n] >= 0x20 || lines[i][n] == '\t' ||
				      (unsigned char)lines[i][n] >= 0x80
				      ? lines[i][n] : '?', out);
		fputs(n < j ? "...\n" : "\n", out);
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void ft_loop_summary_json(struct loop *lp, double secs, int status)
{
	FILE *f = stdout;
	size_t i;

	fprintf(f, "{\"flaketrap_loop\":1,\"base_seed\":\"%llu\",", lp->base);
	fprintf(f, "\"runs\":%lld,\"passed\":%lld,\"failed\":%lld,"
		   "\"leak_failed\":%lld,\"leaked\":%lld,\"timed_out\":%lld,"
		   "\"stopped\":%lld,\"ignored\":%lld,\"interrupted\":%s,"
		   "\"seconds\":%.3f,\"runs_per_second\":%.3f,",
		lp->runs, lp->passed,
		lp->failed + lp->leak_failed + lp->timed_out, lp->leak_failed,
		lp->leaked,
		lp->timed_out, lp->stopped, lp->ignored,
		ft_loop_signal ? "true" : "false",
		secs, secs > 0 ? (double)lp->runs / secs : 0.0);
	fprintf(f, "\"by_result\":{");
	for (i = 0; i < lp->nkinds; i++) {
		fprintf(f, i ? "," : "");
		json_str(f, lp->kinds[i].what);
		fprintf(f, ":%lld", lp->kinds[i].n);
	}
	fprintf(f, "},\"failures\":[");
	for (i = 0; i < lp->nfails; i++) {
		fprintf(f, "%s{\"run\":%lld,\"seed\":\"%llu\",\"result\":",
			i ? "," : "", lp->fails[i].run, lp->fails[i].seed);
		json_str(f, lp->fails[i].what);
		fprintf(f, ",\"dir\":");
		if (lp->fails[i].kept)
			json_str(f, lp->fails[i].kept);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fprintf(f, "],\"leaked_tests\":[");
	for (i = 0; i < lp->nleak_tests; i++) {
		fprintf(f, "%s{\"test\":", i ? "," : "");
		json_str(f, lp->leak_tests[i].name);
		fprintf(f, ",\"runs\":%lld}", lp->leak_tests[i].runs);
	}
	fprintf(f, "],\"exit_status\":%d}\n", status);
	fflush(f);
}

/*
 * The Wilson score interval of k failures in n runs, at 95%: honest at
 * 0 of 50 (0% to 7.1%) where k/n alone says "never".
 */
static void wilson(long long k, long long n, double *lo, double *hi)
{
	const double z = 1.959964, z2 = z * z;
	double p = (double)k / (double)n, d = 1 + z2 / (double)n;
	double mid = (p + z2 / (2 * (double)n)) / d;
	double half = z * sqrt(p * (1 - p) / (double)n +
			       z2 / (4 * (double)n * (double)n)) / d;

	*lo = mid - half < 0 ? 0 : mid - half;
	*hi = mid + half > 1 ? 1 : mid + half;
}

/* What the knobs did, the failure rate, and on a pass, what to try next. */
static void summary_knobs(const struct loop *lp, FILE *f)
{
	long long bad = lp->failed + lp->leak_failed + lp->timed_out;
	double lo, hi;

	if (!lp->runs)
		return;
	fprintf(f, "flaketrap loop: the knobs changed %lld of %lld sleeps,"
		   " injected %lld delays, warped %lld waits, held threads"
		   " %lld times\n",
		lp->sleeps_changed, lp->sleeps_seen, lp->delays,
		lp->waits_warped, lp->chaos_holds);
	wilson(bad, lp->runs, &lo, &hi);
	fprintf(f, "flaketrap loop: failure rate %.1f%% (%lld of %lld;"
		   " 95%% confidence %.1f%% to %.1f%%)\n",
		100.0 * (double)bad / (double)lp->runs, bad, lp->runs,
		100 * lo, 100 * hi);
	if (bad || lp->stopped)
		return;
	if (!lp->sleeps_changed && !lp->delays && !lp->chaos_holds)
		fprintf(f, "flaketrap loop: every run passed and no knob"
			   " acted: try --chaos, --waitpid-delay=100ms,"
			   " --exit-delay=0..200ms, --thread-delay=0..10ms"
			   " or --fork-delay=0..10ms\n");
	else
		fprintf(f, "flaketrap loop: every run passed: try more runs"
			   " in parallel beside load (-j %d --load 2), or"
			   " random sleeps (--sleep=0..50ms)\n",
			2 * lp->jobs);
}

void ft_loop_summary_text(struct loop *lp, double secs)
{
	FILE *f = lp->out;
	size_t i;

	ft_loop_clear_progress(lp);
	fprintf(f, "flaketrap loop: %lld run%s in %.1fs (%.1f runs/s):"
		   " %lld passed, %lld failed",
		lp->runs, lp->runs == 1 ? "" : "s", secs, secs > 0 ? (double)lp->runs / secs : 0.0,
		lp->passed, lp->failed + lp->leak_failed + lp->timed_out);
	for (i = 0; i < lp->nkinds; i++)
		fprintf(f, "%s%s: %lld", i ? ", " : " (", lp->kinds[i].what,
			lp->kinds[i].n);
	fprintf(f, "%s, %lld leaked, %lld timed out", lp->nkinds ? ")" : "",
		lp->leaked, lp->timed_out);
	if (lp->stopped)
		fprintf(f, ", %lld stopped unfinished", lp->stopped);
	if (lp->ignored)
		fprintf(f, ", %lld failing run%s passed by --failure/--ignore",
			lp->ignored, lp->ignored == 1 ? "" : "s");
	fputc('\n', f);
	for (i = 0; i < lp->nleak_tests; i++)
		fprintf(f, "%s%s (%lld run%s)%s",
			i ? ", " : "flaketrap loop: left alive at a test's end"
				   " in failing runs: ",
			lp->leak_tests[i].name, lp->leak_tests[i].runs,
			lp->leak_tests[i].runs == 1 ? "" : "s",
			i + 1 == lp->nleak_tests ? "\n" : "");
	summary_knobs(lp, f);
	if (lp->nfails) {
		fprintf(f, "first failure: run %lld, seed %llu: %s",
			lp->fails[0].run, lp->fails[0].seed,
			lp->fails[0].what);
		if (lp->fails[0].kept)
			fprintf(f, "; replay with %s/reproduce.sh",
				lp->fails[0].kept);
		fputc('\n', f);
	}
	fflush(f);
}

