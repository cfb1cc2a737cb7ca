/* SPDX-License-Identifier: MIT */
/*
 * /proc reading for the tool. A process may end at any moment during a
 * scan: whatever cannot be read any more is left out, never an error.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "report.h"

/* Reads at most len - 1 bytes of path; returns the count, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

int ft_proc_read(pid_t pid, struct ft_proc *p)
{
	char path[64], buf[512], *open_paren, *close_paren;
	size_t n;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %c %d", &p->state, &ppid) != 2)
		return -1;
	n = (size_t)(close_paren - open_paren - 1);
	if (n >= sizeof(p->comm))
		n = sizeof(p->comm) - 1;
	memcpy(p->comm, open_paren + 1, n);
	p->comm[n] = '\0';
	p->pid = pid;
	p->ppid = ppid;
	p->depth = 0;
	return 0;
}

int ft_proc_scan(struct ft_proctab *t)
{
	struct dirent *d;
	struct ft_proc p, *grown;
	size_t cap = 0;
	DIR *dir;
	char *end;
	long pid;

	t->procs = NULL;
	t->n = 0;
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = strtol(d->d_name, &end, 10);
		if (*end || ft_proc_read((pid_t)pid, &p))
			continue;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(t->procs, cap * sizeof(*grown));
			if (!grown) {
				closedir(dir);
				ft_proctab_free(t);
				errno = ENOMEM;
				return -1;
			}
			t->procs = grown;
		}
		t->procs[t->n++] = p;
	}
	closedir(dir);
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct ft_proc *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void add_subtree(struct ft_proctab *t, pid_t parent, int depth,
			struct ft_proc **out, size_t *n)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		/* Bounded by the table size: a ppid loop cannot recurse on. */
		if (t->procs[i].ppid != parent || t->procs[i].pid == parent ||
		    *n >= t->n)
			continue;
		t->procs[i].depth = depth;
		out[(*n)++] = &t->procs[i];
		add_subtree(t, t->procs[i].pid, depth + 1, out, n);
	}
}

size_t ft_proc_descendants(struct ft_proctab *t, pid_t root,
			   struct ft_proc ***out)
{
	size_t n = 0;

	if (t->n)
		qsort(t->procs, t->n, sizeof(*t->procs), cmp_pid);
	*out = malloc((t->n + 1) * sizeof(**out));
	if (!*out) {
		perror("flaketrap");
		exit(2);
	}
	add_subtree(t, root, 0, *out, &n);
	return n;
}

const char *ft_proc_state_name(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk-sleep";
	case 'Z': return "zombie";
	case 'T': return "stopped";
	case 't': return "traced";
	case 'X': return "dead";
	case 'I': return "idle";
	case 'P': return "parked";
	default: return "unknown";
	}
}

void ft_proc_put_command(FILE *f, const struct ft_proc *p)
{
	char path[64], buf[4096];
	ssize_t n, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)p->pid);
	n = read_small(path, buf, sizeof(buf));
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	if (n <= 0) {
		fputc('[', f);
		ft_report_put_text(f, p->comm, strlen(p->comm));
		fputc(']', f);
		return;
	}
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	ft_report_put_text(f, buf, (size_t)n);
}

void ft_proctab_free(struct ft_proctab *t)
{
	free(t->procs);
	t->procs = NULL;
	t->n = 0;
}
