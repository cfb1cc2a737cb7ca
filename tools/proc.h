/* SPDX-License-Identifier: MIT */
/*
 * The live process tree, from /proc: used by `flaketrap children` and by
 * `flaketrap run` to find what a command left running.
 */
#ifndef FT_PROC_H
#define FT_PROC_H

#include <stdio.h>
#include <sys/types.h>

struct ft_proc {
	pid_t pid, ppid;
	char state;		/* the letter of /proc/PID/stat */
	char comm[64];
	int depth;		/* below the root of a descendant list */
};

struct ft_proctab {
	struct ft_proc *procs;
	size_t n;
};

/* Reads every process from /proc. 0, or -1 with errno set. */
int ft_proc_scan(struct ft_proctab *t);

/*
 * The descendants of root in t, depth first, children in pid order, each
 * with its depth (0 for root's children). Returns how many; *out is
 * malloc'd (free it), pointing into t.
 */
size_t ft_proc_descendants(struct ft_proctab *t, pid_t root,
			   struct ft_proc ***out);

/* Reads one process's stat line. 0, or -1 when it is gone. */
int ft_proc_read(pid_t pid, struct ft_proc *p);

/* "running", "sleeping", "zombie", "stopped", ... for a state letter. */
const char *ft_proc_state_name(char state);

/*
 * Prints pid's command line, arguments separated by spaces, control
 * characters escaped; "[comm]" when it has none (a zombie, a kernel
 * thread).
 */
void ft_proc_put_command(FILE *f, const struct ft_proc *p);

void ft_proctab_free(struct ft_proctab *t);

#endif
