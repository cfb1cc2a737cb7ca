/* SPDX-License-Identifier: MIT */
/*
 * Frames described for the log and the reports: module, offset in it,
 * build-id, and the symbol where there is one (the dynamic symbol table,
 * else the module's .symtab). The backtraces themselves are backtrace.c's.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fmt.h"
#include "ft.h"

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

void ft_module_range(const struct dl_phdr_info *info, uintptr_t *lo,
		     uintptr_t *hi)
{
	uintptr_t a;
	int i;

	*lo = UINTPTR_MAX;
	*hi = 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_LOAD)
			continue;
		a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		if (a < *lo)
			*lo = a;
		if (a + info->dlpi_phdr[i].p_memsz > *hi)
			*hi = a + info->dlpi_phdr[i].p_memsz;
	}
}
