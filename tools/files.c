/* SPDX-License-Identifier: MIT */
/*
 * Directories the commands make and remove: --out, --log, their checks
 * (see files.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void ft_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int ft_mkdir_p(const char *dir)
{
	char path[PATH_MAX], *p;
	struct stat st;

	if (strlen(dir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(path, dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	/* A file by that name would be taken for the directory, then read. */
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int ft_dir_writable(const char *dir)
{
	char probe[PATH_MAX + 64];
	int fd, saved;

	if ((size_t)snprintf(probe, sizeof(probe), "%s/.flaketrap-probe.%d",
			     dir, (int)getpid()) >= sizeof(probe)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	saved = errno;
	if (fd >= 0) {
		close(fd);
		unlink(probe);
	}
	errno = saved;
	return fd >= 0 ? 0 : -1;
}

/*
 * Why the library would refuse dir as FLAKETRAP_LOG (see prepare_log_dir
 * in preload/init.c: others could plant files there that a report would
 * take for ours), or NULL.
 */
const char *ft_log_dir_refusal(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return NULL;	/* said by the caller's next step */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return "writable by group or others without the sticky bit";
	if (st.st_uid != geteuid())
		return "a directory of another user";
	return NULL;
}

/* Whether dir holds the runs of an earlier loop (run-N). */
