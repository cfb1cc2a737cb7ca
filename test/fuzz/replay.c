/* SPDX-License-Identifier: MIT */
/*
 * Runs a fuzz target's LLVMFuzzerTestOneInput once on each file named,
 * without libFuzzer: the seed corpus and every input a fuzzer once crashed
 * on (kept in test/fuzz/) are replayed by `make check` with the ordinary
 * compiler, sanitized when SANITIZE is set. Prints one TAP line per file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, got;

	if (!f)
		return NULL;
	*len = 0;
	do {
		if (*len == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			if (!buf) {
				perror("replay");
				exit(2);
			}
		}
		got = fread(buf + *len, 1, cap - *len, f);
		*len += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	int i, failed = 0;
	size_t len;
	char *buf;

	for (i = 1; i < argc; i++) {
		buf = slurp(argv[i], &len);
		if (!buf) {
			printf("not ok %d - %s: %s\n", i, argv[i],
			       strerror(errno));
			failed++;
			continue;
		}
		/* A crash ends the run: the harness sees the missing lines. */
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(buf);
		printf("ok %d - %s\n", i, argv[i]);
		fflush(stdout);
	}
	printf("1..%d\n", argc - 1);
	return failed ? 1 : 0;
}
