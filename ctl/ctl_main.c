/*
 * ctl_main.c - eshmctl: global options, then one command.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctl_cli.h"
#include "ctl_commands.h"

const struct ctl_cmd *const ctl_commands[] = {
	&ctl_cmd_status, &ctl_cmd_list, &ctl_cmd_show, &ctl_cmd_watch,
	&ctl_cmd_create, &ctl_cmd_remove, &ctl_cmd_peek, &ctl_cmd_metrics, &ctl_cmd_events,
	NULL,
};

static const struct option ctl_global_longopts[] = {
	CTL_COMMON_LONGOPTS,
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	const struct ctl_cmd *const *c;
	struct ctl_ctx ctx;
	const char *name;
	int opt;

	ctl_ctx_init(&ctx);
	/* '+': global options stop at the command name. */
	while ((opt = ctl_getopt(&ctx, argc, argv, "+V", ctl_global_longopts)) != -1) {
		if (opt == CTL_OPT_STOP)
			return ctx.exit_code;
		/* Only -V is left. */
		printf("eshmctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		return CTL_EXIT_OK;
	}
	if (optind >= argc)
		return ctl_usage_error(&ctx, "missing command (status, list, show, watch, create, "
		                             "remove or peek)");
	name = argv[optind];
	for (c = ctl_commands; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			break;
	if (*c == NULL)
		return ctl_usage_error(&ctx, "unknown command '%s'", name);
	ctx.cmd = *c;
	argc -= optind;
	argv += optind;
	/* 0, not 1: makes glibc's getopt forget the global parse entirely. */
	optind = 0;
	return ctx.cmd->run(&ctx, argc, argv);
}
