/* SPDX-License-Identifier: MIT */
/*
 * The environment the run options make for CMD: knobs checked by the
 * library's own parser, the library found and put first in LD_PRELOAD
 * (with the warp, chaos and jemalloc objects asked for), the Python
 * start-up hook on PYTHONPATH, ASan's link order check off, one seed for
 * the whole tree. See runopt.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "junk.h"
#include "runopt.h"

#ifndef FT_LIBDIR
#define FT_LIBDIR "/usr/local/lib"
#endif

static char library[PATH_MAX];

__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flaketrap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return FT_EXIT_TOOL_ERROR;
}

/*
 * Why path cannot go in LD_PRELOAD, or NULL. ld.so splits the list at
 * spaces and colons and skips what it cannot load with a mere warning:
 * the run would change nothing and pass.
 */
static const char *unusable_library(const char *path)
{
	unsigned char magic[4];
	struct stat st;
	ssize_t n;
	int fd;

	if (strpbrk(path, " :\t\n"))
		return "a space or a colon in its path breaks LD_PRELOAD";
	if (stat(path, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return strerror(errno);
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0)
		return "not an ELF shared object";
	return NULL;
}

/* $FLAKETRAP_LIB, then beside this executable, then the install path. */
static int find_library(char *out, size_t outlen)
{
	static const char *const beside[] = {
		"/../preload/libflaketrap.so",		/* build tree */
		"/../lib/flaketrap/libflaketrap.so",	/* installed */
	};
	char exe[PATH_MAX], *slash;
	const char *env = getenv("FLAKETRAP_LIB"), *why;
	ssize_t n;
	size_t i;

	if (env && *env) {
		if (!realpath(env, out))
			return fail("FLAKETRAP_LIB=%s: %s", env,
				    strerror(errno));
		why = unusable_library(out);
		if (why)
			return fail("FLAKETRAP_LIB=%s: %s", env, why);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
			char cand[PATH_MAX + 64];

			snprintf(cand, sizeof(cand), "%s%s", exe, beside[i]);
			if (access(cand, F_OK) == 0 && realpath(cand, out))
				goto found;
		}
	}
	snprintf(out, outlen, "%s/flaketrap/libflaketrap.so", FT_LIBDIR);
	if (access(out, F_OK) != 0)
		return fail("cannot find libflaketrap.so (looked beside this"
			    " program and in %s/flaketrap); set FLAKETRAP_LIB",
			    FT_LIBDIR);
found:
	why = unusable_library(out);
	if (why)
		return fail("%s: %s", out, why);
	return 0;
}

static int ends_with_name(const char *entry, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len >= n && memcmp(entry + len - n, name, n) == 0 &&
	       (len == n || entry[len - n - 1] == '/');
}

static int is_our_library(const char *entry, size_t len)
{
	return ends_with_name(entry, len, "libflaketrap.so") ||
	       ends_with_name(entry, len, FT_WARP_NAME) ||
	       ends_with_name(entry, len, FT_CHAOS_NAME);
}

/*
 * LD_PRELOAD: the chaos object (when given: its lock wrappers must be the
 * first definitions), the warp object (when given) before the library,
 * then jemalloc (when given), then the other entries (either separator),
 * minus any copy of ours: nested runs load them once.
 */
static void set_preload(const char *chaos, const char *warp, const char *lib,
			const char *jemalloc)
{
	const char *old = getenv("LD_PRELOAD"), *p, *end;
	size_t cap = strlen(lib) + (warp ? strlen(warp) + 1 : 0) +
		     (chaos ? strlen(chaos) + 1 : 0) +
		     (jemalloc ? strlen(jemalloc) + 1 : 0) +
		     (old ? strlen(old) : 0) + 2, len;
	char *val = malloc(cap);

	if (!val) {
		perror("flaketrap");
		exit(FT_EXIT_TOOL_ERROR);
	}
	val[0] = '\0';
	if (chaos) {
		strcpy(val, chaos);
		strcat(val, ":");
	}
	if (warp) {
		strcat(val, warp);
		strcat(val, ":");
	}
	strcat(val, lib);
	if (jemalloc) {
		strcat(val, ":");
		strcat(val, jemalloc);
	}
	for (p = old; p && *p; p = end) {
		while (*p == ' ' || *p == ':')
			p++;
		end = p + strcspn(p, " :");
		len = (size_t)(end - p);
		if (len == 0 || is_our_library(p, len))
			continue;
		strcat(val, ":");
		strncat(val, p, len);
	}
	setenv("LD_PRELOAD", val, 1);
	free(val);
}

/*
 * gcc's ASan runtime, a dependency of an ASan program (libasan.so.8),
 * refuses to start unless it comes first in the initial library list ("ASan
 * runtime does not come first in initial library list"), and ours is
 * first. The check is turned off in ASAN_OPTIONS, after the user's own
 * flags, unless they set it themselves. Putting the runtime first instead
 * would need the program's ELF read, would miss ASan programs started
 * deeper in the tree (`make test`), and LD_PRELOAD would carry the runtime
 * into every process of the tree: LeakSanitizer then fails plain programs
 * that never free (perl -e 1 exits 1). The order is sound: our wrappers
 * call the runtime's interceptors as RTLD_NEXT, and define no allocator.
 */
static void asan_link_order(void)
{
	static const char flag[] = "verify_asan_link_order";
	const char *old = getenv("ASAN_OPTIONS");
	char *val;

	if (old && strstr(old, flag))
		return;
	if (asprintf(&val, "%s%s%s=0", old && *old ? old : "",
		     old && *old ? ":" : "", flag) < 0) {
		perror("flaketrap");
		exit(FT_EXIT_TOOL_ERROR);
	}
	setenv("ASAN_OPTIONS", val, 1);
	free(val);
}

/*
 * The path of the object name beside the library, wherever that was
 * found, into path (room for the library's path and name); why it cannot
 * be loaded, or NULL.
 */
static const char *beside_library(char *path, const char *name)
{
	char *slash;

	strcpy(path, library);
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, name);
	return unusable_library(path);
}

/*
 * The Python start-up hook: the directory of its sitecustomize.py, beside
 * the library, goes first on PYTHONPATH (the hook takes it out of sys.path
 * again and runs the system's own sitecustomize). A user's PYTHONPATH
 * follows it; a nested run adds it once. An empty PYTHONPATH is not made
 * "DIR:" (an empty entry is the current directory). A library copied
 * alone (FLAKETRAP_LIB) goes without the hook, unless it was asked for:
 * the hook only names tests, it changes nothing a test sees.
 */
static int set_python_hook(void)
{
	char dir[PATH_MAX + sizeof("python/sitecustomize.py")], *slash, *val;
	const char *old = getenv("PYTHONPATH"), *p, *end, *why;
	struct stat st;

	strcpy(dir, library);
	slash = strrchr(dir, '/');
	strcpy(slash ? slash + 1 : dir, "python/sitecustomize.py");
	why = stat(dir, &st) != 0     ? strerror(errno)
	      : !S_ISREG(st.st_mode) ? "not a regular file"
				     : NULL;
	if (why && !getenv(FT_ENV_PREFIX "PYTHON_HOOK"))
		return 0;
	if (why)
		return fail("%s (needed by --python-hook=on): %s", dir, why);
	slash = strrchr(dir, '/');
	*slash = '\0';
	for (p = old; p && *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ":");
		if ((size_t)(end - p) == strlen(dir) &&
		    !memcmp(p, dir, (size_t)(end - p)))
			return 0;
	}
	if (asprintf(&val, "%s%s%s", dir, old && *old ? ":" : "",
		     old && *old ? old : "") < 0) {
		perror("flaketrap");
		exit(FT_EXIT_TOOL_ERROR);
	}
	setenv("PYTHONPATH", val, 1);
	free(val);
	return 0;
}

int ft_runopt_environment(struct ft_runopt *o, struct ft_config *cfg)
{
	extern char **environ;
	char err[1024], warp[PATH_MAX + sizeof(FT_WARP_NAME)];
	char chaos[PATH_MAX + sizeof(FT_CHAOS_NAME)];
	char jemalloc[PATH_MAX];
	const char *why;
	int rc;

	if (ft_config_parse(cfg, environ, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return FT_EXIT_TOOL_ERROR;
	}
	rc = find_library(library, sizeof(library));
	if (rc)
		return rc;
	if (cfg->timers != FT_TIMERS_OFF &&
	    (why = beside_library(warp, FT_WARP_NAME)))
		return fail("%s (needed by --timers=%s): %s", warp,
			    cfg->timers == FT_TIMERS_IDLE ? "idle" : "warp",
			    why);
	if (cfg->chaos && (why = beside_library(chaos, FT_CHAOS_NAME)))
		return fail("%s (needed by --chaos): %s", chaos, why);
	if (o->junk && ft_junk_setup(jemalloc, err, sizeof(err)))
		return fail("%s", err);
	/* ld.so would skip a file it cannot load with a mere warning. */
	if (o->junk && (why = unusable_library(jemalloc)))
		return fail("%s (needed by --junk): %s", jemalloc, why);
	if (cfg->python_hook && (rc = set_python_hook()))
		return rc;
	set_preload(cfg->chaos ? chaos : NULL,
		    cfg->timers != FT_TIMERS_OFF ? warp : NULL, library,
		    o->junk ? jemalloc : NULL);
	asan_link_order();
	return 0;
}

void ft_print_version(void)
{
	char lib[PATH_MAX];

	printf("flaketrap %s\n", FT_VERSION);
	/* Not found: find_library has said where it looked, on stderr. */
	printf("library: %s\n", find_library(lib, sizeof(lib)) == 0
					 ? lib : "not found");
}

const char *ft_runopt_library(void)
{
	return library;
}

unsigned long long ft_random_u64(void)
{
	unsigned long long v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		v = (unsigned long long)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (unsigned long long)ts.tv_sec ^
		    (unsigned long long)getpid() << 32;
	}
	return v;
}

/*
 * One seed for the whole process tree, so the run can be replayed: each
 * process would otherwise draw its own.
 */
unsigned long long ft_ensure_seed(void)
{
	const char *given = getenv(FT_ENV_PREFIX "SEED");
	char seed[24];
	unsigned long long v;

	if (given)
		return strtoull(given, NULL, 10);	/* checked already */
	v = ft_random_u64();
	snprintf(seed, sizeof(seed), "%llu", v);
	setenv(FT_ENV_PREFIX "SEED", seed, 1);
	return v;
}

