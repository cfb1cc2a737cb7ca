/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the symbolizer of `flaketrap report` (tools/symbolize.c)
 * with the module paths and offsets a log may name. Logs are read over
 * downloaded CI artefacts: a module path may name anything, and the
 * symbolizer must neither hang (a FIFO), nor crash, nor read past what it
 * opened (a cut ELF, a directory, a symbolic link loop, text).
 *
 * Input: "OFFSET PATH[ b]" (text): PATH is taken under a sandbox made at
 * start (true: an ELF; cut: its first 100 bytes; text; fifo; dir; loop: a
 * link to itself), never with "..", so the fuzzer cannot wander the real
 * file system (/proc/kcore is a regular file). " b" at the end gives a
 * build-id that matches nothing.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbolize.h"

static char sandbox[] = "/tmp/fuzz-symbolize.XXXXXX";
static struct ft_symbolizer *sym;
static unsigned calls;

static void check(int cond)
{
	if (!cond)
		abort();
}

static void make(const char *name, const void *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sandbox, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	check(fd >= 0);
	check(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static void remove_sandbox(void)
{
	static const char *const names[] = { "true", "cut",  "text",
					     "fifo", "loop", "dir" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sandbox, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(sandbox);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char elf[1 << 20];
	char path[256];
	ssize_t n;
	int fd;

	(void)argc;
	(void)argv;
	check(mkdtemp(sandbox) != NULL);
	atexit(remove_sandbox);
	fd = open("/bin/true", O_RDONLY);
	check(fd >= 0);
	n = read(fd, elf, sizeof(elf));
	check(n > 100);
	close(fd);
	make("true", elf, (size_t)n);
	make("cut", elf, 100);
	make("text", "not an ELF\n", 11);
	snprintf(path, sizeof(path), "%s/fifo", sandbox);
	check(mkfifo(path, 0600) == 0);
	snprintf(path, sizeof(path), "%s/dir", sandbox);
	check(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/loop", sandbox);
	check(symlink(path, path) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[512], path[600], *name, *end;
	unsigned long long offset;
	const char *build_id = NULL;
	struct ft_source out;
	size_t len;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (strlen(in) != size || strstr(in, ".."))
		return 0;
	offset = strtoull(in, &end, 10);
	if (*end != ' ')
		return 0;
	name = end + 1;
	len = strlen(name);
	if (len >= 2 && !strcmp(name + len - 2, " b")) {
		name[len - 2] = '\0';
		build_id = "00";
	}
	snprintf(path, sizeof(path), "%s/%s", sandbox, name);
	/* A fresh one now and then: each keeps every module it opened. */
	if (!sym || ++calls % 256 == 0) {
		if (sym)
			ft_sym_free(sym);
		sym = ft_sym_new();
		check(sym != NULL);
	}
	memset(&out, 0, sizeof(out));
	ft_sym_lookup(sym, path, offset, build_id, (int)(offset & 1), &out);
	/* Whatever it says is a string it owns, or nothing. */
	if (out.function)
		check(strlen(out.function) < 1 << 20);
	if (out.file)
		check(strlen(out.file) < 1 << 20);
	if (out.note)
		check(strlen(out.note) < 1 << 20);
	return 0;
}
