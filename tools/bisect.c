/* SPDX-License-Identifier: MIT */
#include "commands.h"

int ft_cmd_bisect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return FT_EXIT_TOOL_ERROR;
}
