/*
 * brg_cli.h - eshm-bridge's command line.
 */
#ifndef ESHM_BRIDGE_CLI_H
#define ESHM_BRIDGE_CLI_H

#include <stdbool.h>

struct brg_cli {
	const char *config;   /* --config FILE */
	const char *segment;  /* --segment NAME: overrides the file's */
	const char *socket;   /* --socket PATH: overrides the file's */
	bool check;           /* --check-config */
	bool verbose;         /* --verbose */
	bool help;            /* --help */
	bool version;         /* --version */
};

/*
 * Parse @argv into @cli (pointers into @argv).  A mistake is said on
 * stderr.  Returns BRG_OK, BRG_ERR_INVALID (NULL argument) or
 * BRG_ERR_CONFIG (bad command line).  Not thread-safe (getopt).
 */
int brg_cli_parse(int argc, char **argv, struct brg_cli *cli);

/* Print the usage on stdout.  @prog: argv[0]. */
void brg_cli_usage(const char *prog);

#endif /* ESHM_BRIDGE_CLI_H */
