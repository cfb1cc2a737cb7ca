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
 *
 * A fork child that ends with a log writes its start and exit records
 * here and nothing else, and on a VM each page it touches doing so costs
 * it a fault of the hypervisor's (docs/development.md, "What a fork
 * costs"): the log's system calls are made inline, not through libc (its
 * open, fstat, write, close, the ids, mmap: each on a page of its own),
 * the file is opened once for both records, and the configuration's text
 * is the one the process image rendered at its start.
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


/*
 * This process's log file, named by its first record (a fork child finds
 * its parent's there first, the file it may inherit), and the start
 * record's "config" object as this image's own start record rendered it:
 * the knobs and the seed do not change after start, and a fork child
 * reads this text rather than the configuration's texts and patterns
 * (five pages) and their code. In config_store when it fits, else in a
 * mapping of its own; config_json NULL: render afresh. Memory a fork
 * child inherits (ft_process's page it finds zeroed), beside the fork
 * path's other data (fork-path.ld).
 */
static char log_path[FT_PATH_MAX + 64];
static char config_store[700];
static const char *config_json;
static size_t config_json_len;

/* ---- the log's system calls, inline: -errno on failure, errno kept ---- */

static long sys_openat(const char *path, int flags, unsigned mode)
{
	return ft_raw_syscall(SYS_openat, AT_FDCWD, (long)path, flags,
			      (long)mode, 0);
}

static void sys_close(int fd)
{
	ft_raw_syscall(SYS_close, fd, 0, 0, 0, 0);
}

/* 0, or -errno */
static int write_all_raw(int fd, const char *p, size_t len)
{
	long n;

	while (len > 0) {
		n = ft_raw_syscall(SYS_write, fd, (long)p, (long)len, 0, 0);
		if (n == -EINTR)
			continue;
		if (n == 0)
			return -ENOSPC;
		if (n < 0)
			return (int)n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *sys_map(size_t len)
{
	long p = ft_raw_syscall6(SYS_mmap, 0, (long)len,
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p < 0 && p > -4096 ? NULL : (void *)p;
}

static void sys_unmap(void *p, size_t len)
{
	ft_raw_syscall(SYS_munmap, (long)p, (long)len, 0, 0, 0);
}

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
	const char *p = argv && argv[0] ? argv[0] : "", *q;
	size_t n = 0;

	/* The base name, without strrchr: one page of libc less. */
	for (q = p; *q; q++)
		if (*q == '/')
			p = q + 1;
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

/* Named once per process, so a program that rewrites argv[0] keeps one file;
 * by the owner's pid, which logging() checked. */
static void name_log_file(void)
{
	struct ft_buf b;

	ft_buf_init(&b, log_path, sizeof(log_path));
	ft_buf_str(&b, ft_cfg()->log_dir);
	ft_buf_char(&b, '/');
	program_name(&b);
	ft_buf_char(&b, '.');
	ft_buf_u64(&b, (uint64_t)ft_process.owner);
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
 * with *err set, and *refused saying why when the file opened is not.
 * create 0: only a file that is there.
 */
static int open_log(int create, int *err, const char **refused)
{
	struct stat st;
	long fd = sys_openat(log_path,
			     O_WRONLY | (create ? O_CREAT : 0) | O_APPEND |
				     O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
			     ft_cfg()->log_file_mode);
	int bad;

	*refused = NULL;
	if (fd < 0) {
		*err = (int)-fd;
		return -1;
	}
#ifdef SYS_newfstatat
	bad = ft_raw_syscall(SYS_newfstatat, fd, (long)"", (long)&st,
			     AT_EMPTY_PATH, 0) != 0;
#else
	bad = fstat((int)fd, &st) != 0;
#endif
	if (bad || !S_ISREG(st.st_mode) ||
	    st.st_uid != (uid_t)ft_raw_syscall(SYS_geteuid, 0, 0, 0, 0, 0)) {
		sys_close((int)fd);
		*refused = "not a regular file of this user";
		*err = EPERM;
		return -1;
	}
	return (int)fd;
}

/*
 * The exit scan, a test's end, a stack dump and the end of a process
 * write many records at once: one open for all of them, for the thread
 * that holds it alone (a descriptor shared between threads could be
 * closed by one while another writes with its number, which the program
 * may have opened a file of its own on meanwhile). Holds nest (a stack
 * dump's handler in a thread that holds): the outermost release closes.
 * The records built here under a hold are built in one mapping, one after
 * the other, and written together (a fork child's start and exit records:
 * one write) before any other line and at the release.
 */
#define HELD_SIZE (2 * FT_SCRATCH_SIZE)
static __thread int held_fd = -1;
static __thread int hold_depth;
static __thread char *held_mem;
static __thread size_t held_len;	/* built, not yet written */
static __thread int held_mem_busy;

enum hold { NO_HOLD, HOLD, HOLD_INHERITED };

static void start_record(enum hold hold);
static void flush_held(void);

static void hold(enum hold how)
{
	const char *refused;
	int err;

	if (hold_depth++ > 0 || !logging())
		return;
	/* Refused, each record opens again and says so. */
	if (atomic_load_explicit(&ft_process.start_written,
				 memory_order_acquire))
		held_fd = open_log(1, &err, &refused);
	else
		start_record(how);
}

/* async-signal-safe */
void ft_log_hold(void)
{
	hold(HOLD);
}

/* async-signal-safe */
void ft_log_hold_exit(int nothing_else)
{
	hold(nothing_else ? HOLD_INHERITED : HOLD);
}

static void release(int ending)
{
	if (hold_depth == 0 || --hold_depth > 0)
		return;
	flush_held();
	if (held_fd >= 0)
		sys_close(held_fd);
	held_fd = -1;
	if (held_mem && !ending)
		sys_unmap(held_mem, HELD_SIZE);
	held_mem = NULL;
}

/* async-signal-safe; a release with no hold does nothing */
void ft_log_release(void)
{
	release(0);
}

/*
 * ft_log_exit's: the process ends, and its mapping goes with it. Its
 * munmap would be one system call more at every fork child's end, and a
 * flush of the TLB, which on a VM asks the hypervisor.
 */
void ft_log_release_ending(void)
{
	release(1);
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
	struct rlimit64 lim;
	sigset_t xfsz, old, pending;
	int r, saved, was_pending;

	if (ft_raw_syscall(SYS_prlimit64, 0, RLIMIT_FSIZE, 0, (long)&lim,
			   0) != 0 ||
	    lim.rlim_cur == RLIM64_INFINITY)
		return write_all_raw(fd, p, len);
	saved = errno;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	sigprocmask(SIG_BLOCK, &xfsz, &old);
	was_pending = sigpending(&pending) == 0 &&
		      sigismember(&pending, SIGXFSZ);
	r = write_all_raw(fd, p, len);
	if (r == -EFBIG && !was_pending)
		sigtimedwait(&xfsz, NULL, &now);
	sigprocmask(SIG_SETMASK, &old, NULL);
	ft_errno_keep(saved);
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
	int saved;

	if (atomic_exchange(&ft_process.loss_told, 1))
		return;
	saved = errno;
	/*
	 * A process that runs as another user than the directory's owner
	 * (a child started with subprocess's user=, a daemon that dropped
	 * root) cannot write there by design; its stderr is the program's
	 * own, which a test may compare: its records are lost quietly.
	 */
	if (ft_cfg()->log_unreachable ||
	    (stat(ft_cfg()->log_dir, &dir) == 0 && dir.st_uid != geteuid())) {
		ft_errno_keep(saved);
		return;
	}
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
	ft_errno_keep(saved);
}

static void put_lines(const char *p, size_t len)
{
	const char *refused = NULL;
	int err = 0;
	int fd = held_fd >= 0 ? held_fd : open_log(1, &err, &refused);

	if (fd < 0) {
		tell_loss(err, refused);
		return;
	}
	err = -write_record(fd, p, len);
	if (err)
		tell_loss(err, NULL);
	if (fd != held_fd)
		sys_close(fd);
}

/*
 * What was built under the hold, written. The memory stays claimed
 * meanwhile: a handler's record interrupting the write is built apart.
 */
static void flush_held(void)
{
	size_t len = held_len;
	int busy = held_mem_busy;

	if (!len)
		return;
	held_len = 0;
	held_mem_busy = 1;
	put_lines(held_mem, len);
	held_mem_busy = busy;
}

static void write_line(const struct ft_buf *line)
{
	/* Built in the hold's memory: written with the next ones. */
	if (held_mem && line->p == held_mem + held_len) {
		held_len += line->len;
		return;
	}
	flush_held();
	put_lines(line->p, line->len);
}

/*
 * Pages for one record; NULL when none can be had (the record is lost).
 * Under a hold, the hold's own, mapped once, after the records built
 * there before (a handler that interrupts a record being built there
 * maps its own).
 */
static char *scratch_get(void)
{
	if (hold_depth > 0 && !held_mem_busy) {
		if (held_len > HELD_SIZE - FT_SCRATCH_SIZE)
			flush_held();
		if (!held_mem)
			held_mem = sys_map(HELD_SIZE);
		if (held_mem) {
			held_mem_busy = 1;
			return held_mem + held_len;
		}
	}
	return sys_map(FT_SCRATCH_SIZE);
}

static void scratch_put(char *p)
{
	if (held_mem && p >= held_mem && p < held_mem + HELD_SIZE)
		held_mem_busy = 0;
	else
		sys_unmap(p, FT_SCRATCH_SIZE);
}

static void begin_at(struct ft_buf *b, char *mem, const char *event,
		     pid_t pid, const struct timespec *now)
{
	ft_buf_init(b, mem, FT_LINE_MAX);
	ft_buf_str(b, "{\"event\":");
	ft_buf_json(b, event);
	ft_buf_str(b, ",\"time_ns\":");
	ft_buf_i64(b, (int64_t)now->tv_sec * 1000000000 + now->tv_nsec);
	ft_buf_str(b, ",\"pid\":");
	ft_buf_u64(b, (uint64_t)pid);
}

static void begin_as(struct ft_buf *b, char *mem, const char *event,
		     pid_t pid)
{
	struct timespec now;

	ft_clock(CLOCK_REALTIME, &now);
	begin_at(b, mem, event, pid, &now);
}

static void begin(struct ft_buf *b, char *mem, const char *event)
{
	begin_as(b, mem, event, ft_getpid());
}

/*
 * The start and exit records, once each per process: the time asked of
 * the kernel itself. ft_clock goes through libc to the vDSO, three pages
 * a fork child would map for these two records alone (some 45 us on our
 * VM against a microsecond for the system call). The pid is the owner's
 * that logging() just checked (ft_own_process).
 */
static void begin_once(struct ft_buf *b, char *mem, const char *event)
{
	struct timespec now;

	ft_raw_syscall(SYS_clock_gettime, CLOCK_REALTIME, (long)&now, 0, 0,
		       0);
	begin_at(b, mem, event, ft_process.owner, &now);
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

/* Out of the fork child's way (preload/fork-path.ld): it has the text. */
__attribute__((cold)) static void render_config(struct ft_buf *b)
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

/* The config object just rendered, for the next start records of this
 * image (its fork children's): in config_store when it fits there, else
 * in a mapping of its own, kept. */
__attribute__((cold)) static void keep_config(const char *p, size_t len)
{
	char *copy = len <= sizeof(config_store)
			     ? config_store
			     : sys_map(len);

	if (!copy)
		return;
	memcpy(copy, p, len);
	config_json_len = len;
	config_json = copy;
}

static void write_config(struct ft_buf *b)
{
	if (config_json)
		ft_buf_mem(b, config_json, config_json_len);
	else
		render_config(b);
}

static void write_start(char *mem)
{
	struct ft_buf b;
	char **argv = ft_argv();
	size_t keep;
	int i;

	begin_once(&b, mem, "start");
	ft_buf_str(&b, ",\"schema\":" FT_STR(FT_LOG_SCHEMA)
		       ",\"version\":\"" FT_VERSION "\",\"ppid\":");
	ft_buf_u64(&b, (uint64_t)ft_raw_syscall(SYS_getppid, 0, 0, 0, 0, 0));
	ft_buf_str(&b, ",\"seed\":\"");
	ft_buf_u64(&b, ft_seed());
	ft_buf_char(&b, '"');
	keep = b.len;
	write_config(&b);
	if (!b.full && !config_json)
		keep_config(b.p + keep, b.len - keep);
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
 * Whether a fork child's start and exit records may go to the log file it
 * inherited: no file size limit, under which a file of its own could take
 * records that no longer fit in its parent's.
 */
static int may_inherit(void)
{
	struct rlimit64 lim;

	return log_path[0] != '\0' &&
	       ft_raw_syscall(SYS_prlimit64, 0, RLIMIT_FSIZE, 0, (long)&lim,
			      0) == 0 &&
	       lim.rlim_cur == RLIM64_INFINITY;
}

/*
 * The start record, once per process (the caller saw it unwritten), and
 * with hold the held descriptor opened (before the record, which then
 * goes through it: one open for a fork child's start and exit records).
 * HOLD_INHERITED: this process will write nothing else; its records go to
 * the file it inherited (its parent's, or the nearest ancestor's that
 * wrote one), when that is there: a new file's creation is most of what
 * the log costs a fork child that ends (docs/log-schema.md).
 * Every signal is blocked while the record is claimed and written: a
 * deadly one arriving in between would run our handler, whose exit record
 * finds the start claimed, and the log would hold an exit with no start.
 * errno is not touched. async-signal-safe
 */
__attribute__((noinline)) static void start_record(enum hold hold)
{
	/* The kernel's signal sets, not sigset_t: sigfillset is a page of
	 * libc. */
	unsigned char all[_NSIG / 8], old[_NSIG / 8];
	const char *refused;
	char *mem;
	size_t i;
	int err;

	for (i = 0; i < sizeof(all); i++)
		all[i] = 0xff;
	ft_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)all, (long)old,
		       sizeof(all), 0);
	if (!atomic_exchange(&ft_process.start_written, 1)) {
		/* Before this process's own name replaces it. */
		if (hold == HOLD_INHERITED && may_inherit())
			held_fd = open_log(0, &err, &refused);
		name_log_file();
		if (hold != NO_HOLD && held_fd < 0)
			held_fd = open_log(1, &err, &refused);
		mem = scratch_get();
		if (mem) {
			write_start(mem);
			scratch_put(mem);
		}
	} else if (hold != NO_HOLD) {
		held_fd = open_log(1, &err, &refused);
	}
	ft_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)old, 0,
		       sizeof(old), 0);
}

/* async-signal-safe */
void ft_log_start(void)
{
	if (logging() && !atomic_load_explicit(&ft_process.start_written,
					       memory_order_acquire))
		start_record(NO_HOLD);
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

/* strcmp's answer to whether a and b are equal, without its page of libc. */
static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
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
	begin_once(&b, mem, "exit");
	ft_buf_str(&b, ",\"how\":");
	ft_buf_json(&b, how);
	ft_buf_str(&b, same(how, "signal") ? ",\"signal\":" : ",\"status\":");
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
