/* SPDX-License-Identifier: MIT */
/*
 * Frames as report prints them: "#1 0x... name+0x1a (module+0x...) at
 * file:line", with C++ names demangled and flaketrap's own frames left
 * out, and text from a log with its control characters escaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

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

void ft_report_put_json_text(FILE *f, const struct ft_json *v)
{
	ft_report_put_text(f, v->text, v->len);
}

int ft_report_lookup(const struct ft_json *frame, int return_address,
		     struct ft_symbolizer *s, struct ft_source *src)
{
	const char *module = ft_report_str(frame, "module");
	const char *offset = ft_report_str(frame, "offset");

	memset(src, 0, sizeof(*src));
	if (!s || !module || !offset)
		return 0;
	ft_sym_lookup(s, module, strtoull(offset, NULL, 16),
		      ft_report_str(frame, "build_id"), return_address, src);
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

/* A frame's function, from its symbol or else debug information; with
 * with_offset its +0xOFFSET. 0 when neither names it. */
static int put_function(FILE *f, const char *lead, const struct ft_json *frame,
			const struct ft_source *src, int with_offset)
{
	const struct ft_json *sym = ft_json_get(frame, "symbol");

	if (sym && sym->type == FT_JSON_STRING) {
		fputs(lead, f);
		put_symbol(f, sym->text, sym->len);
		if (with_offset)
			fprintf(f, "+0x%llx",
				ft_report_int(frame, "symbol_offset", 0));
		return 1;
	}
	if (src->function) {
		fputs(lead, f);
		put_symbol(f, src->function, strlen(src->function));
		if (with_offset)
			fprintf(f, "+0x%llx", src->function_offset);
		return 1;
	}
	return 0;
}

int ft_report_put_function(FILE *f, const char *lead,
			   const struct ft_json *frame,
			   const struct ft_source *src)
{
	return put_function(f, lead, frame, src, 1);
}

int ft_report_put_function_name(FILE *f, const char *lead,
				const struct ft_json *frame,
				const struct ft_source *src)
{
	return put_function(f, lead, frame, src, 0);
}

static void put_frame_line(FILE *f, const struct ft_json *frame, size_t i,
			   struct ft_symbolizer *s, const char *indent)
{
	const struct ft_json *module = ft_json_get(frame, "module");
	struct ft_source src;

	ft_report_lookup(frame, i > 0, s, &src);
	fprintf(f, "%s#%zu %s", indent, i, ft_report_str(frame, "ip"));
	ft_report_put_function(f, " ", frame, &src);
	if (module) {
		fputs(" (", f);
		ft_report_put_json_text(f, module);
		fprintf(f, "+%s)", ft_report_str(frame, "offset") ?: "?");
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
	const char *module = ft_report_str(frame, "module");
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

void ft_report_put_routine(FILE *f, const struct ft_json *frame,
			   struct ft_symbolizer *s)
{
	struct ft_source src;

	ft_report_lookup(frame, 0, s, &src);
	if (!ft_report_put_function(f, "", frame, &src))
		fputs(ft_report_str(frame, "ip"), f);
}


/* "function at file:line", from a "python" frame of the log. */
void ft_report_put_python_frame(FILE *f, const struct ft_json *frame)
{
	const struct ft_json *v;

	v = ft_json_get(frame, "function");
	if (v && v->type == FT_JSON_STRING)
		ft_report_put_json_text(f, v);
	else
		fputs("?", f);
	fputs(" at ", f);
	v = ft_json_get(frame, "file");
	if (v && v->type == FT_JSON_STRING)
		ft_report_put_json_text(f, v);
	else
		fputs("?", f);
	fprintf(f, ":%lld", ft_report_int(frame, "line", 0));
}

void ft_report_python(FILE *f, const struct ft_json *frames,
		      const char *indent)
{
	const struct ft_json *fr;
	long long skipped;
	size_t i = 0;

	if (!frames || !frames->first)
		return;
	fprintf(f, "%sPython:\n", indent);
	for (fr = frames->first; fr; fr = fr->next) {
		skipped = ft_report_int(fr, "skipped", 0);
		if (skipped > 0) {
			fprintf(f, "%s    ... %lld frame%s of Python's library\n",
				indent, skipped, skipped == 1 ? "" : "s");
			i += (size_t)skipped;
		}
		fprintf(f, "%s#%zu ", indent, i++);
		ft_report_put_python_frame(f, fr);
		fputc('\n', f);
	}
}
