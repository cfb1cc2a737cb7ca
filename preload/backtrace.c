/* SPDX-License-Identifier: MIT */
/*
 * Backtraces with libunwind, and frames described for the log: module,
 * offset in it, build-id, and the dynamic symbol where there is one.
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL), never linked: libunwind.so.8
 * exports _Unwind_RaiseException and friends, and as a dependency of a
 * preloaded library it would come first in the global scope, taking C++
 * exceptions away from libgcc_s in every program that dlopens C++ code.
 *
 * Creation backtraces of threads and spawned children use unw_backtrace:
 * its fast path walks with a per-thread cache and no system call, where
 * stepping a cursor takes libunwind's global cache lock, and two
 * sigprocmask calls, at every frame (about 8 us per pthread_create). The
 * price: that cache lives in libunwind's thread-local storage, which glibc
 * allocates from malloc, in each thread that makes a thread or a child, and
 * reallocates the thread's TLS vector for when a later dlopen adds a module
 * with TLS. So wherever a signal handler may be running (crash, current
 * stacks, and the creation backtrace of fork and vfork, which POSIX lets a
 * handler call) a cursor is stepped instead: malloc may be what the
 * signal interrupted. libunwind says its local cursors are signal-safe.
 *
 * A cursor is stepped for creation backtraces too when something other
 * than the dynamic loader defines __tls_get_addr: the sanitizer runtimes
 * (ASan, LSan, TSan, ...) do, to track each module's dynamic TLS, and
 * gcc 12's guesses the size of a block from the 16 bytes before it when it
 * starts 16 bytes into a page, as libunwind's 16-byte cache pointer block
 * may in ASan's heap: LeakSanitizer then scanned a bogus range at exit and
 * died of SIGSEGV ("Tracer caught signal 11"), failing every threaded
 * ASan program. A cursor never touches libunwind's TLS.
 */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt.h"
#include "ft.h"
#include "timespec.h"

#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)

static struct {
	int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
	int (*backtrace)(void **, int);
	int (*getcontext)(unw_context_t *);	/* optional: sleep sites */
} unw;

enum { UNW_NOT_TRIED, UNW_LOADING, UNW_READY, UNW_MISSING };
static atomic_int unw_state;
/* unw_backtrace may be used: __tls_get_addr is the dynamic loader's. */
static int unw_trace_ok;

/* Does the dynamic loader define the __tls_get_addr in use? */
static int tls_get_addr_is_loaders(void)
{
	void *sym = dlsym(RTLD_DEFAULT, "__tls_get_addr");
	Dl_info info;

	if (!sym)
		return 1;	/* no module with dynamic TLS can be loaded */
	/* AT_BASE: where the kernel mapped the program's interpreter. */
	return dladdr(sym, &info) != 0 &&
	       (uintptr_t)info.dli_fbase == (uintptr_t)getauxval(AT_BASE);
}

/* Not async-signal-safe (dlopen): call it from normal context only. */
void ft_unwind_load(void)
{
	int expected = UNW_NOT_TRIED;
	int saved;
	void *h;

	/* Every creation backtrace comes here: a plain load, no locked
	 * instruction, once it is settled. */
	if (atomic_load_explicit(&unw_state, memory_order_acquire) !=
	    UNW_NOT_TRIED)
		return;
	saved = errno;
	if (!atomic_compare_exchange_strong(&unw_state, &expected,
					    UNW_LOADING))
		return;
	h = dlopen("libunwind.so.8", RTLD_LAZY | RTLD_LOCAL);
	if (h) {
		unw.init_local2 = (__typeof__(unw.init_local2))dlsym(
			h, FT_STR(UNW_OBJ(init_local2)));
		unw.step = (__typeof__(unw.step))dlsym(h, FT_STR(UNW_OBJ(step)));
		unw.get_reg = (__typeof__(unw.get_reg))dlsym(
			h, FT_STR(UNW_OBJ(get_reg)));
		unw.backtrace = (__typeof__(unw.backtrace))dlsym(
			h, "unw_backtrace");
		unw.getcontext = (__typeof__(unw.getcontext))dlsym(
			h, FT_STR(unw_tdep_getcontext));
		unw_trace_ok = tls_get_addr_is_loaders();
	}
	atomic_store_explicit(&unw_state,
			      unw.init_local2 && unw.step && unw.get_reg &&
					      unw.backtrace && unw.getcontext
				      ? UNW_READY
				      : UNW_MISSING,
			      memory_order_release);
	/*
	 * libunwind sets itself up at its first unwind (its lock, memory
	 * pools mapped, the pipe it checks addresses with: two descriptors
	 * for the process's life), which is signal-safe: not here, where the
	 * program would hold those two descriptors from its start.
	 */
	ft_errno_keep(saved);
}

int ft_unwind_loaded(void)
{
	return atomic_load_explicit(&unw_state, memory_order_acquire) ==
	       UNW_READY;
}

static int unwind_ready(void)
{
	return atomic_load_explicit(&unw_state, memory_order_acquire) ==
	       UNW_READY;
}

static int collect(unw_cursor_t *cur, uintptr_t *ips, int max)
{
	unw_word_t ip;
	int n = 0;

	do {
		if (unw.get_reg(cur, UNW_REG_IP, &ip) != 0 || ip == 0)
			break;
		ips[n++] = (uintptr_t)ip;
	} while (n < max && unw.step(cur) > 0);
	return n;
}

/*
 * Kept out of line so that its own frame is the first one, dropped with
 * `skip` more (the wrappers between it and the program).
 */
__attribute__((noinline)) int ft_backtrace(uintptr_t *ips, int max, int skip)
{
	void *raw[FT_BACKTRACE_MAX + 8];
	uintptr_t stepped[FT_BACKTRACE_MAX + 8];
	int saved = errno, n = 0, got, k, want = max + skip + 1;

	if (max <= 0)
		return 0;
	ft_unwind_load();
	if (!unwind_ready())
		return 0;
	if (!unw_trace_ok) {
		/* See the top: stepped[0] is in ft_backtrace_safe. */
		if (want + 1 > (int)(sizeof(stepped) / sizeof(stepped[0])))
			want = (int)(sizeof(stepped) / sizeof(stepped[0])) - 1;
		got = ft_backtrace_safe(stepped, want + 1);
		for (k = skip + 2; k < got && n < max; k++)
			ips[n++] = stepped[k];
		ft_errno_keep(saved);
		return n;
	}
	if (want > (int)(sizeof(raw) / sizeof(raw[0])))
		want = (int)(sizeof(raw) / sizeof(raw[0]));
	/* raw[0] is in ft_backtrace itself: unw_backtrace starts there. */
	got = unw.backtrace(raw, want);
	for (k = skip + 1; k < got && n < max; k++)
		ips[n++] = (uintptr_t)raw[k];
	ft_errno_keep(saved);
	return n;
}

/* async-signal-safe once loaded: the stack a signal interrupted */
int ft_backtrace_signal(void *ucontext, uintptr_t *ips, int max)
{
	unw_cursor_t cur;
	int saved = errno, n = 0;

	if (max <= 0)
		return 0;
	if (unwind_ready() &&
	    unw.init_local2(&cur, (unw_context_t *)ucontext,
			    UNW_INIT_SIGNAL_FRAME) == 0)
		n = collect(&cur, ips, max);
#if defined(__x86_64__)
	if (n == 0 && ucontext) {
		ips[0] = (uintptr_t)((ucontext_t *)ucontext)
				 ->uc_mcontext.gregs[REG_RIP];
		n = 1;
	}
#endif
	ft_errno_keep(saved);
	return n;
}

/* How long a crash's unwinding child has before it is given up on. */
#define FT_CRASH_CHILD_NS 2000000000LL

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	ft_clock(CLOCK_MONOTONIC, &ts);
	return ft_ts_to_ns(&ts);
}

/*
 * async-signal-safe: the stack a crash interrupted. libunwind is loaded
 * lazily (at the first thread or child made, or with a log's stack
 * requests or sleep sites): loading it at start would cost every process
 * of a test suite a third of its start-up. A crash handler cannot load it
 * (dlopen is not async-signal-safe: a lock the crashed code holds, malloc's
 * or the loader's, would hang the process), so when it is not loaded a
 * copy of the process does: a child made by a raw clone (no atfork
 * handler, no SIGCHLD for the program to see) loads it, unwinds its copy
 * of the same stack from the same context, sends the frames back through
 * a pipe and ends. A child stuck on such a lock is killed after 2 s; the
 * frames are then the crash address alone.
 */
int ft_backtrace_crash(void *ucontext, uintptr_t *ips, int max)
{
	int saved = errno, fds[2], n = 0, status;
	int64_t deadline, left;
	struct timespec wait;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t r;
	long pid;

	if (max <= 0 || unwind_ready() ||
	    atomic_load_explicit(&unw_state, memory_order_acquire) ==
		    UNW_MISSING ||
	    syscall(SYS_pipe2, fds, O_CLOEXEC) != 0)
		return ft_backtrace_signal(ucontext, ips, max);
	pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
	if (pid == 0) {
		syscall(SYS_close, fds[0]);
		ft_unwind_load();
		n = unwind_ready() ? ft_backtrace_signal(ucontext, ips, max)
				   : 0;
		ft_write_all(fds[1], (const char *)ips,
			     (size_t)n * sizeof(ips[0]));
		syscall(SYS_exit_group, 0);
	}
	syscall(SYS_close, fds[1]);
	deadline = monotonic_ns() + FT_CRASH_CHILD_NS;
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (pid > 0 && got < (size_t)max * sizeof(ips[0])) {
		left = deadline - monotonic_ns();
		if (left <= 0)
			break;
		wait.tv_sec = left / 1000000000;
		wait.tv_nsec = left % 1000000000;
		r = syscall(SYS_ppoll, &pfd, 1L, &wait, NULL, 0L);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		r = syscall(SYS_read, fds[0], (char *)ips + got,
			    (size_t)max * sizeof(ips[0]) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	syscall(SYS_close, fds[0]);
	if (pid > 0) {
		syscall(SYS_kill, pid, SIGKILL);
		while (syscall(SYS_wait4, pid, &status, __WALL, NULL) < 0 &&
		       errno == EINTR)
			;
	}
	n = (int)(got / sizeof(ips[0]));
	ft_errno_keep(saved);
	return n ? n : ft_backtrace_signal(ucontext, ips, max);
}

/*
 * async-signal-safe once loaded: the current stack, frame 0 in this
 * function, by stepping a cursor (libunwind's global cache lock is taken
 * with every signal blocked, so a handler cannot deadlock on it) and not
 * with unw_backtrace, whose per-thread cache glibc may allocate with
 * malloc on first use: a sleep may be called from a signal handler.
 */
__attribute__((noinline)) int ft_backtrace_safe(uintptr_t *ips, int max)
{
	unw_context_t ctx;
	unw_cursor_t cur;
	int saved = errno, n = 0;

	if (max > 0 && unwind_ready() && unw.getcontext &&
	    unw.getcontext(&ctx) == 0 && unw.init_local2(&cur, &ctx, 0) == 0)
		n = collect(&cur, ips, max);
	ft_errno_keep(saved);
	return n;
}

/*
 * The current stack, frame 0 in this function, either way: by
 * unw_backtrace's cached walk (0.2 us) while no handler of the program can
 * be running, for it has none (ft_signal_program_handlers), else by
 * stepping the cursor (some 20 us and two system calls a frame).
 * async-signal-safe
 */
#define FT_QUICK_MAX (FT_BACKTRACE_MAX + 8)
__attribute__((noinline)) int ft_backtrace_quick(uintptr_t *ips, int max)
{
	union {
		void *walked[FT_QUICK_MAX];
		uintptr_t stepped[FT_QUICK_MAX + 1];
	} raw;
	int saved = errno, n, k;

	if (max > FT_QUICK_MAX)
		max = FT_QUICK_MAX;
	if (max <= 0)
		return 0;
	if (!unwind_ready() || !unw_trace_ok ||
	    ft_signal_program_handlers()) {
		/* stepped[0] is in ft_backtrace_safe: dropped. */
		n = ft_backtrace_safe(raw.stepped, max + 1);
		for (k = 1; k < n; k++)
			ips[k - 1] = raw.stepped[k];
		return n > 0 ? n - 1 : 0;
	}
	n = unw.backtrace(raw.walked, max);
	for (k = 0; k < n; k++)
		ips[k] = (uintptr_t)raw.walked[k];
	ft_errno_keep(saved);
	return n;
}

/*
 * async-signal-safe: the caller's callers, dropping skip frames above the
 * caller, for wrappers that a signal handler may call (fork, vfork).
 * Never loads libunwind: see ft_unwind_loaded.
 */
__attribute__((noinline)) int ft_backtrace_async(uintptr_t *ips, int max,
						 int skip)
{
	uintptr_t raw[FT_BACKTRACE_MAX + 8];
	int n = 0, got, k, want = max + skip + 2;

	if (max <= 0)
		return 0;
	if (want > (int)(sizeof(raw) / sizeof(raw[0])))
		want = (int)(sizeof(raw) / sizeof(raw[0]));
	/* raw[0] is in ft_backtrace_quick, raw[1] here. */
	got = ft_backtrace_quick(raw, want);
	for (k = skip + 2; k < got && n < max; k++)
		ips[n++] = raw[k];
	return n;
}

/* The path of the main program, for frames in it (its link map has no name). */
static const char *exe_path(void)
{
	static char path[FT_PATH_MAX];
	static atomic_int done;
	ssize_t n;

	if (!atomic_load(&done)) {
		n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		path[n > 0 ? n : 0] = '\0';
		atomic_store(&done, 1);
	}
	return path;
}

/* NT_GNU_BUILD_ID of the module whose ELF header is mapped at base. */
static void build_id(struct ft_buf *b, const void *base, uintptr_t bias)
{
	static const char hex[] = "0123456789abcdef";
	const ElfW(Ehdr) *eh = base;
	const ElfW(Phdr) *ph;
	const char *p, *end;
	const ElfW(Nhdr) *nh;
	size_t i, j;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return;
	ph = (const ElfW(Phdr) *)((const char *)base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		p = (const char *)(bias + ph[i].p_vaddr);
		end = p + ph[i].p_memsz;
		while (p + sizeof(*nh) <= end) {
			nh = (const ElfW(Nhdr) *)p;
			p += sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID &&
			    nh->n_namesz == 4 &&
			    memcmp(nh + 1, "GNU", 4) == 0 &&
			    p + nh->n_descsz <= end) {
				ft_buf_str(b, ",\"build_id\":\"");
				for (j = 0; j < nh->n_descsz; j++) {
					ft_buf_char(b, hex[(unsigned char)p[j] >> 4]);
					ft_buf_char(b, hex[p[j] & 15]);
				}
				ft_buf_char(b, '"');
				return;
			}
			p += (nh->n_descsz + 3) & ~3u;
		}
	}
}

/*
 * What dladdr knows of ip. A return address (every frame but the first)
 * is looked up one byte back: after a call to a noreturn function it may
 * already be the start of the next function.
 */
static int describe(uintptr_t ip, int is_return, Dl_info *info,
		    struct link_map **map)
{
	*map = NULL;
	memset(info, 0, sizeof(*info));
	return dladdr1((void *)(ip - (is_return ? 1 : 0)), info, (void **)map,
		       RTLD_DL_LINKMAP) != 0 &&
	       *map != NULL;
}

/*
 * Static functions are in no dynamic symbol table: their names come from
 * the module's .symtab, read from its file (mapped, never unmapped: a few
 * modules per process). Used only by one thread at a time; a second one
 * goes without.
 */
struct symfile {
	char path[256];
	const ElfW(Sym) *syms;
	size_t nsyms;
	const char *strs;
	size_t strs_size;
};

#define FT_SYMFILES 32
enum { SYMFILE_FREE, SYMFILE_LOADING, SYMFILE_READY };
static struct symfile symfiles[FT_SYMFILES];
static atomic_int symfile_state[FT_SYMFILES];

static void load_symtab(struct symfile *f, const char *path)
{
	const ElfW(Ehdr) *eh;
	const ElfW(Shdr) *sh;
	const char *base;
	struct stat st;
	size_t i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(*eh)) {
		close(fd);
		return;
	}
	base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return;
	eh = (const ElfW(Ehdr) *)base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) >
		    (size_t)st.st_size)
		return;
	sh = (const ElfW(Shdr) *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > (size_t)st.st_size ||
		    sh[sh[i].sh_link].sh_offset + sh[sh[i].sh_link].sh_size >
			    (size_t)st.st_size)
			continue;
		f->syms = (const ElfW(Sym) *)(base + sh[i].sh_offset);
		f->nsyms = sh[i].sh_size / sizeof(ElfW(Sym));
		f->strs = base + sh[sh[i].sh_link].sh_offset;
		f->strs_size = sh[sh[i].sh_link].sh_size;
		return;
	}
}

/*
 * The loaded .symtab of path, loading it into a free slot when needed.
 * Lock-free: a slot is claimed with a compare-and-swap and read-only once
 * ready, so two threads (or a signal handler) never wait for each other
 * and always get the same names; two that load the same file at once each
 * take a slot. NULL when every slot is taken by other files.
 */
static const struct symfile *symfile_for(const char *path)
{
	int i, expected;

	if (strlen(path) >= sizeof(symfiles[0].path))
		return NULL;
	for (i = 0; i < FT_SYMFILES; i++) {
		if (atomic_load_explicit(&symfile_state[i],
					 memory_order_acquire) == SYMFILE_READY &&
		    strcmp(symfiles[i].path, path) == 0)
			return &symfiles[i];
	}
	for (i = 0; i < FT_SYMFILES; i++) {
		expected = SYMFILE_FREE;
		if (!atomic_compare_exchange_strong(&symfile_state[i],
						    &expected,
						    SYMFILE_LOADING))
			continue;
		strcpy(symfiles[i].path, path);
		load_symtab(&symfiles[i], path);
		atomic_store_explicit(&symfile_state[i], SYMFILE_READY,
				      memory_order_release);
		return &symfiles[i];
	}
	return NULL;
}

/* The function of path's .symtab that holds vaddr: its name and start. */
static const char *symtab_lookup(const char *path, uintptr_t vaddr,
				 uintptr_t *start)
{
	const struct symfile *f = symfile_for(path);
	const ElfW(Sym) *sym;
	size_t i;

	for (i = 0; f && i < f->nsyms; i++) {
		sym = &f->syms[i];
		if (ELF64_ST_TYPE(sym->st_info) != STT_FUNC ||
		    sym->st_shndx == SHN_UNDEF || sym->st_name >= f->strs_size ||
		    vaddr < sym->st_value || vaddr - sym->st_value >= sym->st_size)
			continue;
		*start = sym->st_value;
		return f->strs + sym->st_name;
	}
	return NULL;
}

static const char *module_name(const Dl_info *info, struct link_map *map)
{
	if (map->l_name && map->l_name[0])
		return map->l_name;
	if (info->dli_fname && info->dli_fname[0] == '/')
		return info->dli_fname;
	return exe_path();
}

/* The dynamic symbol dladdr found, else the .symtab one, into info. */
static void symbol(Dl_info *info, struct link_map *map, uintptr_t ip,
		   int is_return)
{
	uintptr_t start;
	const char *name;

	if (info->dli_sname && info->dli_saddr)
		return;
	info->dli_sname = NULL;
	name = symtab_lookup(module_name(info, map),
			     ip - map->l_addr - (is_return ? 1 : 0), &start);
	if (name) {
		info->dli_sname = name;
		info->dli_saddr = (void *)(start + map->l_addr);
	}
}

/*
 * What is known of a frame, cached: an exit scan of a thousand threads
 * looks up the same few addresses thousands of times, and dladdr walks
 * every symbol table each time. One thread at a time uses the cache; a
 * second one (a crash meanwhile) goes without.
 */
#define FT_FRAME_CACHE 1024

static struct {
	uintptr_t key;	/* 0: empty */
	int ok;
	Dl_info info;
	struct link_map *map;
} frame_cache[FT_FRAME_CACHE];
static atomic_int frame_cache_busy;

static int lookup(uintptr_t ip, int is_return, Dl_info *info,
		  struct link_map **map)
{
	uintptr_t key = (ip << 1 | (uintptr_t)(is_return != 0)) + 1;
	size_t slot = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 54) %
		      FT_FRAME_CACHE;
	int mine = !atomic_exchange(&frame_cache_busy, 1), ok;

	if (mine && frame_cache[slot].key == key) {
		*info = frame_cache[slot].info;
		*map = frame_cache[slot].map;
		ok = frame_cache[slot].ok;
		atomic_store(&frame_cache_busy, 0);
		return ok;
	}
	ok = describe(ip, is_return, info, map);
	if (ok)
		symbol(info, *map, ip, is_return);
	if (mine) {
		frame_cache[slot].key = key;
		frame_cache[slot].ok = ok;
		frame_cache[slot].info = *info;
		frame_cache[slot].map = *map;
		atomic_store(&frame_cache_busy, 0);
	}
	return ok;
}

void ft_frame_json(struct ft_buf *b, uintptr_t ip, int is_return)
{
	struct link_map *map;
	Dl_info info;

	ft_buf_str(b, "{\"ip\":\"");
	ft_buf_hex(b, ip);
	ft_buf_char(b, '"');
	if (lookup(ip, is_return, &info, &map)) {
		ft_buf_str(b, ",\"module\":");
		ft_buf_json(b, module_name(&info, map));
		ft_buf_str(b, ",\"offset\":\"");
		ft_buf_hex(b, ip - map->l_addr);
		ft_buf_char(b, '"');
		if (info.dli_fbase)
			build_id(b, info.dli_fbase, map->l_addr);
		if (info.dli_sname) {
			ft_buf_str(b, ",\"symbol\":");
			ft_buf_json(b, info.dli_sname);
			ft_buf_str(b, ",\"symbol_offset\":");
			ft_buf_u64(b, ip - (uintptr_t)info.dli_saddr);
		}
	}
	ft_buf_char(b, '}');
}

/* Room a frame array leaves in a record for the keys after it. */
#define FT_FRAMES_RESERVE 1024

static int frames_json(struct ft_buf *b, const uintptr_t *ips, int n,
		       int first_is_return)
{
	size_t before;
	int i;

	ft_buf_char(b, '[');
	for (i = 0; i < n; i++) {
		before = b->len;
		if (i)
			ft_buf_char(b, ',');
		ft_frame_json(b, ips[i], i > 0 || first_is_return);
		if (b->full || b->cap - b->len < FT_FRAMES_RESERVE) {
			/* Cut here: whole frames only, the array closed. */
			b->len = before;
			b->p[before] = '\0';
			b->full = 0;
			break;
		}
	}
	ft_buf_char(b, ']');
	return i;
}

int ft_frames_json(struct ft_buf *b, const uintptr_t *ips, int n)
{
	return frames_json(b, ips, n, 0);
}

int ft_return_frames_json(struct ft_buf *b, const uintptr_t *ips, int n)
{
	return frames_json(b, ips, n, 1);
}

/*
 * A frame in this library (a wrapper, our thread start, main_trampoline):
 * text for people leaves it out, as the sanitizers hide their
 * interceptors; the log keeps it, with its module.
 */
int ft_frame_ours(uintptr_t ip, int is_return)
{
	static void *_Atomic self_base;
	struct link_map *map;
	Dl_info info, self;
	void *base = atomic_load(&self_base);

	if (!base && dladdr((void *)ft_frame_ours, &self))
		atomic_store(&self_base, base = self.dli_fbase);
	return base && lookup(ip, is_return, &info, &map) &&
	       info.dli_fbase == base;
}

/* "sym+0x1a (/path/module+0x1234)", or what of it is known. */
void ft_frame_text(struct ft_buf *b, uintptr_t ip, int is_return)
{
	struct link_map *map;
	Dl_info info;

	ft_buf_hex(b, ip);
	if (!lookup(ip, is_return, &info, &map))
		return;
	if (info.dli_sname) {
		ft_buf_char(b, ' ');
		ft_buf_str(b, info.dli_sname);
		ft_buf_char(b, '+');
		ft_buf_hex(b, ip - (uintptr_t)info.dli_saddr);
	}
	ft_buf_str(b, " (");
	ft_buf_str(b, module_name(&info, map));
	ft_buf_char(b, '+');
	ft_buf_hex(b, ip - map->l_addr);
	ft_buf_char(b, ')');
}

/*
 * errno is kept: a sleep's patterns call this before the sleep, and a
 * module whose file cannot be opened for its .symtab (deleted, or a
 * relative path after a chdir) would leave ENOENT behind.
 */
void ft_frame_name(uintptr_t ip, int is_return, struct ft_frame_name *out)
{
	struct link_map *map;
	Dl_info info;
	int saved = errno;

	memset(out, 0, sizeof(*out));
	if (lookup(ip, is_return, &info, &map)) {
		out->module = module_name(&info, map);
		out->symbol = info.dli_sname;
		out->offset = ip - map->l_addr;
	}
	ft_errno_keep(saved);
}

/* "module+0x1234": the module's file name and the offset of ip in it. */
void ft_frame_id(struct ft_buf *b, uintptr_t ip, int is_return)
{
	struct ft_frame_name f;
	const char *slash;

	ft_frame_name(ip, is_return, &f);
	if (!f.module) {
		ft_buf_str(b, "?+");
		ft_buf_hex(b, ip);
		return;
	}
	slash = strrchr(f.module, '/');
	ft_buf_str(b, slash ? slash + 1 : f.module);
	ft_buf_char(b, '+');
	ft_buf_hex(b, f.offset);
}
