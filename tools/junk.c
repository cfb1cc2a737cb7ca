/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "junk.h"

#define JUNK_SETTING "junk:true"

int ft_junk_malloc_conf(const char *user, char *out, size_t outlen,
			char *err, size_t errlen)
{
	const char *p, *end, *value;
	size_t len;
	int has_junk = 0;

	if (!user || !*user) {
		snprintf(out, outlen, "%s", JUNK_SETTING);
		return 0;
	}
	/* jemalloc's syntax: comma-separated key:value pairs. */
	for (p = user; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		if (len < 5 || strncmp(p, "junk:", 5) != 0)
			continue;
		value = p + 5;
		if ((size_t)(end - value) != 4 || strncmp(value, "true", 4)) {
			snprintf(err, errlen,
				 "MALLOC_CONF=%s: %.*s conflicts with --junk,"
				 " which needs " JUNK_SETTING
				 " (unset it, or leave out --junk)",
				 user, (int)len, p);
			return -1;
		}
		has_junk = 1;
	}
	if (snprintf(out, outlen, has_junk ? "%s" : "%s," JUNK_SETTING,
		     user) >= (int)outlen) {
		snprintf(err, errlen, "MALLOC_CONF is too long");
		return -1;
	}
	return 0;
}

/* The directory libc was loaded from: Debian puts jemalloc beside it. */
static int find_libc_dir(struct dl_phdr_info *info, size_t size, void *data)
{
	char *dir = data;
	const char *base = strrchr(info->dlpi_name, '/');

	(void)size;
	if (!base || strncmp(base, "/libc.so", 8) != 0)
		return 0;
	snprintf(dir, PATH_MAX, "%.*s", (int)(base - info->dlpi_name),
		 info->dlpi_name);
	return 1;
}

/*
 * $FLAKETRAP_JEMALLOC, else the first of libc's directory and the usual
 * library directories that has it. ld.so would only warn about a name it
 * cannot load and run the program with its usual allocator: a junk run
 * that tests nothing. So it must be found here.
 */
static int find_jemalloc(char *out, size_t outlen, char *err, size_t errlen)
{
	static const char *const dirs[] = {
		"", "/usr/local/lib", "/usr/lib64", "/usr/lib", "/lib",
	};
	const char *env = getenv("FLAKETRAP_JEMALLOC");
	char libc_dir[PATH_MAX] = "";
	size_t i;

	if (env && *env) {
		if (!realpath(env, out) || access(out, R_OK) != 0) {
			snprintf(err, errlen, "FLAKETRAP_JEMALLOC=%s: %s", env,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	dl_iterate_phdr(find_libc_dir, libc_dir);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		const char *dir = i == 0 ? libc_dir : dirs[i];

		if (!*dir)
			continue;
		if (snprintf(out, outlen, "%s/" FT_JEMALLOC_NAME, dir) <
			    (int)outlen &&
		    access(out, R_OK) == 0)
			return 0;
	}
	snprintf(err, errlen,
		 "--junk: cannot find " FT_JEMALLOC_NAME " (Debian package"
		 " libjemalloc2); set FLAKETRAP_JEMALLOC to its path");
	return -1;
}

int ft_junk_setup(char *jemalloc, char *err, size_t errlen)
{
	char conf[4096];

	if (find_jemalloc(jemalloc, PATH_MAX, err, errlen))
		return -1;
	if (strpbrk(jemalloc, " :\t\n")) {
		snprintf(err, errlen, "%s: a space or a colon in its path"
			 " breaks LD_PRELOAD", jemalloc);
		return -1;
	}
	if (ft_junk_malloc_conf(getenv("MALLOC_CONF"), conf, sizeof(conf),
				err, errlen))
		return -1;
	setenv("MALLOC_CONF", conf, 1);
	return 0;
}
