/*
 * ctl_cli.c - option parsing and messages shared by every eshmctl command.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cli.h"
#include "eshm.h"
#include "proto.h"

void
ctl_ctx_init(struct ctl_ctx *ctx)
{
	bool from_env;

	memset(ctx, 0, sizeof(*ctx));
	ctx->socket_path = proto_socket_path(&from_env);
	ctx->socket_origin = from_env ? "$ESHM_SOCKET" : NULL;
}

int
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("eshmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_FAIL;
}

int
ctl_usage_error(const struct ctl_ctx *ctx, const char *fmt, ...)
{
	const char *cmd = ctx->cmd != NULL ? ctx->cmd->name : NULL;
	va_list ap;

	fprintf(stderr, "eshmctl%s%s: ", cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'eshmctl %s%s--help'.\n", cmd != NULL ? cmd : "", cmd != NULL ? " " : "");
	return CTL_EXIT_USAGE;
}

void
ctl_print_help(const struct ctl_cmd *cmd)
{
	const struct ctl_cmd *const *c;

	if (cmd != NULL) {
		printf("Usage: eshmctl %s%s%s\n\n%s\n", cmd->name, cmd->synopsis[0] != '\0' ? " " : "",
		       cmd->synopsis, cmd->help);
		printf("Common options:\n"
		       "  --socket PATH   eshmd's control socket (default: $ESHM_SOCKET,\n"
		       "                  else %s)\n"
		       "  -h, --help      show this help and exit\n",
		       ESHM_DEFAULT_SOCKET);
		return;
	}
	printf("Usage: eshmctl [--socket PATH] COMMAND [OPTIONS] [ARGUMENTS]\n"
	       "       eshmctl --version | --help\n\n"
	       "Inspect and manage the shared-memory segments of eshmd.\n\n"
	       "Commands:\n");
	for (c = ctl_commands; *c != NULL; c++)
		printf("  %-7s %s\n", (*c)->name, (*c)->synopsis);
	printf("\nOptions:\n"
	       "  --socket PATH   eshmd's control socket (default: $ESHM_SOCKET,\n"
	       "                  else %s)\n"
	       "  -V, --version   show eshmctl's version and exit\n"
	       "  -h, --help      show this help and exit\n\n"
	       "'eshmctl COMMAND --help' describes each command; see eshmctl(8).\n",
	       ESHM_DEFAULT_SOCKET);
}

int
ctl_getopt(struct ctl_ctx *ctx, int argc, char **argv, const char *shortopts,
           const struct option *longopts)
{
	char optstring[64];
	int c;

	/* The ':' makes a missing argument ':' rather than '?'; a '+' (stop
	 * at the first operand) must come before it. */
	if (shortopts[0] == '+')
		snprintf(optstring, sizeof(optstring), "+:h%s", shortopts + 1);
	else
		snprintf(optstring, sizeof(optstring), ":h%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	switch (c) {
	case CTL_OPT_HELP:
		ctl_print_help(ctx->cmd);
		ctx->exit_code = CTL_EXIT_OK;
		return CTL_OPT_STOP;
	case CTL_OPT_SOCKET:
		if (optarg[0] == '\0') {
			ctx->exit_code = ctl_usage_error(ctx, "--socket needs a non-empty path");
			return CTL_OPT_STOP;
		}
		ctx->socket_path = optarg;
		ctx->socket_origin = "--socket";
		return ctl_getopt(ctx, argc, argv, shortopts, longopts);
	case CTL_OPT_JSON:
		ctx->json = true;
		return ctl_getopt(ctx, argc, argv, shortopts, longopts);
	case ':':
		ctx->exit_code = ctl_usage_error(ctx, "option '%s' needs an argument", argv[optind - 1]);
		return CTL_OPT_STOP;
	case '?':
		if (optopt != 0)
			ctx->exit_code = ctl_usage_error(ctx, "unknown option '-%c'", optopt);
		else
			ctx->exit_code = ctl_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
		return CTL_OPT_STOP;
	default:
		return c;
	}
}

int
ctl_operands(struct ctl_ctx *ctx, int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		return ctl_usage_error(ctx, "missing segment name");
	if (n > max)
		return ctl_usage_error(ctx, "unexpected argument '%s'", argv[optind + max]);
	return 0;
}

int
ctl_check_name(struct ctl_ctx *ctx, const char *name)
{
	if (proto_name_valid(name) == 0)
		return 0;
	return ctl_usage_error(ctx, "invalid segment name '%s'. %s", name,
	                       eshm_error_string(ESHM_ERROR_NAME_INVALID));
}

int
ctl_segment_operand(struct ctl_ctx *ctx, int argc, char **argv, const char **name)
{
	int rc = ctl_operands(ctx, argc, argv, 1, 1);

	if (rc == 0)
		rc = ctl_check_name(ctx, argv[optind]);
	if (rc == 0)
		*name = argv[optind];
	return rc;
}

int
ctl_parse_uint(struct ctl_ctx *ctx, const char *opt, const char *text, uint64_t min,
               uint64_t max, bool byte_suffixes, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		goto bad;
	v = strtoull(text, &end, 10);
	if (errno != 0)
		goto bad;
	if (*end != '\0') {
		if (!byte_suffixes)
			goto bad;
		if (strcmp(end, "k") == 0 || strcmp(end, "K") == 0 || strcmp(end, "KiB") == 0)
			mult = 1024;
		else if (strcmp(end, "m") == 0 || strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)
			mult = 1024 * 1024;
		else
			goto bad;
	}
	if (v > UINT64_MAX / mult || v * mult < min || v * mult > max)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return ctl_usage_error(ctx, "%s '%s' is not a whole number from %" PRIu64 " to %" PRIu64 "%s",
	                       opt, text, min, max, byte_suffixes ? " (suffixes K and M allowed)" : "");
}
