/* SPDX-License-Identifier: MIT */
/*
 * Whether a Python frame's file is the interpreter's own library
 * (threading.py, multiprocessing/, subprocess.py): what neither the
 * library's kept frames nor the report should take for the test's line.
 * Installed packages (site-packages, dist-packages) are the user's code,
 * and so is CPython's own test package (lib/python3.X/test/): its cases
 * are the tests of a CPython suite. One rule for libflaketrap.so and the
 * tool, so that the frame the library keeps is the one report names.
 */
#ifndef FT_PYFILE_H
#define FT_PYFILE_H

#include <string.h>

static inline int ft_py_file_is_library(const char *file)
{
	return strstr(file, "/lib/python") && !strstr(file, "-packages/") &&
	       !strstr(file, "/test/");
}

#endif
