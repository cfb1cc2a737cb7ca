/* SPDX-License-Identifier: MIT */
/*
 * Shared by the objects loaded beside libflaketrap.so (libflaketrap-warp.so,
 * libflaketrap-chaos.so), each linking its own copy: RTLD_NEXT is relative
 * to the object that calls dlsym.
 */
#ifndef FT_EXTRA_NEXT_H
#define FT_EXTRA_NEXT_H

/*
 * The next definition of name (at version, or the default one when NULL)
 * after the calling object. A missing one is fatal: a message naming
 * object ("libflaketrap-warp.so") and name on stderr, then abort.
 */
void *ft_next_symbol(const char *object, const char *name,
		     const char *version);

#endif
