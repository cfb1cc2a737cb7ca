/* SPDX-License-Identifier: MIT */
/*
 * Python frames: the function, file and line a Python program was at when
 * it slept. CPython prints them itself, async-signal-safely, for
 * faulthandler: _Py_DumpTraceback(fd, tstate) writes the frames of a
 * thread state, innermost first, with plain write()s and no allocation,
 * no lock and no GIL. PyGILState_GetThisThreadState() gives the calling
 * thread's state even while it has released the GIL (time.sleep does),
 * and only the thread itself changes its own frame chain: while it is in
 * one of our wrappers, the chain stands still. Both are exported by
 * Debian's python3 and by libpython, in every CPython 3 (no per-version
 * struct layouts, no start-up hook); another interpreter, or a Python
 * without them, has no Python frames and its sleeps keep their C sites.
 *
 * Found once, from the constructor, with dlsym, in a process whose
 * program (/proc/self/exe) is named python* or that has a libpython*
 * loaded: any other pays one readlink and a walk of its modules' names,
 * not a failed dlsym (whose error message glibc allocates: no heap
 * change in programs that are no Python).
 * Each stack costs a pipe of our own (created and closed per call: no
 * shared descriptor that two threads, or a signal handler, would mix) and
 * the dump's write()s, some 10 us: only for sleeps the interpreter makes,
 * with the log or a pattern set.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "fmt.h"
#include "ft.h"
#include "pyfile.h"
#include "registry.h"

/* The head of the dump we read: the innermost frames are first. */
#define FT_PY_DUMP 4096

typedef void *(*this_thread_state_fn)(void);
typedef void (*dump_traceback_fn)(int fd, void *tstate);

static this_thread_state_fn this_thread_state;
static dump_traceback_fn dump_traceback;
/* The interpreter's module, where its own sleeps are made. */
static uintptr_t interpreter_lo, interpreter_hi;

/* dl_iterate_phdr: the range of the module that holds *data. */
static int find_interpreter(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t want = *(uintptr_t *)data, lo, hi;

	(void)size;
	ft_module_range(info, &lo, &hi);
	if (want < lo || want >= hi)
		return 0;
	interpreter_lo = lo;
	interpreter_hi = hi;
	return 1;
}

static int starts_with(const char *path, const char *prefix)
{
	const char *slash = strrchr(path, '/');

	path = slash ? slash + 1 : path;
	return strncmp(path, prefix, strlen(prefix)) == 0;
}

/* dl_iterate_phdr: 1 at a module named libpython*. */
static int find_libpython(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	return starts_with(info->dlpi_name, "libpython");
}

static int looks_like_python(void)
{
	char exe[FT_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	return starts_with(exe, "python") ||
	       dl_iterate_phdr(find_libpython, NULL) != 0;
}

void ft_python_init(void)
{
	static int done;
	uintptr_t mark;
	int saved = errno;

	if (done || !ft_cfg()->python)
		return;
	done = 1;
	if (!looks_like_python()) {
		ft_errno_keep(saved);
		return;
	}
	/* A pointer to function from dlsym's void *: POSIX's own idiom. */
	*(void **)&this_thread_state =
		dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
	*(void **)&dump_traceback = dlsym(RTLD_DEFAULT, "_Py_DumpTraceback");
	if (!this_thread_state || !dump_traceback) {
		this_thread_state = NULL;
		dump_traceback = NULL;
		ft_errno_keep(saved);
		return;
	}
	mark = (uintptr_t)dump_traceback;
	dl_iterate_phdr(find_interpreter, &mark);
	/* Records show their frames in the log only: none taken without. */
	if (ft_cfg()->log_dir[0] != '\0')
		ft_reg_python_room();
	ft_errno_keep(saved);
}

/* async-signal-safe */
void ft_python_note(struct ft_rec *rec)
{
	struct ft_py_stack *py = ft_reg_python(rec);

	if (py)
		ft_python_stack(py, NULL);
}

/* async-signal-safe */
int ft_python_interpreter(uintptr_t ip)
{
	return ip >= interpreter_lo && ip < interpreter_hi;
}

static void copy_head(char *dst, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* The tail of a long path is what tells it apart: "...pkg/test_x.py". */
static void copy_tail(char *dst, size_t cap, const char *s, size_t len)
{
	if (len < cap) {
		copy_head(dst, cap, s, len);
		return;
	}
	memcpy(dst, "...", 3);
	memcpy(dst + 3, s + len - (cap - 4), cap - 4);
	dst[cap - 1] = '\0';
}

/*
 * One line of the dump, `  File "PATH", line N in FUNCTION`, into *f: 0,
 * or -1 when it is no frame line. PATH may hold quotes (CPython writes it
 * as is, non-ASCII escaped): its end is the last `", line `.
 */
static int parse_frame(const char *s, size_t len, struct ft_py_frame *f)
{
	static const char head[] = "  File \"", mid[] = "\", line ";
	const char *end = s + len, *p, *q = NULL, *in;

	if (len < sizeof(head) - 1 || memcmp(s, head, sizeof(head) - 1))
		return -1;
	s += sizeof(head) - 1;
	for (p = s; p + sizeof(mid) - 1 <= end; p++)
		if (!memcmp(p, mid, sizeof(mid) - 1))
			q = p;
	if (!q)
		return -1;
	copy_tail(f->file, sizeof(f->file), s, (size_t)(q - s));
	f->line = 0;
	for (p = q + sizeof(mid) - 1; p < end && *p >= '0' && *p <= '9'; p++)
		f->line = f->line * 10 + (unsigned)(*p - '0');
	for (in = p; in + 4 <= end && memcmp(in, " in ", 4); in++)
		;
	if (in + 4 > end)
		return -1;
	copy_head(f->function, sizeof(f->function), in + 4,
		  (size_t)(end - in - 4));
	return 0;
}

static int is_wrapper(const struct ft_py_frame *f,
		      const struct ft_patterns *wrappers)
{
	struct ft_frame_name name;

	if (!wrappers || !wrappers->n)
		return 0;
	ft_py_frame_name(f, &name);
	return ft_patterns_match(wrappers, &name, 1);
}

/*
 * Keeps f, the next frame outward, in out: 1 when out is complete. The
 * innermost FT_PY_FRAMES frames are kept; when they are all the
 * interpreter's library (a child started by a process pool, ten frames
 * down in multiprocessing), the last one is given up for the first frame
 * farther out that is not, with the count of frames passed over: the
 * test's own line, which is what its report must name.
 */
static int keep_frame(struct ft_py_stack *out, const struct ft_py_frame *f,
		      unsigned *passed)
{
	int i;

	if (out->n < FT_PY_FRAMES) {
		out->f[out->n] = *f;
		out->f[out->n++].skipped = 0;
		if (out->n < FT_PY_FRAMES)
			return 0;
		for (i = 0; i < FT_PY_FRAMES; i++)
			if (!ft_py_file_is_library(out->f[i].file))
				return 1;
		return 0;
	}
	if (ft_py_file_is_library(f->file)) {
		++*passed;
		return 0;
	}
	/* The last kept frame is passed over too. */
	out->f[FT_PY_FRAMES - 1] = *f;
	out->f[FT_PY_FRAMES - 1].skipped = *passed + 1;
	return 1;
}

/* async-signal-safe */
void ft_python_stack(struct ft_py_stack *out,
		     const struct ft_patterns *wrappers)
{
	char buf[FT_PY_DUMP];
	struct ft_py_frame f;
	size_t len = 0, start, i;
	int fds[2], saved = errno, leading = 1;
	unsigned passed = 0;
	void *tstate;
	ssize_t n;

	out->n = 0;
	if (!dump_traceback || !(tstate = this_thread_state()))
		return;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC)) {
		ft_errno_keep(saved);
		return;
	}
	/* A dump longer than the pipe loses its outer frames only. */
	dump_traceback(fds[1], tstate);
	close(fds[1]);
	while (len < sizeof(buf) &&
	       ((n = read(fds[0], buf + len, sizeof(buf) - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fds[0]);
	ft_errno_keep(saved);
	/* Whole lines only: one cut at the buffer's end is left out. */
	for (start = 0, i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (!parse_frame(buf + start, i - start, &f) &&
		    !(leading && is_wrapper(&f, wrappers))) {
			leading = 0;
			if (keep_frame(out, &f, &passed))
				break;
		}
		start = i + 1;
	}
}

void ft_py_frame_name(const struct ft_py_frame *f, struct ft_frame_name *out)
{
	memset(out, 0, sizeof(*out));
	out->symbol = f->function;
	out->file = f->file;
	out->line = f->line;
}

void ft_py_stack_json(struct ft_buf *b, const struct ft_py_stack *s)
{
	int i;

	if (s->n <= 0)
		return;
	ft_buf_str(b, ",\"python\":[");
	for (i = 0; i < s->n; i++) {
		ft_buf_str(b, i ? ",{\"function\":" : "{\"function\":");
		ft_buf_json(b, s->f[i].function);
		ft_buf_str(b, ",\"file\":");
		ft_buf_json(b, s->f[i].file);
		ft_buf_str(b, ",\"line\":");
		ft_buf_u64(b, s->f[i].line);
		if (s->f[i].skipped) {
			ft_buf_str(b, ",\"skipped\":");
			ft_buf_u64(b, s->f[i].skipped);
		}
		ft_buf_char(b, '}');
	}
	ft_buf_char(b, ']');
}

uint64_t ft_py_frame_hash(const struct ft_py_frame *f)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = f->file; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ f->line) * 0x100000001b3ULL;
	for (p = f->function; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

void ft_py_site_id(struct ft_buf *b, const struct ft_py_frame *f)
{
	const char *slash = strrchr(f->file, '/');

	ft_buf_str(b, slash ? slash + 1 : f->file);
	ft_buf_char(b, ':');
	ft_buf_u64(b, f->line);
}
