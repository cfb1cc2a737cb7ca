/* SPDX-License-Identifier: MIT */
/*
 * The options of `flaketrap run`, shared with loop and bisect, and the
 * environment they make for CMD: knobs checked by the library's own parser,
 * the library found and put first in LD_PRELOAD. See runopt.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../preload/fmt.h"
#include "commands.h"
#include "junk.h"
#include "leftovers.h"
#include "runopt.h"

#ifndef FT_LIBDIR
#define FT_LIBDIR "/usr/local/lib"
#endif

/* Values of the options that are not knobs; knob i is FT_OPT_KNOB + i. */
enum {
	FT_OPT_FAIL_ON_LEAK = 0x10000,
	FT_OPT_KEEP_LOG,
	FT_OPT_GRACE,
	FT_OPT_JUNK,
	FT_OPT_ALLOW_UNLOADED,
	FT_OPT_KNOB = 0x10100,
};

static char knob_names[FT_NKNOBS][40];
static char library[PATH_MAX];

void ft_runopt_init(struct ft_runopt *o)
{
	memset(o, 0, sizeof(*o));
	o->grace_text = FT_LEFTOVER_GRACE_DEFAULT;
	o->grace_ms = 2000;
	o->bare_switch = -1;
}

int ft_runopt_check_command(const struct ft_runopt *o, const char *cmd,
			    const char *name)
{
	if (o->bare_switch < 0 || (strcmp(name, "on") && strcmp(name, "off")))
		return 0;
	fprintf(stderr, "%s: --%s %s: a switch given alone is on, and '%s'"
			" would be the command: write --%s=%s\n", cmd,
		knob_names[o->bare_switch], name, name,
		knob_names[o->bare_switch], name);
	return FT_EXIT_TOOL_ERROR;
}

void ft_runopt_free(struct ft_runopt *o)
{
	size_t i;

	for (i = 0; i < o->nreplay; i++)
		free(o->replay[i]);
	o->nreplay = 0;
}

/* FLAKETRAP_SLEEP_MIN is --sleep-min. */
static void option_name(char *out, size_t len, const char *knob)
{
	size_t j;

	for (j = 0; knob[j] && j < len - 1; j++)
		out[j] = knob[j] == '_' ? '-' : ft_lower(knob[j]);
	out[j] = '\0';
}

static int switch_off(int knob)
{
	return ft_knobs[knob].kind == FT_KIND_SWITCH &&
	       strcmp(ft_knobs[knob].def, "off") == 0;
}

void ft_runopt_table(struct option *opts, size_t *n)
{
	int i;

	for (i = 0; i < FT_NKNOBS; i++) {
		option_name(knob_names[i], sizeof(knob_names[i]),
			    ft_knobs[i].name);
		/* A switch that is off by default: --chaos alone is on. */
		opts[(*n)++] = (struct option){
			knob_names[i],
			switch_off(i) ? optional_argument : required_argument,
			NULL, FT_OPT_KNOB + i };
	}
	opts[(*n)++] = (struct option){ "fail-on-leak", no_argument, NULL,
					FT_OPT_FAIL_ON_LEAK };
	opts[(*n)++] = (struct option){ "fail-env-changed", no_argument,
					NULL, FT_OPT_FAIL_ON_LEAK };
	opts[(*n)++] = (struct option){ "keep-log", no_argument, NULL,
					FT_OPT_KEEP_LOG };
	opts[(*n)++] = (struct option){ "grace", required_argument, NULL,
					FT_OPT_GRACE };
	opts[(*n)++] = (struct option){ "junk", no_argument, NULL,
					FT_OPT_JUNK };
	opts[(*n)++] = (struct option){ "allow-unloaded", no_argument, NULL,
					FT_OPT_ALLOW_UNLOADED };
}

static void keep_for_replay(struct ft_runopt *o, const char *name,
			    const char *arg)
{
	char *s;

	if (o->nreplay == FT_RUNOPT_REPLAY_MAX)
		return;
	if (asprintf(&s, arg ? "--%s=%s" : "--%s", name, arg) < 0) {
		perror("flaketrap");
		exit(FT_EXIT_TOOL_ERROR);
	}
	o->replay[o->nreplay++] = s;
}

int ft_runopt_unloaded(const struct ft_runopt *o, const char *cmd,
		       const char *what)
{
	if (o->allow_unloaded)
		return 0;
	fprintf(stderr, "%s: %s: no process loaded the library (a static"
			" program, or LD_PRELOAD cleared): nothing was"
			" injected nor checked; --allow-unloaded lets such a"
			" run pass\n", cmd, what);
	return FT_EXIT_TOOL_ERROR;
}

/*
 * A knob option's value, checked by the library's parser at once: an error
 * then names the option typed (--sleep=5), not the variable it sets.
 */
static int check_knob_option(int knob, const char *var, const char *arg,
			     const char *cmd)
{
	static struct ft_config cfg;	/* 28 KiB of pattern lists */
	char *env[2], err[1024], prefix[1024], quoted[1024];
	struct ft_buf b;
	size_t plen;
	int r;

	if (asprintf(&env[0], "%s=%s", var, arg) < 0) {
		perror(cmd);
		return -1;
	}
	env[1] = NULL;
	r = ft_config_parse(&cfg, env, err, sizeof(err));
	free(env[0]);
	if (r == 0)
		return 0;
	/* The parser's message is "flaketrap: VAR='value': why; expected". */
	ft_buf_init(&b, prefix, sizeof(prefix));
	ft_buf_str(&b, "flaketrap: ");
	ft_buf_str(&b, var);
	ft_buf_char(&b, '=');
	ft_buf_quoted(&b, arg);
	ft_buf_str(&b, ": ");
	plen = strlen(prefix);
	if (strncmp(err, prefix, plen) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	ft_buf_init(&b, quoted, sizeof(quoted));
	ft_buf_quoted(&b, arg);
	fprintf(stderr, "%s: --%s=%s: %s\n", cmd, knob_names[knob], quoted,
		err + plen);
	return -1;
}

int ft_runopt_handle(struct ft_runopt *o, int c, const char *arg,
		     const char *cmd)
{
	char name[64];
	int64_t ns;
	const char *why;

	if (c >= FT_OPT_KNOB && c < FT_OPT_KNOB + FT_NKNOBS) {
		snprintf(name, sizeof(name), FT_ENV_PREFIX "%s",
			 ft_knobs[c - FT_OPT_KNOB].name);
		if (!arg) {
			arg = "on";	/* a switch given alone */
			o->bare_switch = c - FT_OPT_KNOB;
		}
		if (check_knob_option(c - FT_OPT_KNOB, name, arg, cmd))
			return -1;
		setenv(name, arg, 1);
		return 1;
	}
	switch (c) {
	case FT_OPT_FAIL_ON_LEAK:
		if (!o->fail_on_leak)
			keep_for_replay(o, "fail-on-leak", NULL);
		o->fail_on_leak = 1;
		return 1;
	case FT_OPT_KEEP_LOG:
		o->keep_log = 1;
		return 1;
	case FT_OPT_JUNK:
		if (!o->junk)
			keep_for_replay(o, "junk", NULL);
		o->junk = 1;
		return 1;
	case FT_OPT_ALLOW_UNLOADED:
		if (!o->allow_unloaded)
			keep_for_replay(o, "allow-unloaded", NULL);
		o->allow_unloaded = 1;
		return 1;
	case FT_OPT_GRACE:
		if (ft_parse_duration(arg, &ns, &why)) {
			fprintf(stderr, "%s: --grace=%s: %s; expected DUR"
					" (1s, 500ms)\n", cmd, arg, why);
			return -1;
		}
		o->grace_text = arg;
		o->grace_ms = ns / 1000000;
		keep_for_replay(o, "grace", arg);
		return 1;
	}
	return 0;
}

int ft_parse_timeout(const char *cmd, const char *arg, int64_t *ns)
{
	const char *why = NULL;

	if (ft_parse_duration(arg, ns, &why) || *ns == 0) {
		fprintf(stderr, "%s: --timeout=%s: %s; expected DUR (10s,"
				" 500ms)\n", cmd, arg, why ? why : "zero");
		return -1;
	}
	return 0;
}

/*
 * The words of text (which may be given in parts) on lines of at most 80
 * columns, each indented by six spaces, then the suffix glued to the last
 * word; a word longer than a line stands alone. *col is the column
 * reached, 0 at a line's start.
 */
static void put_wrapped(FILE *f, const char *text, const char *suffix,
			int *col)
{
	const char *w = text, *end;
	int len, glued;

	for (;;) {
		while (*w == ' ')
			w++;
		if (!*w) {
			fputs(suffix, f);
			*col += (int)strlen(suffix);
			return;
		}
		end = strchr(w, ' ');
		len = end ? (int)(end - w) : (int)strlen(w);
		glued = end && end[strspn(end, " ")] ? 0 : (int)strlen(suffix);
		if (*col > 6 && *col + 1 + len + glued > 80) {
			fputc('\n', f);
			*col = 0;
		}
		if (*col == 0) {
			fputs("      ", f);
			*col = 6;
		} else {
			fputc(' ', f);
			(*col)++;
		}
		fprintf(f, "%.*s", len, w);
		*col += len;
		w += len;
	}
}

void ft_runopt_usage(FILE *f)
{
	char opt[40];
	int i, col;

	for (i = 0; i < FT_NKNOBS; i++) {
		option_name(opt, sizeof(opt), ft_knobs[i].name);
		fprintf(f, switch_off(i) ? "  --%s[=VALUE]\n" : "  --%s=VALUE\n",
			opt);
		col = 0;
		put_wrapped(f, ft_knobs[i].help, ".\n", &col);
		col = 0;
		put_wrapped(f, "Expected:", "", &col);
		put_wrapped(f, ft_knobs[i].form, ";", &col);
		if (switch_off(i))
			put_wrapped(f, "alone: on;", "", &col);
		put_wrapped(f, "default:", "", &col);
		put_wrapped(f, ft_knobs[i].def[0] ? ft_knobs[i].def : "unset",
			    ".\n", &col);
	}
	fprintf(f,
"  --fail-on-leak, --fail-env-changed\n"
"      exit 3 when CMD exits 0 but a process of its tree leaked a child or\n"
"      a thread, or left a process running after CMD ended.\n"
"  --keep-log\n"
"      keep the temporary log directory made when no --log is given,\n"
"      and print where it is.\n"
"  --junk\n"
"      jemalloc (" FT_JEMALLOC_NAME ") as CMD's allocator, with junk filling\n"
"      (MALLOC_CONF=junk:true added to yours): memory used after free\n"
"      holds junk, so a use after free at exit crashes instead of reading\n"
"      stale values. Found beside libc, or at $FLAKETRAP_JEMALLOC.\n"
"  --grace=DUR\n"
"      how long a process left running after CMD has to end after\n"
"      SIGTERM, before SIGKILL; default: 2s.\n"
"  --allow-unloaded\n"
"      a run in which no process loaded the library (a static program, Go,\n"
"      one that clears LD_PRELOAD) passes with CMD's status; without it,\n"
"      such a run is an error (125): nothing was injected nor checked.\n");
}

void ft_runopt_usage_names(FILE *f)
{
	struct option opts[FT_RUNOPT_ENTRIES];
	size_t col = 0, len, n = 0, i;

	ft_runopt_table(opts, &n);
	for (i = 0; i < n; i++) {
		len = strlen(opts[i].name) + 2;
		if (col && col + 1 + len > 78) {
			fputc('\n', f);
			col = 0;
		}
		fprintf(f, "%s--%s", col ? " " : "  ", opts[i].name);
		col += len + 1;
	}
	fputc('\n', f);
}

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
	if (cfg->timers == FT_TIMERS_WARP &&
	    (why = beside_library(warp, FT_WARP_NAME)))
		return fail("%s (needed by --timers=warp): %s", warp, why);
	if (cfg->chaos && (why = beside_library(chaos, FT_CHAOS_NAME)))
		return fail("%s (needed by --chaos): %s", chaos, why);
	if (o->junk && ft_junk_setup(jemalloc, err, sizeof(err)))
		return fail("%s", err);
	/* ld.so would skip a file it cannot load with a mere warning. */
	if (o->junk && (why = unusable_library(jemalloc)))
		return fail("%s (needed by --junk): %s", jemalloc, why);
	set_preload(cfg->chaos ? chaos : NULL,
		    cfg->timers == FT_TIMERS_WARP ? warp : NULL, library,
		    o->junk ? jemalloc : NULL);
	asan_link_order();
	return 0;
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
