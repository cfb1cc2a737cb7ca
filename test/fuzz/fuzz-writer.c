/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the library's JSON string writer (ft_buf_json, which
 * writes every name, path and argument a log holds), read back by the
 * tool's strict parser.
 *
 * Input: any bytes up to the first NUL (a C string, as the library gets
 * them: argv, paths, symbol names). Written whole into a buffer large
 * enough, the text must parse as one JSON string that reads back as the
 * very input, UTF-8 or not (bytes that are not UTF-8 go as U+DC80..U+DCFF
 * and come back as themselves). Written
 * into buffers too small, the writer must stay inside them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "json.h"

#define INPUT_MAX 4096

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[INPUT_MAX + 1], *out, err[128];
	struct ft_json *v;
	struct ft_buf b;
	size_t len, cap;

	len = size > INPUT_MAX ? INPUT_MAX : size;
	memcpy(in, data, len);
	in[len] = '\0';
	len = strlen(in);
	/* At most 6 bytes per input byte ("\udcff"), quotes, NUL. */
	cap = 6 * len + 3;
	out = malloc(cap);
	check(out != NULL);
	ft_buf_init(&b, out, cap);
	ft_buf_json(&b, in);
	check(!b.full && b.len < cap && out[b.len] == '\0');
	v = ft_json_parse(out, b.len, err, sizeof(err));
	check(v != NULL && v->type == FT_JSON_STRING);
	/* Every byte comes back, UTF-8 or not. */
	check(v->len == len && memcmp(v->text, in, len) == 0);
	ft_json_free(v);
	/* Cut short anywhere: never a byte past the buffer. */
	for (cap = 1; cap < 12 && cap < 6 * len + 3; cap++) {
		ft_buf_init(&b, out, cap);
		ft_buf_json(&b, in);
		check(b.len < cap && out[b.len] == '\0');
	}
	free(out);
	return 0;
}
