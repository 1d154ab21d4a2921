/*
 * ctl_cli.h - eshmctl's command line: the command table, the context every
 * command runs with, option parsing shared by all commands, and the
 * operator-facing error and usage messages.
 */
#ifndef ESHMCTL_CLI_H
#define ESHMCTL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit status of eshmctl, as documented in eshmctl(8). */
enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,
	CTL_EXIT_USAGE = 2,
};

/* ctl_getopt() result telling the command to stop with ctx->exit_code. */
#define CTL_OPT_STOP (-2)

/* Long option values shared by every command (outside the char range). */
enum ctl_common_opt {
	CTL_OPT_HELP = 'h',
	CTL_OPT_SOCKET = 0x100,
	CTL_OPT_JSON,
};

/* Entries every command's long option table starts with. */
#define CTL_COMMON_LONGOPTS \
	{ "help", no_argument, NULL, CTL_OPT_HELP }, \
	{ "socket", required_argument, NULL, CTL_OPT_SOCKET }

struct ctl_ctx;

struct ctl_cmd {
	const char *name;
	const char *synopsis; /* arguments after the command name */
	const char *help;     /* description and options, for --help */
	int (*run)(struct ctl_ctx *ctx, int argc, char **argv);
};

struct ctl_ctx {
	const struct ctl_cmd *cmd;  /* the command running, NULL before */
	const char *socket_path;    /* resolved: --socket, $ESHM_SOCKET, default */
	const char *socket_origin;  /* "--socket", "$ESHM_SOCKET" or NULL (default) */
	bool json;                  /* --json given (commands that accept it) */
	int exit_code;              /* set when ctl_getopt() returns CTL_OPT_STOP */
};

/* The commands, in the order --help lists them; NULL terminated. */
extern const struct ctl_cmd *const ctl_commands[];

/*
 * Resolve the socket path of @ctx from $ESHM_SOCKET or the built-in
 * default; --socket later overrides it.  Not thread-safe (reads environ).
 */
void ctl_ctx_init(struct ctl_ctx *ctx);

/*
 * getopt_long() over @argc/@argv (argv[0] is the command name) with the
 * command's @shortopts (without ':' or 'h'; a leading '+' stops at the first
 * operand) and @longopts (starting
 * with CTL_COMMON_LONGOPTS, and optionally { "json", ..., CTL_OPT_JSON }).
 * Handles --help (prints it, exit 0), --socket and --json itself, and turns
 * unknown options and missing arguments into usage errors (exit 2): both
 * return CTL_OPT_STOP with ctx->exit_code set.  Returns the next
 * command-specific option, or -1 once options end (optind then indexes the
 * first operand).  Uses getopt's global state: not thread-safe.
 */
int ctl_getopt(struct ctl_ctx *ctx, int argc, char **argv, const char *shortopts,
               const struct option *longopts);

/*
 * Check the operand count after options: between @min and @max operands
 * from optind.  Returns 0, or prints a usage error and returns
 * CTL_EXIT_USAGE.
 */
int ctl_operands(struct ctl_ctx *ctx, int argc, char **argv, int min, int max);

/*
 * Check @name with proto_name_valid().  Returns 0, or prints a usage error
 * stating the rule and returns CTL_EXIT_USAGE.
 */
int ctl_check_name(struct ctl_ctx *ctx, const char *name);

/*
 * The segment name a command takes as its only operand: check that exactly
 * one operand follows the options and that it is a valid name, and point
 * *@name at it.  Returns 0, or prints a usage error and returns
 * CTL_EXIT_USAGE.
 */
int ctl_segment_operand(struct ctl_ctx *ctx, int argc, char **argv, const char **name);

/*
 * Parse @text as an unsigned integer in [@min, @max] for option @opt into
 * *@out.  With @byte_suffixes, k/K/KiB and m/M/MiB multiply by 1024 and
 * 1048576.  Returns 0, or prints a usage error and returns CTL_EXIT_USAGE.
 */
int ctl_parse_uint(struct ctl_ctx *ctx, const char *opt, const char *text, uint64_t min,
                   uint64_t max, bool byte_suffixes, uint64_t *out);

/*
 * Print "eshmctl CMD: MESSAGE" and the pointer to --help on stderr.
 * Returns CTL_EXIT_USAGE, for "return ctl_usage_error(...)".
 */
int ctl_usage_error(const struct ctl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Print "eshmctl: MESSAGE" on stderr.  Returns CTL_EXIT_FAIL.
 */
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the usage of @cmd (or of eshmctl as a whole if NULL) on stdout. */
void ctl_print_help(const struct ctl_cmd *cmd);

#endif /* ESHMCTL_CLI_H */
