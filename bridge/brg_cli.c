/*
 * brg_cli.c - eshm-bridge's command line (brg_cli.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "brg_cli.h"
#include "brg_err.h"

void
brg_cli_usage(const char *prog)
{
	printf("Usage: %s --config FILE [OPTION]...\n"
	       "Carry one eshm segment between two hosts over DDS, standing in for the\n"
	       "endpoint whose process runs on the other host.\n"
	       "\n"
	       "  -c, --config FILE     the bridge's settings (eshm-bridge(8))\n"
	       "  -n, --segment NAME    the segment, instead of the file's\n"
	       "  -s, --socket PATH     eshmd's socket, instead of the file's or $ESHM_SOCKET\n"
	       "  -t, --check-config    validate the settings and exit\n"
	       "  -v, --verbose         log debug lines\n"
	       "  -h, --help            show this text and exit\n"
	       "  -V, --version         show the version and exit\n",
	       prog);
}

int
brg_cli_parse(int argc, char **argv, struct brg_cli *cli)
{
#define BRG_CLI_OPT(name, has_arg, letter) {name, has_arg, NULL, letter}
	static const struct option opts[] = {
		BRG_CLI_OPT("config", required_argument, 'c'),
		BRG_CLI_OPT("segment", required_argument, 'n'),
		BRG_CLI_OPT("socket", required_argument, 's'),
		BRG_CLI_OPT("check-config", no_argument, 't'),
		BRG_CLI_OPT("verbose", no_argument, 'v'),
		BRG_CLI_OPT("help", no_argument, 'h'),
		BRG_CLI_OPT("version", no_argument, 'V'),
		BRG_CLI_OPT(NULL, 0, 0),
	};
#undef BRG_CLI_OPT
	int c;

	if (argv == NULL || cli == NULL || argc < 1)
		return BRG_ERR_INVALID;
	memset(cli, 0, sizeof(*cli));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":c:n:s:tvhV", opts, NULL)) != -1) {
		const char **text = c == 'c' ? &cli->config
		                    : c == 'n' ? &cli->segment
		                    : c == 's' ? &cli->socket
		                               : NULL;
		bool *flag = c == 't' ? &cli->check
		             : c == 'v' ? &cli->verbose
		             : c == 'h' ? &cli->help
		             : c == 'V' ? &cli->version
		                        : NULL;

		if (text != NULL) {
			*text = optarg;
		} else if (flag != NULL) {
			*flag = true;
		} else {
			fprintf(stderr, "%s: %s '%s' (try --help)\n", argv[0],
			        c == ':' ? "missing argument for option" : "unknown option",
			        argv[optind - 1]);
			return BRG_ERR_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", argv[0], argv[optind]);
		return BRG_ERR_CONFIG;
	}
	if (!cli->help && !cli->version && cli->config == NULL) {
		fprintf(stderr, "%s: --config FILE is required (try --help)\n", argv[0]);
		return BRG_ERR_CONFIG;
	}
	return BRG_OK;
}
