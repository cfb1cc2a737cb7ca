/* SPDX-License-Identifier: MIT */
/*
 * The crash record: on SIGSEGV, SIGBUS, SIGILL, SIGFPE or SIGABRT, where the
 * process was (the stack the signal interrupted), the fault address and
 * whether it had begun to exit, the crashes at exit the seed's FreeBSD
 * workers showed. signal.c calls it from its handler, then the signal's
 * default action goes on (core file as before). With FLAKETRAP_LOG it is a
 * log record; without, a short block on stderr, as the sanitizers print.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fmt.h"
#include "ft.h"

#define FT_CRASH_FRAMES 64

int ft_is_crash_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	       sig == SIGFPE || sig == SIGABRT;
}

/* The address is the fault's only for a fault the kernel raised. */
static int has_address(int sig, const siginfo_t *si)
{
	return si && si->si_code > 0 && sig != SIGABRT;
}

static void signal_name(struct ft_buf *b, int sig)
{
	const char *name = ft_signal_name(sig);

	if (name) {
		ft_buf_str(b, "SIG");
		ft_buf_str(b, name);
	} else {
		ft_buf_str(b, "signal ");
		ft_buf_u64(b, (uint64_t)sig);
	}
}

static void write_json(char *mem, int sig, const siginfo_t *si,
		       const uintptr_t *ips, int n)
{
	struct ft_py_stack py;
	struct ft_buf b;
	size_t keep;

	ft_log_begin(&b, mem, "crash");
	ft_buf_str(&b, ",\"tid\":");
	ft_buf_u64(&b, (uint64_t)syscall(SYS_gettid));
	ft_buf_str(&b, ",\"signal\":");
	ft_buf_u64(&b, (uint64_t)sig);
	ft_buf_str(&b, ",\"signal_name\":\"");
	signal_name(&b, sig);
	ft_buf_str(&b, "\",\"si_code\":");
	ft_buf_i64(&b, si ? si->si_code : 0);
	if (has_address(sig, si)) {
		ft_buf_str(&b, ",\"addr\":\"");
		ft_buf_hex(&b, (uintptr_t)si->si_addr);
		ft_buf_char(&b, '"');
	}
	ft_buf_str(&b, ",\"exiting\":");
	ft_buf_str(&b, ft_is_exiting() ? "true" : "false");
	keep = b.len;
	ft_buf_str(&b, ",\"backtrace\":[");
	/* Frame 0 is where the signal struck, not a return address. */
	for (int i = 0; i < n && !b.full; i++) {
		if (i)
			ft_buf_char(&b, ',');
		ft_frame_json(&b, ips[i], i > 0);
	}
	ft_buf_char(&b, ']');
	if (!b.full)
		keep = b.len;
	/* The Python line that crashed, in a Python thread: faulthandler's
	 * own dump, which is safe here. */
	ft_python_stack(&py, NULL);
	ft_py_stack_json(&b, &py);
	if (!b.full)
		keep = b.len;
	ft_log_end(&b, keep);
}

static void write_text(char *mem, int sig, const siginfo_t *si,
		       const uintptr_t *ips, int n)
{
	char **argv = ft_argv();
	struct ft_buf b;
	int i;

	ft_buf_init(&b, mem, FT_LINE_MAX);
	ft_buf_str(&b, "flaketrap: pid ");
	ft_buf_u64(&b, (uint64_t)getpid());
	if (argv && argv[0]) {
		ft_buf_str(&b, " (");
		ft_buf_str(&b, argv[0]);
		ft_buf_char(&b, ')');
	}
	ft_buf_str(&b, " crashed: ");
	signal_name(&b, sig);
	if (has_address(sig, si)) {
		ft_buf_str(&b, " at ");
		ft_buf_hex(&b, (uintptr_t)si->si_addr);
	}
	if (ft_is_exiting())
		ft_buf_str(&b, ", while exiting");
	ft_buf_char(&b, '\n');
	for (i = 0; i < n && i < 16; i++) {
		ft_buf_str(&b, "    #");
		ft_buf_u64(&b, (uint64_t)i);
		ft_buf_char(&b, ' ');
		ft_frame_text(&b, ips[i], i > 0);
		ft_buf_char(&b, '\n');
	}
	ft_stderr_write(b.p, b.len);
}

/* async-signal-safe */
void ft_crash_record(int sig, const siginfo_t *si, void *ucontext)
{
	uintptr_t ips[FT_CRASH_FRAMES];
	char *mem;
	int n;

	if (!ft_cfg()->crash)
		return;
	n = ft_backtrace_crash(ucontext, ips, FT_CRASH_FRAMES);
	mem = mmap(NULL, FT_SCRATCH_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return;
	if (ft_cfg()->log_dir[0] != '\0')
		write_json(mem, sig, si, ips, n);
	else
		write_text(mem, sig, si, ips, n);
	munmap(mem, FT_SCRATCH_SIZE);
}
