/* SPDX-License-Identifier: MIT */
/*
 * Source locations of logged frames, with elfutils libdw: the function
 * (also static ones, from .symtab or DWARF), file and line of an offset in
 * an ELF module. Each module is opened once; a module whose build-id is
 * not the one logged is not used (it was rebuilt since).
 */
#ifndef FT_SYMBOLIZE_H
#define FT_SYMBOLIZE_H

struct ft_symbolizer;

struct ft_source {
	const char *function;	/* NULL when unknown */
	unsigned long long function_offset;
	const char *file;	/* NULL when unknown */
	int line;
	const char *note;	/* why nothing was found, or NULL */
};

struct ft_symbolizer *ft_sym_new(void);

/*
 * Fills *out for offset in module (an ELF virtual address, as logged).
 * return_address: the frame's ip is a return address, so the call is
 * looked up at offset - 1. build_id may be NULL. The strings in *out live
 * as long as s.
 */
void ft_sym_lookup(struct ft_symbolizer *s, const char *module,
		   unsigned long long offset, const char *build_id,
		   int return_address, struct ft_source *out);

void ft_sym_free(struct ft_symbolizer *s);

#endif
