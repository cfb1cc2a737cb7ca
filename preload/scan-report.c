/* SPDX-License-Identifier: MIT */
/*
 * The exit scan's records: each leak as a record of the log (JSON), or,
 * without a log, as text on stderr under one header line.
 */
#include <fcntl.h>
#include <sched.h>
#include <string.h>

#include "fmt.h"
#include "ft.h"
#include "proc.h"
#include "scan.h"

/* Frames a memo holds at most (the longest backtrace knob's); longer
 * arrays are written afresh. */
#define FT_MEMO_FRAMES 64
/* Room beyond a memo's text a record must have: more than the frame
 * writer keeps for the keys after an array (frames.c), so that the text
 * written afresh would not have been cut either. */
#define FT_MEMO_SPARE 2048

static const char *const origin_names[] = {
	[FT_ORIGIN_UNKNOWN] = "unknown",
	[FT_ORIGIN_FORK] = "fork",
	[FT_ORIGIN_VFORK] = "vfork",
	[FT_ORIGIN_POSIX_SPAWN] = "posix_spawn",
	[FT_ORIGIN_POSIX_SPAWNP] = "posix_spawnp",
	[FT_ORIGIN_SYSTEM] = "system",
	[FT_ORIGIN_POPEN] = "popen",
	[FT_ORIGIN_PTHREAD_CREATE] = "pthread_create",
};

static const char *origin_of(const struct leak *l)
{
	return l->rec ? origin_names[l->rec->origin] : "unknown";
}

static const char *child_state_name(char c)
{
	return c == 'Z' ? "zombie" : c == 'T' || c == 't' ? "stopped"
							   : "running";
}

/*
 * cmdline (NUL-separated) of pid as a JSON array or as text. A child that
 * has just exec'd may show none yet: the kernel lets a vfork parent go on
 * before the new image's arguments are in place. Only a zombie has none
 * for good; others get up to 100 ms.
 */
static void cmdline(struct ft_buf *b, pid_t pid, char state, int json)
{
	char path[64], buf[2048];
	int64_t deadline = 0;
	ssize_t n, i;
	int first = 1;

	ft_proc_path(path, sizeof(path), "/proc/", pid, "/cmdline");
	while ((n = ft_read_file(path, buf, sizeof(buf))) == 0 && state != 'Z') {
		if (!deadline)
			deadline = ft_monotonic_ns() + 100000000;
		else if (ft_monotonic_ns() > deadline)
			break;
		sched_yield();
	}
	if (json)
		ft_buf_char(b, '[');
	for (i = 0; n > 0 && i < n; i += (ssize_t)strlen(buf + i) + 1) {
		if (!first)
			ft_buf_char(b, json ? ',' : ' ');
		first = 0;
		if (json)
			ft_buf_json(b, buf + i);
		else
			ft_buf_str(b, buf + i);
	}
	if (json)
		ft_buf_char(b, ']');
}

static void read_comm(char *out, size_t len, int dirfd, const char *path)
{
	ssize_t n = ft_read_line_file_at(dirfd, path, out, len);

	if (n > 0 && out[n - 1] == '\n')
		out[n - 1] = '\0';
	if (n < 0)
		out[0] = '\0';
}

/* A child's name: from the stat the scan read, else from /proc. */
static void child_comm(char *out, size_t len, const struct leak *l)
{
	char path[64];

	if (l->comm[0]) {
		strncpy(out, l->comm, len - 1);
		out[len - 1] = '\0';
		return;
	}
	ft_proc_path(path, sizeof(path), "/proc/", l->id, "/comm");
	read_comm(out, len, AT_FDCWD, path);
}

/* A running thread's name: the one its stack signal's handler asked for,
 * else from /proc (through the scan's open /proc/self/task: 0 is a zeroed
 * scan's, never opened). */
static void thread_comm(char *out, size_t len, const struct scan *s,
			const struct leak *l)
{
	int taskdir = s->taskdir > 0 ? s->taskdir : -1;
	char path[64];

	if (l->stack && l->stack->comm[0]) {
		strncpy(out, l->stack->comm, len - 1);
		out[len - 1] = '\0';
		return;
	}
	ft_task_path(path, sizeof(path), taskdir, l->id, "comm");
	read_comm(out, len, taskdir, path);
}

/* Whether a running thread's name is told: read from /proc for the first
 * of its site (scan.c's choose_names), or given by its stack's handler. */
static int name_told(const struct leak *l)
{
	return l->id > 0 && !l->finished &&
	       (!l->unnamed || (l->stack && l->stack->comm[0]));
}

/* Text or records gathered in s->out, when it is there, else written now. */
static void put_out(struct scan *s, const char *p, size_t len, int logging)
{
	if (!s->out) {
		if (logging)
			ft_log_write_lines(p, len);
		else
			ft_stderr_write(p, len);
		return;
	}
	if (s->out_cap - s->out_len < len)
		ft_leaks_flush(s, logging);
	if (s->out_cap - s->out_len < len) {
		if (logging)
			ft_log_write_lines(p, len);
		else
			ft_stderr_write(p, len);
		return;
	}
	memcpy(s->out + s->out_len, p, len);
	s->out_len += len;
}

void ft_leaks_flush(struct scan *s, int logging)
{
	if (!s->out || !s->out_len)
		return;
	if (logging)
		ft_log_write_lines(s->out, s->out_len);
	else
		ft_stderr_write(s->out, s->out_len);
	s->out_len = 0;
}

/*
 * The text of the last frame array written, for the next record that has
 * the same frames: threads made in one loop, blocked at one call, share
 * their backtraces and stacks, and naming each frame (its module, symbol
 * and build id) was a third of the scan's time with 1,000 threads. The
 * text of a frame depends on its address alone.
 */
struct frames_memo {
	int n;			/* 0: none */
	uintptr_t ips[FT_MEMO_FRAMES];
	size_t len;
	char *text;		/* FT_SCRATCH_SIZE bytes, mapped once */
};

static struct frames_memo backtrace_memo, stack_memo;

/*
 * As ft_frames_json, from the memo when it holds these frames and the
 * record has room for them with more to spare than any cut would want (a
 * cut depends on the room left, so only an uncut text is reused).
 */
static int frames_json_memo(struct frames_memo *m, struct ft_buf *b,
			    const uintptr_t *ips, int n)
{
	size_t before = b->len;
	int written;

	if (n > 0 && n == m->n &&
	    !memcmp(m->ips, ips, (size_t)n * sizeof(*ips)) &&
	    b->cap - b->len > m->len + FT_MEMO_SPARE) {
		ft_buf_mem(b, m->text, m->len);
		return n;
	}
	written = ft_frames_json(b, ips, n);
	if (n <= 0 || n > FT_MEMO_FRAMES || written < n || b->full ||
	    b->cap - b->len <= FT_MEMO_SPARE)
		return written;
	if (!m->text && !(m->text = ft_map(FT_SCRATCH_SIZE)))
		return written;
	m->n = n;
	memcpy(m->ips, ips, (size_t)n * sizeof(*ips));
	m->len = b->len - before;
	memcpy(m->text, b->p + before, m->len);
	return written;
}

void ft_leak_json(struct scan *s, const struct leak *l)
{
	const struct ft_rec *rec = l->rec;
	const char *event;
	struct ft_buf b;
	char name[64];
	size_t keep;
	int cut = 0, told;

	if (l->at_test_end)
		event = l->kind == LEAK_CHILD ? "test_leaked_child"
					      : "test_leaked_thread";
	else
		event = l->kind == LEAK_CHILD ? "leaked_child" : "leaked_thread";
	/* The exit scan knows its pid: two getpid calls a record less. */
	if (s->pid)
		ft_log_begin_held(&b, s->line, event, s->pid);
	else
		ft_log_begin(&b, s->line, event);
	if (l->kind == LEAK_CHILD) {
		ft_buf_str(&b, ",\"child\":");
		ft_buf_u64(&b, (uint64_t)l->id);
		ft_buf_str(&b, ",\"state\":");
		ft_buf_json(&b, child_state_name(l->state));
		child_comm(name, sizeof(name), l);
		ft_buf_str(&b, ",\"comm\":");
		ft_buf_json(&b, name);
		ft_buf_str(&b, ",\"cmdline\":");
		cmdline(&b, l->id, l->state, 1);
	} else {
		ft_buf_str(&b, ",\"tid\":");
		ft_buf_u64(&b, (uint64_t)(l->id > 0 ? l->id : 0));
		name[0] = '\0';
		told = name_told(l);
		if (told)
			thread_comm(name, sizeof(name), s, l);
		/* Unread is left out, not given as empty. */
		if (told || l->id <= 0 || l->finished) {
			ft_buf_str(&b, ",\"name\":");
			ft_buf_json(&b, name);
		}
		ft_buf_str(&b, ",\"state\":");
		ft_buf_json(&b, l->finished ? "finished" : "running");
		ft_buf_str(&b, ",\"detached\":");
		ft_buf_str(&b, rec && rec->detached ? "true" : "false");
	}
	ft_buf_str(&b, ",\"origin\":");
	ft_buf_json(&b, origin_of(l));
	if (rec) {
		if (rec->fn) {
			ft_buf_str(&b, ",\"start_routine\":");
			ft_frame_json(&b, rec->fn, 0);
		}
		ft_buf_str(&b, ",\"created_ns\":");
		ft_buf_i64(&b, rec->created_ns);
		ft_buf_str(&b, ",\"creator_tid\":");
		ft_buf_u64(&b, (uint64_t)rec->creator_tid);
		if (ft_test_name(rec->test)) {
			ft_buf_str(&b, ",\"test\":");
			ft_buf_json(&b, ft_test_name(rec->test));
		}
	}
	keep = b.len;
	if (rec && rec->nframes) {
		ft_buf_str(&b, ",\"backtrace\":");
		cut |= frames_json_memo(&backtrace_memo, &b, rec->frames,
					rec->nframes) < rec->nframes;
		if (!b.full)
			keep = b.len;
	}
	if (rec && ft_reg_python(rec)) {
		ft_py_stack_json(&b, ft_reg_python(rec));
		if (!b.full)
			keep = b.len;
	}
	if (l->kind == LEAK_THREAD && !l->finished && !l->at_test_end) {
		if (l->stack) {
			ft_buf_str(&b, ",\"stack\":");
			cut |= frames_json_memo(&stack_memo, &b,
						l->stack->ips, l->stack->n) <
			       l->stack->n;
		} else {
			ft_buf_str(&b, ",\"stack_unavailable\":");
			ft_buf_json(&b, l->no_stack ? l->no_stack
						    : "the thread has not started");
		}
		if (!b.full)
			keep = b.len;
	}
	if (cut && !b.full) {
		ft_buf_str(&b, ",\"truncated\":true");
		if (!b.full)
			keep = b.len;
	}
	ft_log_finish(&b, keep);
	put_out(s, b.p, b.len, 1);
}

/* The first 8 frames that are not ours (see ft_frame_ours). */
static void text_frames(struct ft_buf *b, const uintptr_t *ips, int n,
			int first_exact)
{
	int i, shown = 0, is_return;

	for (i = 0; i < n; i++) {
		is_return = !(first_exact && i == 0);
		if (ft_frame_ours(ips[i], is_return))
			continue;
		if (shown == 8) {
			ft_buf_str(b, "    ...\n");
			break;
		}
		ft_buf_str(b, "    #");
		ft_buf_u64(b, (uint64_t)shown++);
		ft_buf_char(b, ' ');
		ft_frame_text(b, ips[i], is_return);
		ft_buf_char(b, '\n');
	}
}

void ft_leak_text(struct scan *s, const struct leak *l)
{
	const struct ft_rec *rec = l->rec;
	struct ft_buf b;
	char name[64];

	ft_buf_init(&b, s->line, FT_LINE_MAX);
	if (l->kind == LEAK_CHILD) {
		ft_buf_str(&b, "  child ");
		ft_buf_u64(&b, (uint64_t)l->id);
		ft_buf_char(&b, ' ');
		ft_buf_str(&b, child_state_name(l->state));
		ft_buf_str(&b, ", made by ");
		ft_buf_str(&b, origin_of(l));
		ft_buf_str(&b, ": ");
		cmdline(&b, l->id, l->state, 0);
		if (l->state == 'Z') {
			child_comm(name, sizeof(name), l);
			ft_buf_char(&b, '[');
			ft_buf_str(&b, name);
			ft_buf_char(&b, ']');
		}
		ft_buf_char(&b, '\n');
	} else {
		ft_buf_str(&b, "  thread ");
		ft_buf_u64(&b, (uint64_t)(l->id > 0 ? l->id : 0));
		if (name_told(l)) {
			thread_comm(name, sizeof(name), s, l);
			ft_buf_str(&b, " \"");
			ft_buf_str(&b, name);
			ft_buf_char(&b, '"');
		}
		ft_buf_str(&b, l->finished ? " finished, never joined"
					   : " running");
		if (rec && rec->fn) {
			ft_buf_str(&b, ", start routine ");
			ft_frame_text(&b, rec->fn, 0);
		} else if (!rec) {
			ft_buf_str(&b, ", made by unknown");
		}
		ft_buf_char(&b, '\n');
	}
	if (rec && ft_test_name(rec->test)) {
		ft_buf_str(&b, "    made during test ");
		ft_buf_str(&b, ft_test_name(rec->test));
		ft_buf_char(&b, '\n');
	}
	if (rec && rec->nframes) {
		ft_buf_str(&b, "    created at:\n");
		text_frames(&b, rec->frames, rec->nframes, 0);
	}
	if (l->stack) {
		ft_buf_str(&b, "    current stack:\n");
		text_frames(&b, l->stack->ips, l->stack->n, 1);
	}
	put_out(s, b.p, b.len, 0);
}

void ft_leaks_header_text(struct scan *s)
{
	char **argv = ft_argv();
	struct ft_buf b;

	ft_buf_init(&b, s->line, FT_LINE_MAX);
	ft_buf_str(&b, "flaketrap: pid ");
	ft_buf_u64(&b, (uint64_t)s->pid);
	if (argv && argv[0]) {
		ft_buf_str(&b, " (");
		ft_buf_str(&b, argv[0]);
		ft_buf_char(&b, ')');
	}
	ft_buf_str(&b, " left ");
	ft_buf_u64(&b, ft_process.leak_counts.children);
	ft_buf_str(&b, ft_process.leak_counts.children == 1 ? " child and "
						    : " children and ");
	ft_buf_u64(&b, ft_process.leak_counts.threads);
	ft_buf_str(&b, ft_process.leak_counts.threads == 1 ? " thread behind\n"
						   : " threads behind\n");
	put_out(s, b.p, b.len, 0);
}
