/* SPDX-License-Identifier: MIT */
/*
 * The JSON Lines log: with FLAKETRAP_LOG=DIR each process appends to
 * DIR/<program>.<pid>.jsonl, named once when the process starts. One
 * write(2) per event on a file opened for that event alone (O_APPEND), so
 * lines of many processes never interleave and a program that closes or
 * reuses descriptors cannot make us write elsewhere.
 * Everything here is async-signal-safe: no allocation from the program's
 * heap, no stdio, no lock. Records are built in pages mapped for the event,
 * not on the stack: _exit and signal handlers may run on a small stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fmt.h"
#include "ft.h"

#define FT_LOG_SCHEMA 1
#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)


static char log_path[FT_PATH_MAX + 64];

/* async-signal-safe */
void ft_log_after_fork(void)
{
	atomic_store(&ft_process.start_written, 0);
	atomic_store(&ft_process.exit_written, 0);
	atomic_store(&ft_process.loss_told, 0);
}

static int logging(void)
{
	return ft_cfg()->log_dir[0] != '\0' && ft_own_process();
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

/* Named once per process, so a program that rewrites argv[0] keeps one file. */
static void name_log_file(void)
{
	struct ft_buf b;

	ft_buf_init(&b, log_path, sizeof(log_path));
	ft_buf_str(&b, ft_cfg()->log_dir);
	ft_buf_char(&b, '/');
	program_name(&b);
	ft_buf_char(&b, '.');
	ft_buf_u64(&b, (uint64_t)getpid());
	ft_buf_str(&b, ".jsonl");
}

/* async-signal-safe */
int ft_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ENOSPC;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * In a shared log directory another user can plant a file at the next
 * prog.PID.jsonl (pids are predictable): a FIFO would block the program
 * in our constructor (O_NONBLOCK opens it at once, or fails with ENXIO),
 * and a file of theirs would receive our argv and config and hold records
 * forged as ours. Only a regular file of our own user is written; -1
 * with errno set, or with *refused saying why the file opened is not.
 */
static int open_log(const char **refused)
{
	struct stat st;
	int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
					O_NOFOLLOW | O_NONBLOCK,
			ft_cfg()->log_file_mode);

	*refused = NULL;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(fd);
		*refused = "not a regular file of this user";
		errno = EPERM;
		return -1;
	}
	return fd;
}

/*
 * The exit scan, a test's end and a stack dump write many records at
 * once: one open for all of them, for the thread that holds it alone (a
 * descriptor shared between threads could be closed by one while another
 * writes with its number, which the program may have opened a file of its
 * own on meanwhile). Holds nest (a stack dump's handler in a thread that
 * holds): the outermost release closes.
 */
static __thread int held_fd = -1;
static __thread int hold_depth;

/* async-signal-safe */
void ft_log_hold(void)
{
	const char *refused;

	/* Refused, each record opens again and says so. */
	if (hold_depth++ == 0 && logging()) {
		ft_log_start();
		held_fd = open_log(&refused);
	}
}

/* async-signal-safe; a release with no hold does nothing */
void ft_log_release(void)
{
	if (hold_depth == 0 || --hold_depth > 0)
		return;
	if (held_fd >= 0)
		close(held_fd);
	held_fd = -1;
}

/*
 * Without a log our report goes to stderr: to the file that was fd 2 when
 * the process began. A program that closed it and reused 2 for its data
 * (an output file, a socket) must not find our lines in there: they are
 * then not written. Compared by device and inode, kept at start.
 */
static struct {
	int open;
	dev_t dev;
	ino_t ino;
} stderr_at_start;

void ft_stderr_note(void)
{
	struct stat st;

	stderr_at_start.open = fstat(2, &st) == 0;
	if (stderr_at_start.open) {
		stderr_at_start.dev = st.st_dev;
		stderr_at_start.ino = st.st_ino;
	}
}

/* async-signal-safe */
void ft_stderr_write(const char *p, size_t len)
{
	struct stat st;
	int saved = errno;

	if (stderr_at_start.open && fstat(2, &st) == 0 &&
	    st.st_dev == stderr_at_start.dev &&
	    st.st_ino == stderr_at_start.ino)
		ft_write_all(2, p, len);
	ft_errno_keep(saved);
}

/*
 * Beside the log, an empty prog.PID.lost says that this process could not
 * write all its records, for flaketrap run, loop and report to count: a
 * file with no data still fits where records no longer do (a full disk, a
 * file size limit). Not with every descriptor taken: stderr says it then.
 */
static void mark_loss(void)
{
	char path[sizeof(log_path)];
	size_t n = strlen(log_path);
	int fd;

	if (n < 6 || strcmp(log_path + n - 6, ".jsonl") != 0)
		return;
	memcpy(path, log_path, n - 6);
	memcpy(path + n - 6, ".lost", 6);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
				O_NONBLOCK,
		  ft_cfg()->log_file_mode);
	if (fd >= 0)
		close(fd);
}

/*
 * Under a file size limit (RLIMIT_FSIZE) a write past it raises SIGXFSZ,
 * whose default action ends the process: a record of ours must not. The
 * signal is held around the write and the one it raised taken back (not
 * one the program had pending already).
 */
static int write_record(int fd, const char *p, size_t len)
{
	static const struct timespec now = { 0, 0 };
	struct rlimit lim;
	sigset_t xfsz, old, pending;
	int r, err, was_pending;

	if (getrlimit(RLIMIT_FSIZE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
		return ft_write_all(fd, p, len);
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &xfsz, &old);
	was_pending = sigpending(&pending) == 0 &&
		      sigismember(&pending, SIGXFSZ);
	r = ft_write_all(fd, p, len);
	err = errno;
	if (r != 0 && err == EFBIG && !was_pending)
		sigtimedwait(&xfsz, NULL, &now);
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return r;
}

/*
 * A record that cannot be written is said once per process on stderr: a
 * run whose records are lost must not pass as one with nothing to report
 * (flaketrap run and loop check the directory first; this is for a disk
 * that fills, descriptors that run out, a directory made read-only).
 */
static void tell_loss(int err, const char *refused)
{
	char text[FT_PATH_MAX + 256];
	const char *why = refused ? refused : strerrordesc_np(err);
	struct ft_buf b;
	struct stat dir;

	if (atomic_exchange(&ft_process.loss_told, 1))
		return;
	/*
	 * A process that runs as another user than the directory's owner
	 * (a child started with subprocess's user=, a daemon that dropped
	 * root) cannot write there by design; its stderr is the program's
	 * own, which a test may compare: its records are lost quietly.
	 */
	if (ft_cfg()->log_unreachable ||
	    (stat(ft_cfg()->log_dir, &dir) == 0 && dir.st_uid != geteuid()))
		return;
	mark_loss();
	ft_buf_init(&b, text, sizeof(text));
	ft_buf_str(&b, "flaketrap: cannot write the log ");
	ft_buf_str(&b, log_path);
	ft_buf_str(&b, ": ");
	if (why) {
		ft_buf_str(&b, why);
	} else {
		ft_buf_str(&b, "error ");
		ft_buf_u64(&b, (uint64_t)err);
	}
	ft_buf_str(&b, "; records of this process are lost\n");
	ft_stderr_write(b.p, b.len);
}

static void write_line(const struct ft_buf *line)
{
	const char *refused = NULL;
	int fd = held_fd >= 0 ? held_fd : open_log(&refused);

	if (fd < 0) {
		tell_loss(errno, refused);
		return;
	}
	if (write_record(fd, line->p, line->len) != 0)
		tell_loss(errno, NULL);
	if (fd != held_fd)
		close(fd);
}

/* Pages for one record; NULL when none can be had (the record is lost). */
static char *scratch_get(void)
{
	void *p = mmap(NULL, FT_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void scratch_put(char *p)
{
	munmap(p, FT_SCRATCH_SIZE);
}

static void begin_as(struct ft_buf *b, char *mem, const char *event,
		     pid_t pid)
{
	struct timespec now;

	ft_buf_init(b, mem, FT_LINE_MAX);
	ft_clock(CLOCK_REALTIME, &now);
	ft_buf_str(b, "{\"event\":");
	ft_buf_json(b, event);
	ft_buf_str(b, ",\"time_ns\":");
	ft_buf_i64(b, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
	ft_buf_str(b, ",\"pid\":");
	ft_buf_u64(b, (uint64_t)pid);
}

static void begin(struct ft_buf *b, char *mem, const char *event)
{
	begin_as(b, mem, event, getpid());
}

/*
 * Close the record in the room kept for it. A record that did not fit is
 * cut back to `keep`, the end of its last complete value, and marked.
 */
static void finish(struct ft_buf *b, size_t keep)
{
	b->cap = FT_SCRATCH_SIZE;
	if (b->full) {
		b->full = 0;
		b->len = keep;
		ft_buf_str(b, ",\"truncated\":true");
	}
	ft_buf_str(b, "}\n");
}

static void write_config(struct ft_buf *b)
{
	const struct ft_config *cfg = ft_cfg();
	char name[32];
	size_t j;
	int i;

	ft_buf_str(b, ",\"config\":{");
	for (i = 0; i < FT_NKNOBS; i++) {
		for (j = 0; ft_knobs[i].name[j] && j < sizeof(name) - 1; j++)
			name[j] = ft_lower(ft_knobs[i].name[j]);
		name[j] = '\0';
		if (i)
			ft_buf_char(b, ',');
		ft_buf_json(b, name);
		ft_buf_char(b, ':');
		if (i == FT_KNOB_log) {
			ft_buf_json(b, cfg->log_dir);
		} else if (i == FT_KNOB_seed) {
			ft_buf_char(b, '"');
			ft_buf_u64(b, ft_seed());
			ft_buf_char(b, '"');
		} else {
			ft_buf_json(b, ft_config_text(cfg, i));
		}
	}
	ft_buf_char(b, '}');
}

static void write_start(char *mem)
{
	struct ft_buf b;
	char **argv = ft_argv();
	size_t keep;
	int i;

	begin(&b, mem, "start");
	ft_buf_str(&b, ",\"schema\":" FT_STR(FT_LOG_SCHEMA)
		       ",\"version\":\"" FT_VERSION "\",\"ppid\":");
	ft_buf_u64(&b, (uint64_t)getppid());
	ft_buf_str(&b, ",\"seed\":\"");
	ft_buf_u64(&b, ft_seed());
	ft_buf_char(&b, '"');
	keep = b.len;
	write_config(&b);
	if (!b.full) {
		keep = b.len;
		ft_buf_str(&b, ",\"argv\":[");
		for (i = 0; argv && argv[i]; i++) {
			if (i)
				ft_buf_char(&b, ',');
			ft_buf_json(&b, argv[i]);
		}
		ft_buf_char(&b, ']');
	}
	finish(&b, keep);
	write_line(&b);
}

/*
 * async-signal-safe. Every signal is blocked while the record is claimed
 * and written: a deadly one arriving in between would run our handler,
 * whose exit record finds the start claimed, and the log would hold an
 * exit with no start.
 */
void ft_log_start(void)
{
	sigset_t all, old;
	char *mem;
	int saved = errno;

	if (!logging() ||
	    atomic_load_explicit(&ft_process.start_written, memory_order_acquire))
		return;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, _NSIG / 8);
	if (!atomic_exchange(&ft_process.start_written, 1)) {
		name_log_file();
		mem = scratch_get();
		if (mem) {
			write_start(mem);
			scratch_put(mem);
		}
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	ft_errno_keep(saved);
}

/* "delays":{"waitpid":{"count":N,"ns":T},...,"total_ns":T}, inside
 * "counters". */
static void write_delays(struct ft_buf *b)
{
	unsigned long long total = 0, ns;
	int i;

	ft_buf_str(b, ",\"delays\":{");
	for (i = 0; i < FT_NDELAYS; i++) {
		ns = atomic_load(&ft_process.counters.delay_ns[i]);
		total += ns;
		ft_buf_json(b, ft_delay_names[i]);
		ft_buf_str(b, ":{\"count\":");
		ft_buf_u64(b, atomic_load(&ft_process.counters.delays[i]));
		ft_buf_str(b, ",\"ns\":");
		ft_buf_u64(b, ns);
		ft_buf_str(b, "},");
	}
	ft_buf_str(b, "\"total_ns\":");
	ft_buf_u64(b, total);
	ft_buf_char(b, '}');
}

/* async-signal-safe */
int ft_log_claim_exit(void)
{
	return logging() && !atomic_exchange(&ft_process.exit_written, 1);
}

/* async-signal-safe */
void ft_log_exit_record(const char *how, int code,
			void (*more_counters)(struct ft_buf *b))
{
	struct ft_buf b;
	char *mem;

	mem = scratch_get();
	if (!mem)
		return;
	begin(&b, mem, "exit");
	ft_buf_str(&b, ",\"how\":");
	ft_buf_json(&b, how);
	ft_buf_str(&b, strcmp(how, "signal") == 0 ? ",\"signal\":"
						    : ",\"status\":");
	if (code < 0)
		ft_buf_str(&b, "null");
	else
		ft_buf_i64(&b, code);
	ft_buf_str(&b, ",\"counters\":{\"sleeps_seen\":");
	ft_buf_u64(&b, atomic_load(&ft_process.counters.sleeps_seen));
	ft_buf_str(&b, ",\"sleeps_changed\":");
	ft_buf_u64(&b, atomic_load(&ft_process.counters.sleeps_changed));
	ft_buf_str(&b, ",\"requested_ns\":");
	ft_buf_u64(&b, atomic_load(&ft_process.counters.requested_ns));
	ft_buf_str(&b, ",\"slept_ns\":");
	ft_buf_u64(&b, atomic_load(&ft_process.counters.slept_ns));
	write_delays(&b);
	ft_buf_str(&b, ",\"waits_warped\":");
	ft_buf_u64(&b, ft_warp ? atomic_load(&ft_warp->counters->waits_warped)
			       : 0);
	ft_buf_str(&b, ",\"warped_ns\":");
	ft_buf_u64(&b, ft_warp ? atomic_load(&ft_warp->counters->warped_ns)
			       : 0);
	ft_buf_str(&b, ",\"waits_real\":");
	ft_buf_u64(&b, ft_warp ? atomic_load(&ft_warp->counters->waits_real)
			       : 0);
	ft_buf_str(&b, ",\"idle_scans\":");
	ft_buf_u64(&b, ft_warp ? atomic_load(&ft_warp->counters->idle_scans)
			       : 0);
	more_counters(&b);
	ft_buf_str(&b, "},\"leaks\":{\"children\":");
	ft_buf_u64(&b, ft_process.leak_counts.children);
	ft_buf_str(&b, ",\"threads\":");
	ft_buf_u64(&b, ft_process.leak_counts.threads);
	ft_buf_char(&b, '}');
	finish(&b, b.len);
	write_line(&b);
	scratch_put(mem);
}

/* async-signal-safe */
void ft_log_begin(struct ft_buf *b, char *mem, const char *event)
{
	ft_log_start();
	begin(b, mem, event);
}

/* async-signal-safe */
void ft_log_begin_held(struct ft_buf *b, char *mem, const char *event,
		       pid_t pid)
{
	begin_as(b, mem, event, pid);
}

/* async-signal-safe */
void ft_log_finish(struct ft_buf *b, size_t keep)
{
	finish(b, keep);
}

/* async-signal-safe: whole records, as one write */
void ft_log_write_lines(const char *p, size_t len)
{
	struct ft_buf lines;
	int saved = errno;

	if (len == 0 || !logging())
		return;
	/* Not ft_buf_init, which would write to p. */
	lines.p = (char *)p;
	lines.len = len;
	lines.cap = len;
	lines.full = 0;
	write_line(&lines);
	ft_errno_keep(saved);
}

/* async-signal-safe */
void ft_log_end(struct ft_buf *b, size_t keep)
{
	int saved = errno;

	finish(b, keep);
	if (logging())
		write_line(b);
	ft_errno_keep(saved);
}
