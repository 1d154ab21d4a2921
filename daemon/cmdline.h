/*
 * cmdline.h - eshmd's command line, and the settings it yields with the
 * defaults and the configuration file.  Main thread only.
 */
#ifndef ESHMD_CMDLINE_H
#define ESHMD_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

/* What the command line asked for; re-applied over the file on reload. */
struct cmdline {
	const char *socket_path;
	const char *shm_prefix;
	const char *config_path; /* NULL: ESHMD_CONF_DEFAULT, missing is fine */
	bool check_config;
	bool verbose;
	bool help;
	bool version;
};

/*
 * Parse @argv into @cmd.  Returns 0, or -1 after printing what is wrong
 * (the caller exits 1).  @cmd's strings point into @argv.
 */
int cmd_parse(int argc, char **argv, struct cmdline *cmd);

/* Print the usage text to stdout. */
void cmd_usage(const char *prog);

/* The configuration file @cmd reads: --config, else ESHMD_CONF_DEFAULT. */
const char *cmd_config_path(const struct cmdline *cmd);

/*
 * Build settings from the defaults, the configuration file and @cmd into
 * @s.  Returns 0, 1 when the default file does not exist (its settings are
 * the built-in defaults), or -1 with the reason in @err.
 */
int cmd_settings(const struct cmdline *cmd, struct eshmd_settings *s, char *err, size_t errlen);

#endif /* ESHMD_CMDLINE_H */
