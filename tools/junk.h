/* SPDX-License-Identifier: MIT */
/*
 * Junk mode (--junk): jemalloc as the program's allocator, filling freed
 * memory with junk (0x5a) and new memory too (0xa5), so a use after free
 * during teardown crashes where glibc's malloc would let it read stale
 * values: the crashes at exit FreeBSD's buildbots (jemalloc) saw.
 */
#ifndef FT_JUNK_H
#define FT_JUNK_H

#include <stddef.h>

/* The jemalloc library's name, as Debian's libjemalloc2 ships it. */
#define FT_JEMALLOC_NAME "libjemalloc.so.2"

/*
 * Finds jemalloc (its path in jemalloc, PATH_MAX bytes) and sets
 * MALLOC_CONF (the user's settings kept, junk:true added); the caller puts
 * jemalloc in LD_PRELOAD. Returns 0, or -1 with one line in err: jemalloc
 * not found, or a MALLOC_CONF whose junk setting conflicts.
 */
int ft_junk_setup(char *jemalloc, char *err, size_t errlen);

/*
 * The MALLOC_CONF junk mode needs given the user's (NULL: unset), into
 * out; -1 with the reason in err when the user's junk setting conflicts.
 * Pure, for the unit tests.
 */
int ft_junk_malloc_conf(const char *user, char *out, size_t outlen,
			char *err, size_t errlen);

#endif
