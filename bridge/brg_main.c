/*
 * brg_main.c - eshm-bridge: settings, signals, then brg_run().
 *
 * Exit status: 0 after SIGTERM or SIGINT, 1 when the bridge failed (systemd
 * restarts it: Restart=on-failure), 2 for a bad command line or settings
 * (a restart would not help: the unit's RestartPreventExitStatus=2).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "brg_cli.h"
#include "brg_config.h"
#include "brg_err.h"
#include "brg_log.h"
#include "brg_run.h"

static volatile sig_atomic_t brg_main_stop;

static void
brg_main_signal(int sig)
{
	brg_main_stop = sig;
}

/* Defaults, the file, then the command line, each over the one before. */
static int
brg_main_settings(const struct brg_cli *cli, struct brg_config *cfg)
{
	char err[512];
	int rc;

	brg_config_defaults(cfg);
	rc = brg_config_load(cfg, cli->config, err, sizeof(err));
	if (rc == BRG_OK && cli->segment != NULL)
		rc = brg_config_set(cfg, "bridge", "segment", cli->segment, err, sizeof(err));
	if (rc == BRG_OK && cli->socket != NULL)
		rc = brg_config_set(cfg, "bridge", "socket", cli->socket, err, sizeof(err));
	if (rc == BRG_OK)
		rc = brg_config_check(cfg, err, sizeof(err));
	if (rc != BRG_OK)
		fprintf(stderr, "eshm-bridge: %s\n", err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct brg_config cfg;
	struct brg_cli cli;
	struct sigaction sa;
	int rc;

	if (brg_cli_parse(argc, argv, &cli) != BRG_OK)
		return 2;
	if (cli.help) {
		brg_cli_usage(argv[0]);
		return 0;
	}
	if (cli.version) {
		printf("eshm-bridge %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (brg_main_settings(&cli, &cfg) != BRG_OK)
		return 2;
	if (cli.check) {
		printf("%s: ok (segment %s, standing in for the %s)\n", cli.config, cfg.segment,
		       cfg.stand_in == ESHM_ROLE_MASTER ? "master" : "slave");
		return 0;
	}
	brg_log_open(cfg.segment, cli.verbose);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = brg_main_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A peer gone from a socket is an error code, not a death. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	rc = brg_run(&cfg, &brg_main_stop);
	if (rc != BRG_OK)
		brg_log(LOG_ERR, "stopped: %s", brg_strerror(rc));
	return rc == BRG_OK ? 0 : 1;
}
