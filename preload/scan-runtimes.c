/* SPDX-License-Identifier: MIT */
/*
 * Threads the exit scan finds that are no leak of the program's: a
 * sanitizer runtime's own, and the kernel's io_uring workers.
 */
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "ft.h"
#include "proc.h"
#include "scan.h"

/*
 * A sanitizer runtime makes threads of its own (TSan's background thread,
 * which flushes shadow memory every 100 ms until the process ends; ASan's
 * and LSan's with some flags): they are the runtime's, never the
 * program's, and no leak. Each is made by sanitizer_common's
 * internal_start_thread, which calls the pthread_create it found as the
 * next definition after the runtime's own interceptor.
 */
static const char *const sanitizer_modules[] = {
	"libasan.so", "libtsan.so", "liblsan.so", "libhwasan.so", "libmsan.so",
	"libubsan.so", "libclang_rt.",
};

static int is_sanitizer_module(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	size_t i;

	if (!path)
		return 0;
	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(sanitizer_modules) / sizeof(sanitizer_modules[0]);
	     i++)
		if (strncmp(base, sanitizer_modules[i],
			    strlen(sanitizer_modules[i])) == 0)
			return 1;
	return 0;
}

/*
 * Made through our wrapper: when the runtime comes before the library
 * (clang links it into the program; or first in LD_PRELOAD), its
 * pthread_create is ours. Its caller, the first frame of the creation
 * backtrace, is then __sanitizer::internal_start_thread, in every
 * sanitizer of gcc and LLVM.
 */
int ft_made_by_sanitizer(const struct ft_rec *rec)
{
	static const char name[] = "_ZN11__sanitizer21internal_start_thread";
	struct ft_frame_name f;

	if (!rec || rec->nframes == 0)
		return 0;
	ft_frame_name(rec->frames[0], 1, &f);
	return f.symbol && strncmp(f.symbol, name, sizeof(name) - 1) == 0;
}

static int sanitizer_found(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	return is_sanitizer_module(info->dlpi_name);
}

/* How long, and how often, a thread is looked at for a runtime's wait. */
#define FT_RUNTIME_WAIT_NS 1000000000LL
#define FT_RUNTIME_POLL_NS 1000000L

/* The user address a thread in a system call returns to, or 0. */
static uintptr_t syscall_pc(const char *path)
{
	char buf[256];
	const char *last;
	ssize_t n;

	/* "NR ARGS... SP PC", "-1 SP PC" (blocked elsewhere) or "running" */
	n = ft_read_file(path, buf, sizeof(buf));
	if (n <= 0 || !((buf[0] >= '0' && buf[0] <= '9') || buf[0] == '-'))
		return 0;
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	last = strrchr(buf, ' ');
	return last ? ft_parse_hex(&last) : 0;
}

/*
 * A thread no wrapper saw made, in a sanitizer runtime: when the runtime
 * comes after the library (gcc's libtsan.so, a dependency of the program),
 * it finds libc's pthread_create as the next one, and the thread is made
 * behind our back. It is known by where it waits: the runtime makes its
 * own system calls, so the user address /proc/self/task/TID/syscall gives
 * for a thread in one lies in the runtime's module, where a thread of the
 * program waits in libc (the runtime's interceptors call libc). TSan's
 * sleeps 100 ms at a time between microseconds of work, but may be seen
 * running, or in glibc's start of a thread: in a process with a sanitizer
 * runtime loaded, a thread no wrapper saw made is looked at every
 * millisecond until it is seen waiting in the runtime, for up to a second
 * (which a raw thread of the program then costs the exit).
 */
int ft_runtime_thread(pid_t tid, int *have_runtime)
{
	struct timespec pause = { 0, FT_RUNTIME_POLL_NS };
	struct ft_frame_name f;
	int64_t deadline;
	char path[64];
	uintptr_t pc;

	if (*have_runtime < 0)
		*have_runtime = dl_iterate_phdr(sanitizer_found, NULL);
	if (!*have_runtime)
		return 0;
	ft_proc_path(path, sizeof(path), "/proc/self/task/", tid, "/syscall");
	deadline = ft_monotonic_ns() + FT_RUNTIME_WAIT_NS;
	for (;;) {
		pc = syscall_pc(path);
		if (pc) {
			ft_frame_name(pc, 0, &f);
			if (is_sanitizer_module(f.module))
				return 1;
		}
		if (ft_monotonic_ns() > deadline)
			return 0;
		syscall(SYS_nanosleep, &pause, NULL);
	}
}

/*
 * io_uring's workers (iou-wrk-*, iou-sqp-*) are listed in /proc/self/task
 * but are kernel threads: they run no user code, answer no signal (a
 * stack request would wait for FLAKETRAP_STACK_TIMEOUT) and end with the
 * ring. The kernel marks them PF_IO_WORKER in the flags of their stat
 * (field 9). No leak.
 */
#define FT_PF_IO_WORKER 0x10

int ft_kernel_worker(pid_t tid)
{
	char path[64], buf[1024];
	const char *p;
	long flags;

	ft_proc_path(path, sizeof(path), "/proc/self/task/", tid, "/stat");
	if (ft_read_file(path, buf, sizeof(buf)) <= 0 ||
	    !(p = ft_stat_field(buf, 9)))
		return 0;
	flags = ft_parse_long(&p);
	return flags > 0 && (flags & FT_PF_IO_WORKER);
}
