/* SPDX-License-Identifier: MIT */
/*
 * Stacks on request: the value that marks a request, shared by the library
 * (dump.c) and the tool. A process asked with sigqueue(pid,
 * FLAKETRAP_STACK_SIGNAL, { .sival_int = FT_DUMP_REQUEST }) writes a
 * `thread_stack` record per thread and then one `stack_dump` record.
 */
#ifndef FT_DUMP_H
#define FT_DUMP_H

#define FT_DUMP_REQUEST 0x46544453	/* "FTDS" */

#endif
