/*
 * cmdline.c - eshmd's command line, and the settings it yields together
 * with the defaults and the configuration file.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

#ifndef ESHMD_CONF_DEFAULT
#error "ESHMD_CONF_DEFAULT, $(sysconfdir)/eshm/eshmd.conf, comes from daemon/local.mk"
#endif

void
cmd_usage(const char *prog)
{
	printf("Usage: %s [OPTION]...\n"
	       "The eshm broker: creates and supervises shared-memory segments.\n"
	       "\n"
	       "  -s, --socket PATH        listen on PATH (default %s)\n"
	       "  -p, --shm-prefix PREFIX  name segment memfds PREFIXname.* (default eshm.)\n"
	       "  -c, --config FILE        read FILE (default %s; missing is fine)\n"
	       "  -t, --check-config       validate the configuration and exit\n"
	       "  -v, --verbose            log debug lines\n"
	       "  -h, --help               show this text and exit\n"
	       "  -V, --version            show the version and exit\n",
	       prog, ESHM_DEFAULT_SOCKET, ESHMD_CONF_DEFAULT);
}

int
cmd_parse(int argc, char **argv, struct cmdline *cmd)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"shm-prefix", required_argument, NULL, 'p'},
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(cmd, 0, sizeof(*cmd));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":s:p:c:tvhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			cmd->socket_path = optarg;
			break;
		case 'p':
			cmd->shm_prefix = optarg;
			break;
		case 'c':
			cmd->config_path = optarg;
			break;
		case 't':
			cmd->check_config = true;
			break;
		case 'v':
			cmd->verbose = true;
			break;
		case 'h':
			cmd->help = true;
			break;
		case 'V':
			cmd->version = true;
			break;
		case ':':
			fprintf(stderr, "%s: option '%s' needs an argument\n", argv[0],
			        argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0],
			        argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", argv[0],
		        argv[optind]);
		return -1;
	}
	return 0;
}

const char *
cmd_config_path(const struct cmdline *cmd)
{
	return cmd->config_path ? cmd->config_path : ESHMD_CONF_DEFAULT;
}

int
cmd_settings(const struct cmdline *cmd, struct eshmd_settings *s, char *err, size_t errlen)
{
	char why[256];
	int loaded;

	settings_defaults(s);
	loaded = settings_load_file(s, cmd_config_path(cmd), cmd->config_path == NULL, err, errlen);
	if (loaded < 0)
		return -1;
	if (cmd->socket_path != NULL &&
	    settings_set(s, "eshmd", "socket", cmd->socket_path, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--socket: %s", why);
		return -1;
	}
	if (cmd->shm_prefix != NULL &&
	    settings_set(s, "eshmd", "shm_prefix", cmd->shm_prefix, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "--shm-prefix: %s", why);
		return -1;
	}
	if (cmd->verbose)
		s->verbose = true;
	return loaded;
}
