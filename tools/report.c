/* SPDX-License-Identifier: MIT */
/*
 * `flaketrap report`: groups the leak and crash records of any number of
 * logs and prints them as text or JSON, with file:line from libdw. Reading
 * and checking the logs is logs.c's; looking frames up is symbolize.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "junit.h"
#include "report.h"
#include "options.h"

/* Instances listed per group in the text report (JSON lists all). */
#define TEXT_INSTANCES 10

struct group {
	const char *event;
	char *key;
	struct ft_record **recs;	/* in reading order, in slots */
	size_t n;
	size_t first;		/* index of the first record: stable order */
	size_t procs, runs;
};

struct ft_report {
	struct ft_logs *l;
	struct group *groups;
	size_t ngroups;
	struct ft_record **slots;	/* every group's records, by group */
	struct ft_record **stacks;	/* thread_stack: listed, not grouped */
	size_t nstacks;
	struct ft_record **sites;	/* sleep_sites: listed too */
	size_t nsites;
	size_t children, threads, crashes;
	size_t processes, runs;
};

struct keyed {
	char *key;
	size_t idx;
};

static void oom(void)
{
	perror("flaketrap");
	exit(2);
}

static int event_rank(const char *event)
{
	return !strcmp(event, "leaked_child") ? 0 :
	       !strcmp(event, "leaked_thread") ? 1 : 2;
}

static const char *get_str(const struct ft_json *obj, const char *name)
{
	return ft_json_str(ft_json_get(obj, name));
}

static long long get_int(const struct ft_json *obj, const char *name,
			 long long def)
{
	long long v;

	return ft_json_int(ft_json_get(obj, name), &v) ? def : v;
}

/* A frame's identity: module and offset survive ASLR, an ip does not. */
static void put_frame_key(FILE *f, const struct ft_json *frame)
{
	const char *module = get_str(frame, "module");
	const char *offset = get_str(frame, "offset");

	if (module && offset)
		fprintf(f, "m:%s+%s\n", module, offset);
	else
		fprintf(f, "ip:%s\n", get_str(frame, "ip"));
}

static char *record_key(const struct ft_record *r)
{
	const struct ft_json *bt = ft_json_get(r->json, "backtrace");
	const struct ft_json *fr, *routine;
	char *key = NULL;
	size_t len;
	FILE *f = open_memstream(&key, &len);

	if (!f)
		oom();
	fprintf(f, "%s\n", r->event);
	if (!strcmp(r->event, "crash"))
		fprintf(f, "%lld\n", get_int(r->json, "signal", 0));
	else
		fprintf(f, "%s\n", get_str(r->json, "origin"));
	if (bt && bt->count) {
		for (fr = bt->first; fr; fr = fr->next)
			put_frame_key(f, fr);
	} else if (!strcmp(r->event, "leaked_child")) {
		/* Without a backtrace, what ran is all that tells apart. */
		fprintf(f, "comm:%s\n", get_str(r->json, "comm") ?: "");
	} else if (!strcmp(r->event, "leaked_thread")) {
		routine = ft_json_get(r->json, "start_routine");
		if (routine)
			put_frame_key(f, routine);
	}
	if (fclose(f))
		oom();
	return key;
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	int c = event_rank(x->event) - event_rank(y->event);

	if (c)
		return c;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void count_group(struct group *g)
{
	struct ft_proc_key *keys = malloc(g->n * sizeof(*keys));
	size_t i;

	if (!keys)
		oom();
	for (i = 0; i < g->n; i++) {
		keys[i].dir = g->recs[i]->file->dir;
		keys[i].pid = g->recs[i]->pid;
	}
	g->procs = ft_logs_distinct(keys, g->n, 0);
	g->runs = ft_logs_distinct(keys, g->n, 1);
	free(keys);
}

struct ft_report *ft_report_build(struct ft_logs *l)
{
	struct ft_report *r = calloc(1, sizeof(*r));
	struct keyed *k = malloc((l->nrecs + 1) * sizeof(*k));
	struct group *g = NULL;
	size_t i, n;

	if (!r || !k)
		oom();
	r->l = l;
	r->processes = ft_logs_distinct(l->procs, l->nprocs, 0);
	r->runs = ft_logs_distinct(l->procs, l->nprocs, 1);
	r->stacks = malloc((l->nrecs + 1) * sizeof(*r->stacks));
	r->sites = malloc((l->nrecs + 1) * sizeof(*r->sites));
	if (!r->stacks || !r->sites)
		oom();
	for (i = 0, n = 0; i < l->nrecs; i++) {
		if (!strcmp(l->recs[i].event, "thread_stack")) {
			r->stacks[r->nstacks++] = &l->recs[i];
			continue;
		}
		if (!strcmp(l->recs[i].event, "sleep_sites")) {
			r->sites[r->nsites++] = &l->recs[i];
			continue;
		}
		/* Read for bisect --chaos; no leak, no crash. */
		if (!strcmp(l->recs[i].event, "chaos_sites"))
			continue;
		k[n].key = record_key(&l->recs[i]);
		k[n++].idx = i;
		switch (event_rank(l->recs[i].event)) {
		case 0: r->children++; break;
		case 1: r->threads++; break;
		default: r->crashes++; break;
		}
	}
	/* Sorted by key, then by reading order: each group is one run of k. */
	qsort(k, n, sizeof(*k), cmp_keyed);
	r->slots = malloc((n + 1) * sizeof(*r->slots));
	r->groups = calloc(n + 1, sizeof(*r->groups));
	if (!r->slots || !r->groups)
		oom();
	for (i = 0; i < n; i++) {
		if (!g || strcmp(g->key, k[i].key)) {
			g = &r->groups[r->ngroups++];
			g->key = k[i].key;
			g->event = l->recs[k[i].idx].event;
			g->first = k[i].idx;
			g->recs = &r->slots[i];
		} else {
			free(k[i].key);
		}
		g->recs[g->n++] = &l->recs[k[i].idx];
	}
	free(k);
	for (i = 0; i < r->ngroups; i++)
		count_group(&r->groups[i]);
	qsort(r->groups, r->ngroups, sizeof(*r->groups), cmp_group);
	return r;
}

size_t ft_report_leaks(const struct ft_report *r)
{
	return r->children + r->threads;
}

size_t ft_report_crashes(const struct ft_report *r)
{
	return r->crashes;
}

size_t ft_report_stacks(const struct ft_report *r)
{
	return r->nstacks;
}

/* The kinds of delay of the exit record's counters.delays, as named there. */
static const char *const delay_kinds[] = {
	"waitpid", "exit", "exit_late", "thread", "fork_child", "fork_parent",
};

/* Whether name is a counter that ft_report_counters prints by name. */
static int known_counter(const char *name)
{
	static const char *const known[] = {
		"sleeps_seen", "sleeps_changed", "requested_ns", "slept_ns",
		"waits_warped", "warped_ns", "delays.total_ns",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i]))
			return 1;
	return !strncmp(name, "delays.", 7) || !strncmp(name, "chaos.", 6);
}

long long ft_report_delays(const struct ft_logs *l)
{
	char name[64];
	long long n = 0;
	size_t i;

	for (i = 0; i < sizeof(delay_kinds) / sizeof(delay_kinds[0]); i++) {
		snprintf(name, sizeof(name), "delays.%s.count", delay_kinds[i]);
		n += ft_logs_counter(l, name);
	}
	return n;
}

void ft_report_counters(FILE *f, const struct ft_logs *l, const char *lead)
{
	char name[64];
	long long n, delays = 0;
	size_t i;

	n = ft_logs_counter(l, "sleeps_seen");
	fprintf(f, "%s%zu %s ended with the library: ", lead, l->exits,
		l->exits == 1 ? "process" : "processes");
	if (n) {
		fprintf(f, "%lld of %lld %s changed (",
			ft_logs_counter(l, "sleeps_changed"), n,
			n == 1 ? "sleep" : "sleeps");
		ft_report_put_ns(f, ft_logs_counter(l, "requested_ns"));
		fputs(" asked, ", f);
		ft_report_put_ns(f, ft_logs_counter(l, "slept_ns"));
		fputs(" slept)", f);
	} else {
		fputs("no sleep", f);
	}
	for (i = 0; i < sizeof(delay_kinds) / sizeof(delay_kinds[0]); i++) {
		snprintf(name, sizeof(name), "delays.%s.count", delay_kinds[i]);
		n = ft_logs_counter(l, name);
		if (!n)
			continue;
		fprintf(f, "%s%lld %s", delays ? ", " : "; delays: ", n,
			delay_kinds[i]);
		snprintf(name, sizeof(name), "delays.%s.ns", delay_kinds[i]);
		fputs(" (", f);
		ft_report_put_ns(f, ft_logs_counter(l, name));
		fputc(')', f);
		delays += n;
	}
	if (!delays)
		fputs("; no delay", f);
	n = ft_logs_counter(l, "waits_warped");
	if (n) {
		fprintf(f, "; %lld %s warped (", n, n == 1 ? "wait" : "waits");
		ft_report_put_ns(f, ft_logs_counter(l, "warped_ns"));
		fputs(" skipped)", f);
	}
	n = ft_logs_counter(l, "chaos.points");
	if (n) {
		fprintf(f, "; chaos: %lld of %lld %s held (",
			ft_logs_counter(l, "chaos.holds"), n,
			n == 1 ? "call" : "calls");
		ft_report_put_ns(f, ft_logs_counter(l, "chaos.held_ns"));
		fprintf(f, "), %lld left out by the budget",
			ft_logs_counter(l, "chaos.cut"));
		if (ft_logs_counter(l, "chaos.spared"))
			fprintf(f, ", %lld by the patterns",
				ft_logs_counter(l, "chaos.spared"));
	}
	/* Counters of a newer library: shown as they are named. */
	for (i = 0; i < l->ncounters; i++)
		if (l->counters[i].sum && !known_counter(l->counters[i].name))
			fprintf(f, "; %s %lld", l->counters[i].name,
				l->counters[i].sum);
	fputc('\n', f);
}

void ft_report_free(struct ft_report *r)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++)
		free(r->groups[i].key);
	free(r->groups);
	free(r->slots);
	free(r->stacks);
	free(r->sites);
	free(r);
}

void ft_report_put_text(FILE *f, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void put_json_text(FILE *f, const struct ft_json *v)
{
	ft_report_put_text(f, v->text, v->len);
}

/*
 * The lookup of one frame; 0 when it names no module and offset, or when
 * there is no symbolizer (s NULL: the log's own text only, no file is
 * opened).
 */
static int lookup(const struct ft_json *frame, int return_address,
		  struct ft_symbolizer *s, struct ft_source *src)
{
	const char *module = get_str(frame, "module");
	const char *offset = get_str(frame, "offset");

	memset(src, 0, sizeof(*src));
	if (!s || !module || !offset)
		return 0;
	ft_sym_lookup(s, module, strtoull(offset, NULL, 16),
		      get_str(frame, "build_id"), return_address, src);
	return 1;
}

/* libstdc++'s demangler: C linkage, no header for C. */
char *__cxa_demangle(const char *mangled, char *out, size_t *len,
		     int *status);

/* A symbol's name, a C++ one demangled (pool::Worker::spawn()). */
static void put_symbol(FILE *f, const char *name, size_t len)
{
	char *plain = NULL;
	int status = -1;

	if (len > 2 && !strncmp(name, "_Z", 2) && strlen(name) == len)
		plain = __cxa_demangle(name, NULL, NULL, &status);
	if (plain && status == 0)
		ft_report_put_text(f, plain, strlen(plain));
	else
		ft_report_put_text(f, name, len);
	free(plain);
}

/* "name+0x1a", from the log's symbol, else from debug information. */
static int put_function(FILE *f, const char *lead, const struct ft_json *frame,
			const struct ft_source *src)
{
	const struct ft_json *sym = ft_json_get(frame, "symbol");

	if (sym && sym->type == FT_JSON_STRING) {
		fputs(lead, f);
		put_symbol(f, sym->text, sym->len);
		fprintf(f, "+0x%llx", get_int(frame, "symbol_offset", 0));
		return 1;
	}
	if (src->function) {
		fputs(lead, f);
		put_symbol(f, src->function, strlen(src->function));
		fprintf(f, "+0x%llx", src->function_offset);
		return 1;
	}
	return 0;
}

static void put_frame_line(FILE *f, const struct ft_json *frame, size_t i,
			   struct ft_symbolizer *s, const char *indent)
{
	const struct ft_json *module = ft_json_get(frame, "module");
	struct ft_source src;

	lookup(frame, i > 0, s, &src);
	fprintf(f, "%s#%zu %s", indent, i, get_str(frame, "ip"));
	put_function(f, " ", frame, &src);
	if (module) {
		fputs(" (", f);
		put_json_text(f, module);
		fprintf(f, "+%s)", get_str(frame, "offset") ?: "?");
	}
	if (src.file)
		fprintf(f, " at %s:%d", src.file, src.line);
	else if (src.note && strcmp(src.note, "no line information"))
		fprintf(f, " [%s]", src.note);
	fputc('\n', f);
}

/*
 * A frame of flaketrap's own libraries (libflaketrap*.so: the trampoline
 * under main, a thread's start, a wrapper), kept in the log for us and
 * left out of what report prints, as the sanitizers hide their
 * interceptors: between the program's frames and libc's they say nothing
 * to the person fixing the test.
 */
static int own_frame(const struct ft_json *frame)
{
	const char *module = get_str(frame, "module");
	const char *base;

	if (!module)
		return 0;
	base = strrchr(module, '/');
	base = base ? base + 1 : module;
	return !strncmp(base, "libflaketrap", 12);
}

void ft_report_frames(FILE *f, const struct ft_json *frames,
		      struct ft_symbolizer *s, const char *indent)
{
	const struct ft_json *fr;
	size_t i = 0;

	for (fr = frames->first; fr; fr = fr->next)
		if (!own_frame(fr))
			put_frame_line(f, fr, i++, s, indent);
}

/* A routine's name: its symbol, else from debug information, else ip. */
static void put_routine(FILE *f, const struct ft_json *frame,
			struct ft_symbolizer *s)
{
	struct ft_source src;

	lookup(frame, 0, s, &src);
	if (!put_function(f, "", frame, &src))
		fputs(get_str(frame, "ip"), f);
}

static void put_cmdline(FILE *f, const struct ft_json *rec)
{
	const struct ft_json *argv = ft_json_get(rec, "cmdline");
	const struct ft_json *comm = ft_json_get(rec, "comm");
	const struct ft_json *a;

	if (argv && argv->count) {
		for (a = argv->first; a; a = a->next) {
			if (a != argv->first)
				fputc(' ', f);
			put_json_text(f, a);
		}
	} else if (comm) {
		fputc('[', f);
		put_json_text(f, comm);
		fputc(']', f);
	} else {
		fputs("(no command line)", f);
	}
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void put_where(FILE *f, const struct ft_record *rec)
{
	fprintf(f, "pid %lld %s", rec->pid, rec->file->program);
	if (!rec->file->gone)
		fprintf(f, "; %s:%lu", rec->file->cited, rec->line);
}

static void text_instance(FILE *f, const struct ft_record *rec)
{
	const struct ft_json *j = rec->json;
	const struct ft_json *name = ft_json_get(j, "name");

	if (!strcmp(rec->event, "leaked_child")) {
		fprintf(f, "  child %lld %s: ", get_int(j, "child", 0),
			get_str(j, "state"));
		put_cmdline(f, j);
		fputs(" (left by ", f);
	} else if (!strcmp(rec->event, "leaked_thread")) {
		fprintf(f, "  thread %lld", get_int(j, "tid", 0));
		if (name) {
			fputs(" \"", f);
			put_json_text(f, name);
			fputc('"', f);
		}
		fprintf(f, " %s%s (in ", get_str(j, "state"),
			!strcmp(get_str(j, "state"), "finished")
				? ", never joined" : "");
	} else {
		fprintf(f, "  thread %lld", get_int(j, "tid", rec->pid));
		if (get_str(j, "addr"))
			fprintf(f, ", address %s", get_str(j, "addr"));
		if (ft_json_get(j, "exiting") &&
		    ft_json_get(j, "exiting")->type == FT_JSON_TRUE)
			fputs(", during exit", f);
		fputs(" (", f);
	}
	put_where(f, rec);
	fputs(")\n", f);
}

static void put_origin(FILE *f, const struct ft_json *rec)
{
	const char *origin = get_str(rec, "origin");

	if (!strcmp(origin, "unknown"))
		fputs("origin unknown", f);
	else
		fprintf(f, "made by %s", origin);
}

static void text_group(FILE *f, const struct group *g,
		       struct ft_symbolizer *s)
{
	const struct ft_json *first = g->recs[0]->json, *bt, *routine;
	const struct ft_json *stack = NULL, *why = NULL;
	const struct ft_record *stack_rec = NULL;
	size_t i;

	if (!strcmp(g->event, "crash")) {
		fprintf(f, "\ncrash x%zu, ", g->n);
		if (get_str(first, "signal_name"))
			fprintf(f, "%s ", get_str(first, "signal_name"));
		fprintf(f, "(signal %lld)", get_int(first, "signal", 0));
	} else if (!strcmp(g->event, "leaked_child")) {
		fprintf(f, "\nleaked child x%zu, ", g->n);
		put_origin(f, first);
	} else {
		fprintf(f, "\nleaked thread x%zu, ", g->n);
		put_origin(f, first);
		routine = ft_json_get(first, "start_routine");
		if (routine) {
			fputs(", start routine ", f);
			put_routine(f, routine, s);
		}
	}
	fprintf(f, " (%zu %s, %zu %s)\n", g->procs,
		plural(g->procs, "process", "processes"), g->runs,
		plural(g->runs, "run", "runs"));
	for (i = 0; i < g->n && i < TEXT_INSTANCES; i++)
		text_instance(f, g->recs[i]);
	if (g->n > TEXT_INSTANCES)
		fprintf(f, "  ... and %zu more (--json lists them all)\n",
			g->n - TEXT_INSTANCES);
	bt = ft_json_get(first, "backtrace");
	if (bt && bt->count) {
		fprintf(f, "  %s:\n", strcmp(g->event, "crash")
					      ? "created at" : "backtrace");
		ft_report_frames(f, bt, s, "    ");
	} else {
		fprintf(f, "  no %s in the log\n", strcmp(g->event, "crash")
			? "creation backtrace" : "backtrace");
	}
	if (strcmp(g->event, "leaked_thread"))
		return;
	for (i = 0; i < g->n && !stack; i++) {
		stack = ft_json_get(g->recs[i]->json, "stack");
		stack_rec = g->recs[i];
		if (!why)
			why = ft_json_get(g->recs[i]->json,
					  "stack_unavailable");
	}
	if (stack) {
		fprintf(f, "  current stack of thread %lld:\n",
			get_int(stack_rec->json, "tid", 0));
		ft_report_frames(f, stack, s, "    ");
	} else if (why) {
		fputs("  current stack unavailable: ", f);
		put_json_text(f, why);
		fputc('\n', f);
	}
}

/* A thread_stack record: where the thread was when it was asked. */
static void text_stack(FILE *f, const struct ft_record *rec,
		       struct ft_symbolizer *s)
{
	const struct ft_json *j = rec->json, *v;

	fprintf(f, "  thread %lld", get_int(j, "tid", 0));
	if ((v = ft_json_get(j, "name"))) {
		fputs(" \"", f);
		put_json_text(f, v);
		fputc('"', f);
	}
	if ((v = ft_json_get(j, "main")) && v->type == FT_JSON_TRUE)
		fputs(", main", f);
	fputs(" (", f);
	put_where(f, rec);
	fputs(")", f);
	if ((v = ft_json_get(j, "stack"))) {
		fputs(":\n", f);
		ft_report_frames(f, v, s, "    ");
	} else {
		fputs(": no stack: ", f);
		v = ft_json_get(j, "stack_unavailable");
		if (v)
			put_json_text(f, v);
		fputc('\n', f);
	}
}

void ft_report_text(FILE *f, const struct ft_report *r,
		    struct ft_symbolizer *s)
{
	size_t i, leaks = r->children + r->threads;

	fputs("flaketrap: ", f);
	/* Nothing read says nothing of leaks: never "no leak". */
	if (!r->processes && r->l->skipped) {
		fprintf(f, "nothing read; %zu skipped (see above)\n",
			r->l->skipped);
		return;
	}
	if (leaks) {
		fprintf(f, "%zu %s (", leaks, plural(leaks, "leak", "leaks"));
		if (r->children)
			fprintf(f, "%zu %s%s", r->children,
				plural(r->children, "child", "children"),
				r->threads ? ", " : "");
		if (r->threads)
			fprintf(f, "%zu %s", r->threads,
				plural(r->threads, "thread", "threads"));
		fputs(")", f);
	} else {
		fputs("no leak", f);
	}
	if (r->crashes)
		fprintf(f, ", %zu %s", r->crashes,
			plural(r->crashes, "crash", "crashes"));
	else
		fputs(", no crash", f);
	fprintf(f, "; %zu %s in %zu %s", r->processes,
		plural(r->processes, "process", "processes"), r->runs,
		plural(r->runs, "run", "runs"));
	if (r->l->skipped)
		fprintf(f, "; %zu skipped (see above)", r->l->skipped);
	fputc('\n', f);
	for (i = 0; i < r->ngroups; i++)
		text_group(f, &r->groups[i], s);
	if (r->nstacks)
		fprintf(f, "\nstacks on request (a hang), %zu %s:\n",
			r->nstacks, plural(r->nstacks, "thread", "threads"));
	for (i = 0; i < r->nstacks; i++)
		text_stack(f, r->stacks[i], s);
}

void ft_report_put_ns(FILE *f, long long ns)
{
	static const struct {
		long long ns;
		const char *unit;
	} units[] = { { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "us" } };
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ns >= units[i].ns) {
			fprintf(f, "%.4g %s", (double)ns / (double)units[i].ns,
				units[i].unit);
			return;
		}
	fprintf(f, "%lld ns", ns);
}

static void put_counts(FILE *f, const struct ft_json *t)
{
	fprintf(f, "seen %lld, changed %lld; asked ",
		get_int(t, "seen", 0), get_int(t, "changed", 0));
	ft_report_put_ns(f, get_int(t, "requested_ns", 0));
	fputs(", slept ", f);
	ft_report_put_ns(f, get_int(t, "slept_ns", 0));
}

void ft_report_site(FILE *f, const struct ft_json *site,
		    struct ft_symbolizer *s)
{
	const struct ft_json *bt = ft_json_get(site, "backtrace");
	struct ft_source src;

	memset(&src, 0, sizeof(src));
	if (bt && bt->first)
		lookup(bt->first, 1, s, &src);
	if (!bt || !bt->first || !put_function(f, "", bt->first, &src))
		fputs("(no symbol)", f);
	if (src.file)
		fprintf(f, " at %s:%d", src.file, src.line);
	fprintf(f, " (%s)", get_str(site, "id") ?: "?");
}

/* The sleep sites of each process, busiest first, as the log has them. */
void ft_report_sites_text(FILE *f, const struct ft_report *r,
			  struct ft_symbolizer *s)
{
	const struct ft_record *rec, *prev = NULL;
	const struct ft_json *site, *other;
	size_t i;

	for (i = 0; i < r->nsites; i++, prev = rec) {
		rec = r->sites[i];
		/* A process's sites may take more than one record. */
		if (!prev || prev->file != rec->file || prev->pid != rec->pid) {
			fputs("\nsleep sites of ", f);
			put_where(f, rec);
			fputs(":\n", f);
		}
		for (site = ft_json_get(rec->json, "sites")->first; site;
		     site = site->next) {
			fputs("  ", f);
			ft_report_site(f, site, s);
			fputs(": ", f);
			put_counts(f, site);
			fputc('\n', f);
		}
		other = ft_json_get(rec->json, "other");
		if (other && get_int(other, "seen", 0)) {
			fputs("  other sleeps (beyond the table, or no frame"
			      " outside libc): ", f);
			put_counts(f, other);
			fputc('\n', f);
		}
	}
}

/* JSON output: a member, then its value written by the caller. */
static void jkey(FILE *f, int *first, const char *name)
{
	fprintf(f, "%s\"%s\":", *first ? "" : ",", name);
	*first = 0;
}

static void json_frame(FILE *f, const struct ft_json *frame, int ret,
		       struct ft_symbolizer *s)
{
	struct ft_source src;
	const struct ft_json *m;
	int first = 1;

	lookup(frame, ret, s, &src);
	fputc('{', f);
	for (m = frame->first; m; m = m->next) {
		if (!first)
			fputc(',', f);
		first = 0;
		ft_json_put_string(f, m->name, m->name_len);
		fputc(':', f);
		ft_json_put(f, m);
	}
	if (src.function) {
		jkey(f, &first, "function");
		ft_json_put_string(f, src.function, strlen(src.function));
		jkey(f, &first, "function_offset");
		fprintf(f, "%llu", src.function_offset);
	}
	if (src.file) {
		jkey(f, &first, "file");
		ft_json_put_string(f, src.file, strlen(src.file));
		jkey(f, &first, "line");
		fprintf(f, "%d", src.line);
	}
	if (src.note) {
		jkey(f, &first, "note");
		ft_json_put_string(f, src.note, strlen(src.note));
	}
	fputc('}', f);
}

static void json_frames(FILE *f, const struct ft_json *frames,
			struct ft_symbolizer *s)
{
	const struct ft_json *fr;
	size_t i = 0;

	fputc('[', f);
	for (fr = frames->first; fr; fr = fr->next, i++) {
		if (i)
			fputc(',', f);
		json_frame(f, fr, i > 0, s);
	}
	fputc(']', f);
}

/* Copies the listed members of rec that are present. */
static void json_copy(FILE *f, int *first, const struct ft_json *rec,
		      const char *const *names)
{
	const struct ft_json *v;

	for (; *names; names++) {
		v = ft_json_get(rec, *names);
		if (!v)
			continue;
		jkey(f, first, *names);
		ft_json_put(f, v);
	}
}

/* Where a record is: its log, line, process and time. */
static void put_record_head(FILE *f, int *first, const struct ft_record *rec)
{
	jkey(f, first, "log");
	ft_json_put_string(f, rec->file->path, strlen(rec->file->path));
	jkey(f, first, "line");
	fprintf(f, "%lu", rec->line);
	jkey(f, first, "pid");
	fprintf(f, "%lld", rec->pid);
	jkey(f, first, "program");
	ft_json_put_string(f, rec->file->program,
			   strlen(rec->file->program));
	jkey(f, first, "time_ns");
	fprintf(f, "%lld", rec->time_ns);
}

static void json_instance(FILE *f, const struct ft_record *rec,
			  struct ft_symbolizer *s)
{
	static const char *const child[] = { "child", "state", "cmdline",
		"comm", "created_ns", "creator_tid", "truncated", NULL };
	static const char *const thread[] = { "tid", "name", "state",
		"detached", "created_ns", "stack_unavailable", "truncated",
		NULL };
	static const char *const crash[] = { "tid", "si_code", "addr",
		"exiting", "truncated", NULL };
	static const char *const stacked[] = { "tid", "name", "main",
		"signalled", "stack_unavailable", "truncated", NULL };
	const struct ft_json *stack = ft_json_get(rec->json, "stack");
	int first = 1;

	fputc('{', f);
	put_record_head(f, &first, rec);
	json_copy(f, &first, rec->json,
		  !strcmp(rec->event, "leaked_child") ? child :
		  !strcmp(rec->event, "leaked_thread") ? thread :
		  !strcmp(rec->event, "thread_stack") ? stacked : crash);
	if (stack) {
		jkey(f, &first, "stack");
		json_frames(f, stack, s);
	}
	fputc('}', f);
}

static void json_group(FILE *f, const struct group *g,
		       struct ft_symbolizer *s)
{
	const struct ft_json *first_rec = g->recs[0]->json, *v;
	int first = 1;
	size_t i;

	fputc('{', f);
	jkey(f, &first, "event");
	fprintf(f, "\"%s\"", g->event);
	jkey(f, &first, "count");
	fprintf(f, "%zu", g->n);
	jkey(f, &first, "processes");
	fprintf(f, "%zu", g->procs);
	jkey(f, &first, "runs");
	fprintf(f, "%zu", g->runs);
	if (strcmp(g->event, "crash")) {
		jkey(f, &first, "origin");
		ft_json_put(f, ft_json_get(first_rec, "origin"));
	} else {
		jkey(f, &first, "signal");
		ft_json_put(f, ft_json_get(first_rec, "signal"));
		if ((v = ft_json_get(first_rec, "signal_name"))) {
			jkey(f, &first, "signal_name");
			ft_json_put(f, v);
		}
	}
	if ((v = ft_json_get(first_rec, "start_routine"))) {
		jkey(f, &first, "start_routine");
		json_frame(f, v, 0, s);
	}
	jkey(f, &first, "backtrace");
	if ((v = ft_json_get(first_rec, "backtrace")))
		json_frames(f, v, s);
	else
		fputs("[]", f);
	jkey(f, &first, "instances");
	fputc('[', f);
	for (i = 0; i < g->n; i++) {
		if (i)
			fputc(',', f);
		json_instance(f, g->recs[i], s);
	}
	fputs("]}", f);
}

/* A sleep_sites record, each site's frames looked up (all return
 * addresses: the site is where a sleep function returns to). */
static void json_sites(FILE *f, const struct ft_record *rec,
		       struct ft_symbolizer *s)
{
	static const char *const counts[] = { "id", "seen", "changed",
		"requested_ns", "slept_ns", NULL };
	const struct ft_json *site, *fr, *other;
	int first = 1, first_site = 1;

	fputc('{', f);
	put_record_head(f, &first, rec);
	if ((other = ft_json_get(rec->json, "other"))) {
		jkey(f, &first, "other");
		ft_json_put(f, other);
	}
	jkey(f, &first, "sites");
	fputc('[', f);
	for (site = ft_json_get(rec->json, "sites")->first; site;
	     site = site->next) {
		int sfirst = 1;

		if (!first_site)
			fputc(',', f);
		first_site = 0;
		fputc('{', f);
		json_copy(f, &sfirst, site, counts);
		jkey(f, &sfirst, "backtrace");
		fputc('[', f);
		for (fr = ft_json_get(site, "backtrace")->first; fr;
		     fr = fr->next) {
			json_frame(f, fr, 1, s);
			if (fr->next)
				fputc(',', f);
		}
		fputs("]}", f);
	}
	fputs("]}", f);
}

void ft_report_json(FILE *f, const struct ft_report *r,
		    struct ft_symbolizer *s)
{
	const struct ft_logs *l = r->l;
	size_t i;
	int crashes, n;

	fprintf(f, "{\"flaketrap_report\":1,\"logs\":{\"files\":%zu,"
		"\"records\":%zu,\"processes\":%zu,\"runs\":%zu,"
		"\"skipped\":%zu},\"errors\":[", l->nfiles, l->records,
		r->processes, r->runs, l->skipped);
	for (i = 0; i < l->nerrors; i++) {
		fprintf(f, "%s{\"log\":", i ? "," : "");
		ft_json_put_string(f, l->errors[i].path,
				   strlen(l->errors[i].path));
		fprintf(f, ",\"line\":%lu,\"message\":", l->errors[i].line);
		ft_json_put_string(f, l->errors[i].message,
				   strlen(l->errors[i].message));
		fputc('}', f);
	}
	for (crashes = 0; crashes <= 1; crashes++) {
		fprintf(f, "],\"%s\":[", crashes ? "crashes" : "leaks");
		for (i = 0, n = 0; i < r->ngroups; i++) {
			if ((strcmp(r->groups[i].event, "crash") == 0) != crashes)
				continue;
			if (n++)
				fputc(',', f);
			json_group(f, &r->groups[i], s);
		}
	}
	fputs("],\"stacks\":[", f);
	for (i = 0; i < r->nstacks; i++) {
		if (i)
			fputc(',', f);
		json_instance(f, r->stacks[i], s);
	}
	fputs("],\"sleep_sites\":[", f);
	for (i = 0; i < r->nsites; i++) {
		if (i)
			fputc(',', f);
		json_sites(f, r->sites[i], s);
	}
	fputs("]}\n", f);
}

/*
 * One JUnit test case per distinct leak or crash (a failure holding its
 * text, as report prints it), one for the logs that could not be read;
 * a single passing case when there is neither.
 */
static int report_junit(const char *path, const struct ft_report *r,
			struct ft_symbolizer *s)
{
	long long tests = 0, failures = 0;
	char *text, *name, *nl;
	size_t len, i;
	FILE *cases = tmpfile(), *m;
	int ret;

	if (!cases)
		return -1;
	for (i = 0; i < r->ngroups; i++) {
		m = open_memstream(&text, &len);
		if (!m)
			oom();
		text_group(m, &r->groups[i], s);
		fclose(m);
		name = text + strspn(text, "\n");
		nl = strchr(name, '\n');
		if (nl)
			*nl = '\0';
		ft_junit_case(cases, "flaketrap.report", name, 0, name,
			      text, len);
		free(text);
		tests++;
		failures++;
	}
	if (r->l->skipped) {
		if (asprintf(&text, "%zu unreadable (flaketrap report names"
				    " each on stderr)", r->l->skipped) < 0)
			oom();
		ft_junit_case(cases, "flaketrap.report", "every log read whole",
			      0, text, NULL, 0);
		free(text);
		tests++;
		failures++;
	}
	if (!tests) {
		ft_junit_case(cases, "flaketrap.report", "no leak, no crash",
			      0, NULL, NULL, 0);
		tests++;
	}
	ret = ft_junit_write(path, "flaketrap report", tests, failures, 0,
			     cases);
	fclose(cases);
	return ret;
}

/* s for a GitHub workflow command: '%', CR and LF escaped, and in a
 * property also ':' and ','. */
static void github_text(FILE *f, const char *s, size_t len, int property)
{
	for (; len; s++, len--) {
		if (*s == '%')
			fputs("%25", f);
		else if (*s == '\r')
			fputs("%0D", f);
		else if (*s == '\n')
			fputs("%0A", f);
		else if (property && *s == ':')
			fputs("%3A", f);
		else if (property && *s == ',')
			fputs("%2C", f);
		else
			fputc(*s, f);
	}
}

/*
 * One GitHub Actions annotation per distinct leak or crash, at the first
 * frame of its backtrace with a source line (a path under
 * $GITHUB_WORKSPACE made relative to it, as GitHub wants): an error with
 * --fail-on-leak or for a crash, else a warning.
 */
static void report_github(FILE *f, const struct ft_report *r,
			  struct ft_symbolizer *s, int fail_on_leak)
{
	const char *ws = getenv("GITHUB_WORKSPACE"), *file;
	const struct ft_json *bt, *fr;
	struct ft_source src;
	char *text, *title, *nl;
	size_t len, i, k, wslen = ws ? strlen(ws) : 0;
	FILE *m;

	for (i = 0; i < r->ngroups; i++) {
		const struct group *g = &r->groups[i];

		m = open_memstream(&text, &len);
		if (!m)
			oom();
		text_group(m, g, s);
		fclose(m);
		title = text + strspn(text, "\n");
		nl = strchr(title, '\n');
		fprintf(f, "::%s ", fail_on_leak || !strcmp(g->event, "crash")
					   ? "error" : "warning");
		bt = ft_json_get(g->recs[0]->json, "backtrace");
		memset(&src, 0, sizeof(src));
		for (fr = bt ? bt->first : NULL, k = 0; fr; fr = fr->next, k++)
			if (lookup(fr, k > 0, s, &src) && src.file)
				break;
		if (src.file) {
			file = src.file;
			if (wslen && !strncmp(file, ws, wslen) &&
			    file[wslen] == '/')
				file += wslen + 1;
			fputs("file=", f);
			github_text(f, file, strlen(file), 1);
			fprintf(f, ",line=%d,", src.line);
		}
		fputs("title=flaketrap%3A ", f);
		github_text(f, title, nl ? (size_t)(nl - title) : strlen(title),
			    1);
		fputs("::", f);
		github_text(f, title, strlen(title), 0);
		fputc('\n', f);
		free(text);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: flaketrap report [--json] [--fail-on-leak] [--junit FILE] [--github]\n"
"                        LOG_OR_DIR...\n"
"Read flaketrap logs (files, or directories searched for *.jsonl files)\n"
"of any number of processes, runs and machines; group identical leaks\n"
"(same event, origin and creation backtrace) and crashes (same signal and\n"
"backtrace), count them, and add function, file and line to each frame\n"
"from the modules' debug information (elfutils libdw). Then list the\n"
"sleep sites of each process that slept (the code that called each sleep\n"
"function, busiest first, with how many of its sleeps were seen and\n"
"changed).\n"
"\n"
"Each directory holding logs counts as one run.\n"
"\n"
"Options:\n"
"  --json         print one JSON document (described in the README)\n"
"  --fail-on-leak exit 3 when a leak or a crash was found (a CI gate);\n"
"                 --fail-env-changed is the same\n"
"  --junit=FILE   also write FILE as JUnit XML (for CI): one failing test\n"
"                 case per distinct leak or crash, with its text, or one\n"
"                 passing case\n"
"  --github       also print one GitHub Actions annotation (::warning, or\n"
"                 ::error with --fail-on-leak or for a crash) per distinct\n"
"                 leak or crash, at the source line of its backtrace (on\n"
"                 stderr with --json)\n"
"  -h, --help     show this help\n"
"  -V, --version  show the version\n"
"\n"
"A line or file that cannot be read (invalid JSON, a cut or overlong line,\n"
"another schema version) is named on stderr with its file and line, and\n"
"skipped; the rest is reported.\n"
"\n"
"Exit status: 0 when every log was read whole; 1 when anything was\n"
"skipped; with --fail-on-leak, 3 when a leak or a crash was found (before\n"
"1); 125 for a usage error or a --junit FILE that cannot be written.\n");
}

int ft_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fail-on-leak", no_argument, NULL, 'f' },
		{ "fail-env-changed", no_argument, NULL, 'f' },
		{ "junit", required_argument, NULL, 'J' },
		{ "github", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char name[] = "flaketrap report";
	struct ft_symbolizer *s;
	struct ft_report *r;
	struct ft_logs l;
	int c, json = 0, fail_on_leak = 0, i, status;
	const char *junit = NULL;
	int github = 0;

	argv[0] = name;	/* getopt's messages name it */
	optind = 1;
	while ((c = ft_getopt(argc, argv, "+hV", opts, name)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'V') {
			printf("flaketrap %s\n", FT_VERSION);
			return 0;
		}
		if (c == 'f') {
			fail_on_leak = 1;
			continue;
		}
		if (c == 'J') {
			junit = optarg;
			continue;
		}
		if (c == 'G') {
			github = 1;
			continue;
		}
		if (c != 'j') {
			fprintf(stderr, "Try 'flaketrap report --help'.\n");
			return FT_EXIT_TOOL_ERROR;
		}
		json = 1;
	}
	if (optind >= argc) {
		fprintf(stderr, "flaketrap report: no log given\n"
				"Try 'flaketrap report --help'.\n");
		return FT_EXIT_TOOL_ERROR;
	}
	ft_logs_init(&l, "flaketrap report");
	for (i = optind; i < argc; i++)
		ft_logs_add(&l, argv[i]);
	r = ft_report_build(&l);
	s = ft_sym_new();
	if (json)
		ft_report_json(stdout, r, s);
	else {
		ft_report_text(stdout, r, s);
		ft_report_sites_text(stdout, r, s);
		if (l.exits)
			ft_report_counters(stdout, &l, "flaketrap: ");
	}
	/* Not inside the JSON document. */
	if (github)
		report_github(json ? stderr : stdout, r, s, fail_on_leak);
	status = l.skipped ? 1 : 0;
	if (fail_on_leak && (ft_report_leaks(r) || ft_report_crashes(r)))
		status = FT_EXIT_LEAKED;
	/* A gate whose file is missing must not pass. */
	if (junit && report_junit(junit, r, s) != 0) {
		fprintf(stderr, "flaketrap report: --junit=%s: %s\n", junit,
			strerror(errno));
		status = FT_EXIT_TOOL_ERROR;
	}
	ft_sym_free(s);
	ft_report_free(r);
	ft_logs_free(&l);
	if (fflush(stdout) || ferror(stdout)) {
		perror("flaketrap report: stdout");
		return 1;
	}
	return status;
}
