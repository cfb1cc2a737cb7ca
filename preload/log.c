/* SPDX-License-Identifier: MIT */
/*
 * The JSON Lines log: with FLAKETRAP_LOG=DIR each process appends to
 * DIR/<program>.<pid>.jsonl. One write(2) per event on a file opened for that
 * event alone (O_APPEND), so lines of many processes never interleave and a
 * program that closes or reuses descriptors cannot make us write elsewhere.
 * Everything here is async-signal-safe: no allocation, no stdio, no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "fmt.h"
#include "ft.h"

#define FT_LOG_SCHEMA 1
#define FT_LINE_MAX 16384
#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)

/* The process these flags belong to; a vfork or clone child differs. */
static pid_t owner;
static atomic_int start_written;
static atomic_int exit_written;

/* async-signal-safe */
void ft_log_after_fork(void)
{
	owner = getpid();
	atomic_store(&start_written, 0);
	atomic_store(&exit_written, 0);
}

static int logging(void)
{
	/*
	 * A vfork child shares our memory: it must not touch these flags,
	 * so it logs nothing (it either execs, with a log of its own, or
	 * ends at once).
	 */
	return ft_cfg()->log_dir[0] != '\0' && getpid() == owner;
}

static void program_name(struct ft_buf *b)
{
	char **argv = ft_argv();
	const char *p = argv && argv[0] ? argv[0] : "", *slash;
	size_t n = 0;

	slash = strrchr(p, '/');
	if (slash)
		p = slash + 1;
	for (; *p && n < 32; p++, n++) {
		char c = *p;
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '.' || c == '-' ||
			   c == '_';

		ft_buf_char(b, keep ? c : '_');
	}
	if (n == 0)
		ft_buf_str(b, "process");
}

static void write_line(struct ft_buf *line)
{
	char path[FT_PATH_MAX + 64];
	struct ft_buf b;
	const char *p = line->p;
	size_t left = line->len;
	ssize_t n;
	int fd, saved = errno;

	ft_buf_init(&b, path, sizeof(path));
	ft_buf_str(&b, ft_cfg()->log_dir);
	ft_buf_char(&b, '/');
	program_name(&b);
	ft_buf_char(&b, '.');
	ft_buf_u64(&b, (uint64_t)getpid());
	ft_buf_str(&b, ".jsonl");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd >= 0) {
		while (left > 0) {
			n = write(fd, p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			p += n;
			left -= (size_t)n;
		}
		close(fd);
	}
	errno = saved;
}

static void begin(struct ft_buf *b, const char *event)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ft_buf_str(b, "{\"event\":");
	ft_buf_json(b, event);
	ft_buf_str(b, ",\"time_ns\":");
	ft_buf_i64(b, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	ft_buf_str(b, ",\"pid\":");
	ft_buf_u64(b, (uint64_t)getpid());
}

/* Close the record; a record cut short becomes a valid, marked one. */
static void finish(struct ft_buf *b, size_t keep_on_cut)
{
	if (b->full) {
		b->full = 0;
		b->len = keep_on_cut;
		ft_buf_str(b, ",\"truncated\":true");
	}
	ft_buf_str(b, "}\n");
}

static void write_start(void)
{
	char mem[FT_LINE_MAX];
	const struct ft_config *cfg = ft_cfg();
	struct ft_buf b;
	char **argv = ft_argv();
	size_t before_argv;
	int i;

	ft_buf_init(&b, mem, sizeof(mem));
	begin(&b, "start");
	ft_buf_str(&b, ",\"schema\":" FT_STR(FT_LOG_SCHEMA)
			",\"version\":\"" FT_VERSION "\"");
	ft_buf_str(&b, ",\"ppid\":");
	ft_buf_u64(&b, (uint64_t)getppid());
	ft_buf_str(&b, ",\"seed\":\"");
	ft_buf_u64(&b, ft_seed());
	ft_buf_str(&b, "\",\"config\":{");
	for (i = 0; i < FT_NKNOBS; i++) {
		char name[32];
		size_t j;

		for (j = 0; ft_knobs[i].name[j] && j < sizeof(name) - 1; j++)
			name[j] = ft_lower(ft_knobs[i].name[j]);
		name[j] = '\0';
		if (i)
			ft_buf_char(&b, ',');
		ft_buf_json(&b, name);
		ft_buf_char(&b, ':');
		if (i == FT_KNOB_log)
			ft_buf_json(&b, cfg->log_dir);
		else if (i == FT_KNOB_seed) {
			ft_buf_char(&b, '"');
			ft_buf_u64(&b, ft_seed());
			ft_buf_char(&b, '"');
		} else
			ft_buf_json(&b, cfg->text[i]);
	}
	ft_buf_str(&b, "}");
	before_argv = b.len;
	ft_buf_str(&b, ",\"argv\":[");
	for (i = 0; argv && argv[i]; i++) {
		if (i)
			ft_buf_char(&b, ',');
		ft_buf_json(&b, argv[i]);
	}
	ft_buf_char(&b, ']');
	finish(&b, before_argv);
	write_line(&b);
}

/* async-signal-safe */
void ft_log_start(void)
{
	if (!logging() || atomic_exchange(&start_written, 1))
		return;
	write_start();
}

/* async-signal-safe */
void ft_log_exit(const char *how, int code)
{
	char mem[1024];
	struct ft_buf b;

	if (!logging() || atomic_exchange(&exit_written, 1))
		return;
	ft_log_start();
	ft_buf_init(&b, mem, sizeof(mem));
	begin(&b, "exit");
	ft_buf_str(&b, ",\"how\":");
	ft_buf_json(&b, how);
	ft_buf_str(&b, strcmp(how, "signal") == 0 ? ",\"signal\":"
						    : ",\"status\":");
	if (code < 0)
		ft_buf_str(&b, "null");
	else
		ft_buf_i64(&b, code);
	ft_buf_str(&b, ",\"counters\":{\"sleeps_seen\":");
	ft_buf_u64(&b, atomic_load(&ft_counters.sleeps_seen));
	ft_buf_str(&b, ",\"sleeps_changed\":");
	ft_buf_u64(&b, atomic_load(&ft_counters.sleeps_changed));
	ft_buf_str(&b, ",\"requested_ns\":");
	ft_buf_u64(&b, atomic_load(&ft_counters.requested_ns));
	ft_buf_str(&b, ",\"slept_ns\":");
	ft_buf_u64(&b, atomic_load(&ft_counters.slept_ns));
	ft_buf_str(&b, "}");
	finish(&b, b.len);
	write_line(&b);
}
