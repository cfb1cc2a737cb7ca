/* SPDX-License-Identifier: MIT */
/*
 * The creation backtrace of a fork, taken late: at the fork the parent
 * keeps its registers and the top of its stack (8 KiB, copied in place
 * on the main thread, by one system call on another),
 * and only a child still unreaped when the leaks are reported is unwound,
 * from that copy, through libunwind's remote interface (as perf does with
 * the stacks it samples).
 *
 * Why: unwinding at each fork cost a process that forks some 10% of
 * fork+waitpid on a 2-core virtual machine, little of it in the walk
 * itself: libunwind and liblzma mapped (ten more mappings for each fork
 * to copy and each child's end to take down), its per-thread cache
 * (256 KiB, every page of it resident and copied at each fork) and its
 * memory pools. A process that only forks now maps none of it; one that
 * leaks a child loads libunwind when it reports the leak.
 *
 * The copies live in a MADV_WIPEONFORK mapping, a slot per child record
 * (the registry hands them out under its lock): a fork child finds the
 * mapping zeroed, and the parent's pages are never write-protected by a
 * fork, so writing them costs no fault. A slot is read while its record
 * may be freed and the slot given to another fork: its tag (the record's
 * creation time) is read before and after, and frames read across a
 * change are dropped.
 *
 * Only where no handler of the program is installed (a fork from a
 * handler then cannot be, nor can the report be in one, so libunwind may
 * be loaded when it is made): a program with handlers has libunwind
 * loaded before its first one, and its forks unwind at once as before
 * (backtrace.c). When the program installs its first handler while
 * copies wait, the remote library is loaded then (ft_fork_stacks_ready).
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ft.h"
#include "proc.h"
#include "registry.h"

#if defined(__x86_64__)
#include <libunwind.h>

#define FT_STR_(x) #x
#define FT_STR(x) FT_STR_(x)

/* Saved by ft_take_regs (takeregs.S), in this order. */
enum { R_RBX, R_RBP, R_R12, R_R13, R_R14, R_R15, R_RSP, R_RIP, R_COUNT };
void ft_take_regs(uint64_t *regs);

struct ft_fork_stack {
	_Atomic int64_t tag;	/* the record's created_ns; 0 while written */
	uint64_t regs[R_COUNT];
	uint64_t len;		/* bytes of stack copied from regs[R_RSP] */
	unsigned char stack[FT_FORK_STACK_SIZE - 8 * (R_COUNT + 2)];
};

_Static_assert(sizeof(struct ft_fork_stack) == FT_FORK_STACK_SIZE,
	       "a slot is FT_FORK_STACK_SIZE bytes");

static _Atomic(struct ft_fork_stack *) slots;
static atomic_int slots_failed;
/* Slots below it were made resident in batches (MADV_POPULATE_WRITE). */
static atomic_uint slots_populated;

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/* Slots made resident at once: one system call, not a fault a page. */
#define FT_POPULATE_SLOTS 16

/* The initial stack pointer of the main thread (the dynamic loader's). */
extern void *__libc_stack_end;
/* Below its end, the main thread's stack reaches this far at most for the
 * copy to be made in place: no other mapping is that close to it. */
#define FT_MAIN_STACK_SPAN (8UL << 20)

/* The mapping, made at the first fork that copies (async-signal-safe). */
static struct ft_fork_stack *slots_get(void)
{
	struct ft_fork_stack *base =
		atomic_load_explicit(&slots, memory_order_acquire);
	struct ft_fork_stack *expected = NULL;
	size_t len = (size_t)FT_FORK_STACKS * FT_FORK_STACK_SIZE;
	int saved;
	void *p;

	if (base || atomic_load_explicit(&slots_failed, memory_order_relaxed))
		return base;
	saved = errno;
	p = ft_map_wiped(len);
	ft_errno_keep(saved);
	if (!p) {
		atomic_store(&slots_failed, 1);
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&slots, &expected, p)) {
		munmap(p, len);
		return expected;
	}
	return p;
}

int ft_fork_stacks_usable(void)
{
	return !atomic_load_explicit(&slots_failed, memory_order_relaxed) &&
	       !ft_signal_program_handlers() && slots_get() != NULL;
}

/*
 * Not memcpy: in this library built with ASan (make check-asan-preload)
 * a memcpy of the stack is checked, and the redzones between our own
 * frames are reported as an underflow of the buffers they guard (a call
 * to memcpy would also reach ASan's interceptor in an ASan program where
 * gcc did not inline it); volatile reads, so that gcc does not make the
 * loop a call to memcpy either. Both ends 8-byte aligned.
 */
__attribute__((no_sanitize_address)) static void
copy_words(void *to, uintptr_t from, size_t len)
{
	const volatile uint64_t *src = (const volatile uint64_t *)from;
	uint64_t *dst = to;
	size_t i;

	for (i = 0; i < len / 8; i++)
		dst[i] = src[i];
}

/*
 * Kept out of line: the copy starts in this frame, which the report
 * drops with the other frames of ours. async-signal-safe
 */
__attribute__((noinline)) int ft_fork_stack_save(uint32_t slot, int64_t tag)
{
	struct ft_fork_stack *base = atomic_load_explicit(
		&slots, memory_order_acquire);
	struct ft_fork_stack *fs;
	struct iovec mine, from;
	unsigned populated, last;
	int saved = errno;
	uintptr_t sp, end;
	long got;

	if (!base || slot == 0 || slot > FT_FORK_STACKS || tag == 0)
		return 0;
	fs = &base[slot - 1];
	/*
	 * A slot first used: every page of it would fault (a child left
	 * unreaped keeps its slot, so each such fork takes a new one, and a
	 * fault costs 10-20 us on a virtual machine): the next batch made
	 * resident in one call. A kernel without it (before 5.14) faults.
	 */
	populated = atomic_load_explicit(&slots_populated, memory_order_relaxed);
	if (slot > populated) {
		last = slot - 1 + FT_POPULATE_SLOTS;
		if (last > FT_FORK_STACKS)
			last = FT_FORK_STACKS;
		atomic_store_explicit(&slots_populated, last,
				      memory_order_relaxed);
		madvise(fs, (size_t)(last - slot + 1) * sizeof(*fs),
			MADV_POPULATE_WRITE);
	}
	atomic_store_explicit(&fs->tag, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	ft_take_regs(fs->regs);
	sp = (uintptr_t)fs->regs[R_RSP];
	end = (uintptr_t)__libc_stack_end;
	if (sp < end && end - sp < FT_MAIN_STACK_SPAN) {
		got = end - sp < sizeof(fs->stack) ? (long)(end - sp)
						   : (long)sizeof(fs->stack);
		copy_words(fs->stack, sp, (size_t)got);
	} else {
		/*
		 * Another thread's stack, or an alternate one: where it ends
		 * is not known here, and the kernel stops at the first page
		 * that is not there. Not for the main thread: pinning a page
		 * a child still shares copies it (a fault's cost a page).
		 */
		mine.iov_base = fs->stack;
		mine.iov_len = sizeof(fs->stack);
		from.iov_base = (void *)sp;
		from.iov_len = sizeof(fs->stack);
		got = syscall(SYS_process_vm_readv, (long)ft_process.owner,
			      &mine, 1L, &from, 1L, 0L);
		if (got < 0 && (errno == EPERM || errno == ENOSYS))
			/* A seccomp filter: forks unwind at once from now
			 * on. */
			atomic_store(&slots_failed, 1);
	}
	ft_errno_keep(saved);
	if (got <= 0)
		return 0;
	fs->len = (uint64_t)got;
	atomic_store_explicit(&fs->tag, tag, memory_order_release);
	return 1;
}

/* ---- the remote unwind, when the leaks are reported ---- */

static struct {
	unw_addr_space_t as;
	int (*init_remote)(unw_cursor_t *, unw_addr_space_t, void *);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
} remote;

enum { REMOTE_NOT_TRIED, REMOTE_LOADING, REMOTE_READY, REMOTE_MISSING };
static atomic_int remote_state;

/*
 * What a walk reads: the copy, and the modules' readable segments, listed
 * again only when a module was loaded or unloaded since (the loader's
 * counts): a report of a hundred children lists them once. One walk at a
 * time (walk_busy): the exit scan and a test's end may meet.
 */
#define FT_RANGES_MAX 1024
struct walk {
	const struct ft_fork_stack *fs;
	unsigned long long adds, subs;
	size_t nranges;
	uintptr_t lo[FT_RANGES_MAX], hi[FT_RANGES_MAX];
};
static struct walk walk;
#define FT_WALK_TRIES 10000
static atomic_flag walk_busy = ATOMIC_FLAG_INIT;

static int read_word(const struct walk *w, uintptr_t addr, unw_word_t *val)
{
	uintptr_t sp = (uintptr_t)w->fs->regs[R_RSP];
	size_t i;

	if (addr >= sp && addr - sp <= w->fs->len &&
	    w->fs->len - (addr - sp) >= sizeof(*val)) {
		memcpy(val, w->fs->stack + (addr - sp), sizeof(*val));
		return 0;
	}
	/* Live memory only where a module is mapped readable: the unwind
	 * tables; never the stack, which has moved on since. */
	for (i = 0; i < w->nranges; i++)
		if (addr >= w->lo[i] && addr < w->hi[i] &&
		    w->hi[i] - addr >= sizeof(*val)) {
			memcpy(val, (const void *)addr, sizeof(*val));
			return 0;
		}
	return -UNW_EINVAL;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
		      int write, void *arg)
{
	(void)as;
	if (write)
		return -UNW_EINVAL;
	return read_word(arg, (uintptr_t)addr, val);
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg,
		      unw_word_t *val, int write, void *arg)
{
	const struct walk *w = arg;
	int i;

	(void)as;
	switch (reg) {
	case UNW_X86_64_RBX: i = R_RBX; break;
	case UNW_X86_64_RBP: i = R_RBP; break;
	case UNW_X86_64_R12: i = R_R12; break;
	case UNW_X86_64_R13: i = R_R13; break;
	case UNW_X86_64_R14: i = R_R14; break;
	case UNW_X86_64_R15: i = R_R15; break;
	case UNW_X86_64_RSP: i = R_RSP; break;
	case UNW_X86_64_RIP: i = R_RIP; break;
	default: return -UNW_EBADREG;	/* not kept: caller-saved */
	}
	if (write)
		return -UNW_EINVAL;
	*val = (unw_word_t)w->fs->regs[i];
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg,
			unw_fpreg_t *val, int write, void *arg)
{
	(void)as, (void)reg, (void)val, (void)write, (void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as, (void)c, (void)arg;
	return -UNW_EINVAL;
}

/* Normal context only (dlopen, malloc): see ft_fork_stack_frames. */
static void remote_load(void)
{
	unw_addr_space_t (*create)(unw_accessors_t *, int);
	unw_accessors_t *(*get_accessors)(unw_addr_space_t);
	int (*caching)(unw_addr_space_t, unw_caching_policy_t);
	int expected = REMOTE_NOT_TRIED, saved = errno;
	unw_addr_space_t *local;
	unw_accessors_t acc;
	void *h;

	if (!atomic_compare_exchange_strong(&remote_state, &expected,
					    REMOTE_LOADING))
		return;
	/* libunwind's generic library: remote address spaces (libunwind.so
	 * has only the local one). The same package. */
	h = dlopen("libunwind-x86_64.so.8", RTLD_LAZY | RTLD_LOCAL);
	create = h ? (__typeof__(create))dlsym(
			     h, FT_STR(UNW_OBJ(create_addr_space)))
		   : NULL;
	get_accessors = h ? (__typeof__(get_accessors))dlsym(
				    h, FT_STR(UNW_OBJ(get_accessors)))
			  : NULL;
	caching = h ? (__typeof__(caching))dlsym(
			      h, FT_STR(UNW_OBJ(set_caching_policy)))
		    : NULL;
	local = h ? (unw_addr_space_t *)dlsym(
			    h, FT_STR(UNW_OBJ(local_addr_space)))
		  : NULL;
	remote.init_remote = h ? (__typeof__(remote.init_remote))dlsym(
					 h, FT_STR(UNW_OBJ(init_remote)))
			       : NULL;
	remote.step = h ? (__typeof__(remote.step))dlsym(h,
							 FT_STR(UNW_OBJ(step)))
			: NULL;
	remote.get_reg = h ? (__typeof__(remote.get_reg))dlsym(
				     h, FT_STR(UNW_OBJ(get_reg)))
			   : NULL;
	if (create && get_accessors && caching && local && *local &&
	    remote.init_remote && remote.step && remote.get_reg) {
		/* The local space's way of finding a function's unwind
		 * table (dl_iterate_phdr, .eh_frame_hdr), our memory and
		 * registers. */
		acc = *get_accessors(*local);
		acc.access_mem = access_mem;
		acc.access_reg = access_reg;
		acc.access_fpreg = access_fpreg;
		acc.resume = resume;
		remote.as = create(&acc, 0);
		if (remote.as)
			caching(remote.as, UNW_CACHE_GLOBAL);
	}
	ft_errno_keep(saved);
	atomic_store_explicit(&remote_state,
			      remote.as ? REMOTE_READY : REMOTE_MISSING,
			      memory_order_release);
}

void ft_fork_stacks_ready(void)
{
	if (ft_reg_fork_stacks_live() &&
	    atomic_load_explicit(&remote_state, memory_order_acquire) ==
		    REMOTE_NOT_TRIED)
		remote_load();
}

/*
 * Our handler of a deadly signal is about to report: it must not dlopen
 * (the thread it interrupted may hold malloc's or the loader's lock), and
 * the program, which has no handler, may have been in either. The copies
 * are unwound only if the library was loaded before. async-signal-safe
 */
void ft_fork_stacks_in_handler(void)
{
	int expected = REMOTE_NOT_TRIED;

	atomic_compare_exchange_strong(&remote_state, &expected,
				       REMOTE_MISSING);
}

/* 1 (stop) when the modules are the ones listed. */
static int modules_unchanged(struct dl_phdr_info *info, size_t size,
			     void *arg)
{
	struct walk *w = arg;

	return size >= offsetof(struct dl_phdr_info, dlpi_subs) +
			       sizeof(info->dlpi_subs) &&
	       w->nranges != 0 && info->dlpi_adds == w->adds &&
	       info->dlpi_subs == w->subs;
}

static int add_ranges(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct walk *w = arg;
	const ElfW(Phdr) *ph;
	int i;

	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) +
			    sizeof(info->dlpi_subs)) {
		w->adds = info->dlpi_adds;
		w->subs = info->dlpi_subs;
	}
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_R) ||
		    w->nranges >= FT_RANGES_MAX)
			continue;
		w->lo[w->nranges] = info->dlpi_addr + ph->p_vaddr;
		w->hi[w->nranges] = w->lo[w->nranges] + ph->p_memsz;
		w->nranges++;
	}
	return 0;
}

/*
 * The frames of slot's copy, ours at its start dropped; 0 when it has
 * none, was given to another fork (tag changed), or libunwind cannot be
 * loaded here. Loads it (dlopen) only where no handler of the program is
 * installed, so that this cannot be one; before the program's first
 * handler it was loaded if copies waited (ft_fork_stacks_ready).
 */
int ft_fork_stack_frames(uint32_t slot, int64_t tag, uintptr_t *ips, int max)
{
	struct ft_fork_stack *base = atomic_load_explicit(
		&slots, memory_order_acquire);
	int saved = errno, n = 0, ours = 1, tries = 0;
	unw_cursor_t cur;
	struct walk *w;
	unw_word_t ip;

	if (!base || slot == 0 || slot > FT_FORK_STACKS || tag == 0 ||
	    max <= 0 ||
	    atomic_load_explicit(&base[slot - 1].tag, memory_order_acquire) !=
		    tag)
		return 0;
	if (atomic_load_explicit(&remote_state, memory_order_acquire) ==
		    REMOTE_NOT_TRIED &&
	    !ft_signal_program_handlers())
		remote_load();
	if (atomic_load_explicit(&remote_state, memory_order_acquire) !=
	    REMOTE_READY)
		return 0;
	/* Not for ever: this may be a handler that interrupted a walk. */
	while (atomic_flag_test_and_set_explicit(&walk_busy,
						 memory_order_acquire))
		if (tries++ == FT_WALK_TRIES)
			return 0;
		else
			sched_yield();
	w = &walk;
	w->fs = &base[slot - 1];
	if (!dl_iterate_phdr(modules_unchanged, w)) {
		w->nranges = 0;
		dl_iterate_phdr(add_ranges, w);
	}
	if (remote.init_remote(&cur, remote.as, w) == 0) {
		do {
			if (remote.get_reg(&cur, UNW_REG_IP, &ip) != 0 ||
			    ip == 0)
				break;
			/* Every frame is a return address but the first,
			 * which is ours. */
			if (ours && ft_frame_ours((uintptr_t)ip, 1))
				continue;
			ours = 0;
			ips[n++] = (uintptr_t)ip;
		} while (n < max && remote.step(&cur) > 0);
	}
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&w->fs->tag, memory_order_relaxed) != tag)
		n = 0;	/* rewritten while read */
	atomic_flag_clear_explicit(&walk_busy, memory_order_release);
	ft_errno_keep(saved);
	return n;
}

#else /* not x86_64: forks unwind at once (backtrace.c) */

int ft_fork_stacks_usable(void)
{
	return 0;
}

int ft_fork_stack_save(uint32_t slot, int64_t tag)
{
	(void)slot, (void)tag;
	return 0;
}

void ft_fork_stacks_ready(void)
{
}

void ft_fork_stacks_in_handler(void)
{
}

int ft_fork_stack_frames(uint32_t slot, int64_t tag, uintptr_t *ips, int max)
{
	(void)slot, (void)tag, (void)ips, (void)max;
	return 0;
}
#endif
