/* SPDX-License-Identifier: MIT */
/*
 * libdw lookups for report (report/frames.c). One Dwfl per module, each
 * reported at base 0, so a logged offset is an address in it as is
 * (modules would overlap in one Dwfl).
 */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize.h"

struct module {
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;	/* NULL when the file cannot be used */
	char build_id[2 * 64 + 1];	/* hex, empty when none */
	const char *why;	/* when mod is NULL */
};

struct ft_symbolizer {
	struct module *mods;
	size_t n;
	char **names;		/* source paths made absolute */
	size_t nnames;
};

static const Dwfl_Callbacks callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct ft_symbolizer *ft_sym_new(void)
{
	struct ft_symbolizer *s = calloc(1, sizeof(*s));

	if (!s) {
		perror("flaketrap");
		exit(2);
	}
	return s;
}

static void set_build_id(struct module *m)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int i, n;

	n = dwfl_module_build_id(m->mod, &bits, &vaddr);
	for (i = 0; i < n && i < 64; i++)
		sprintf(m->build_id + 2 * i, "%02x", bits[i]);
}

static struct module *open_module(struct ft_symbolizer *s, const char *path)
{
	struct module *m;
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->mods[i].path, path))
			return &s->mods[i];
	m = realloc(s->mods, (s->n + 1) * sizeof(*m));
	if (!m) {
		perror("flaketrap");
		exit(2);
	}
	s->mods = m;
	m = &s->mods[s->n++];
	memset(m, 0, sizeof(*m));
	m->path = strdup(path);
	if (!m->path) {
		perror("flaketrap");
		exit(2);
	}
	m->dwfl = dwfl_begin(&callbacks);
	if (!m->dwfl) {
		m->why = "libdw failed";
		return m;
	}
	/*
	 * The path comes from a log, perhaps a downloaded one: a FIFO or a
	 * device named there must not hang the report (O_NONBLOCK opens a
	 * FIFO at once), and only a regular file is read as a module.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		m->why = errno == ENOENT ? "module not found"
					 : "module not readable";
		return m;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		m->why = "module not a regular file";
		return m;
	}
	/* On success libdwfl owns fd. */
	m->mod = dwfl_report_elf(m->dwfl, path, path, fd, 0, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		close(fd);
		m->why = "module not readable as ELF";
	} else {
		set_build_id(m);
	}
	return m;
}

/*
 * A relative source name joined to its compilation directory, kept in s
 * (a report names each file many times: one copy each).
 */
static const char *absolute(struct ft_symbolizer *s, const char *dir,
			    const char *file)
{
	char *path;
	size_t i;

	if (!dir || asprintf(&path, "%s/%s", dir, file) < 0)
		return file;
	for (i = 0; i < s->nnames; i++)
		if (!strcmp(s->names[i], path)) {
			free(path);
			return s->names[i];
		}
	s->names = realloc(s->names, (s->nnames + 1) * sizeof(*s->names));
	if (!s->names) {
		perror("flaketrap");
		exit(2);
	}
	s->names[s->nnames++] = path;
	return path;
}

void ft_sym_lookup(struct ft_symbolizer *s, const char *module,
		   unsigned long long offset, const char *build_id,
		   int return_address, struct ft_source *out)
{
	struct module *m = open_module(s, module);
	Dwarf_Addr addr;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;
	const char *name;

	memset(out, 0, sizeof(*out));
	if (!m->mod) {
		out->note = m->why;
		return;
	}
	if (build_id && *build_id && m->build_id[0] &&
	    strcasecmp(build_id, m->build_id)) {
		out->note = "build-id differs: the module was rebuilt";
		return;
	}
	if (return_address && offset > 0)
		offset--;
	addr = offset;
	name = dwfl_module_addrinfo(m->mod, addr, &off, &sym, NULL, NULL,
				    NULL);
	if (name) {
		out->function = name;
		out->function_offset = off + (return_address ? 1 : 0);
	}
	line = dwfl_module_getsrc(m->mod, addr);
	if (line)
		out->file = dwfl_lineinfo(line, NULL, &out->line, NULL, NULL,
					  NULL);
	if (!out->file)
		out->note = "no line information";
	else if (out->file[0] != '/')
		out->file = absolute(s, dwfl_line_comp_dir(line), out->file);
}

void ft_sym_free(struct ft_symbolizer *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->mods[i].dwfl)
			dwfl_end(s->mods[i].dwfl);
		free(s->mods[i].path);
	}
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s->mods);
	free(s);
}
