/*
 * test_brg_config.c - the bridge's settings: the INI file (every key, each
 * kind of mistake with its line, nothing half-applied), the checks that
 * need the whole file, the Cyclone DDS XML made from it, and the command
 * line.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "brg_cli.h"
#include "brg_config.h"
#include "brg_ddsconf.h"
#include "brg_err.h"

static const char tc_full[] =
	"; a comment\n"
	"[bridge]\n"
	"segment = cam.front-1\n"
	"stand_in = master\n"
	"host = hostA\n"
	"remote_host = hostB\n"
	"socket = /tmp/x/eshmd.sock\n"
	"[segment]\n"
	"capacity = 65536\n"
	"mode = queue\n"
	"queue_depth = 128\n"
	"[dds]\n"
	"domain = 42\n"
	"interface = veth0\n"
	"peers = 10.1.0.2, 10.1.0.6 fe80::1\n"
	"multicast = no\n"
	"[liveness]\n"
	"stale_threshold_ms = 250\n"
	"lease_ms = 2000\n"
	"state_period_ms = 300\n"
	"dead_after_ms = 5000\n";

static void
defaults_need_segment_role_and_interface(void **state)
{
	struct brg_config c;
	char err[256];

	assert_int_equal(brg_config_defaults(&c), BRG_OK);
	assert_int_equal(c.capacity, 4096);
	assert_int_equal(c.mode, ESHM_CHANNEL_LATEST);
	assert_true(c.multicast);
	assert_int_equal(c.lease_ms, 1000);
	assert_int_equal(c.dead_after_ms, 3000);
	assert_int_equal(brg_config_state_period(&c), 250);
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "segment"));
	assert_int_equal(brg_config_set(&c, "bridge", "segment", "s", err, sizeof(err)), BRG_OK);
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "stand_in"));
	assert_int_equal(brg_config_set(&c, "bridge", "stand_in", "slave", err, sizeof(err)), BRG_OK);
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "interface"));
	assert_int_equal(brg_config_set(&c, "dds", "interface", "eth0", err, sizeof(err)), BRG_OK);
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_OK);
	assert_int_equal(brg_config_defaults(NULL), BRG_ERR_INVALID);
}

static void
every_key_lands_where_it_says(void **state)
{
	struct brg_config c;
	char err[256];

	brg_config_defaults(&c);
	assert_int_equal(brg_config_parse(&c, tc_full, "full", err, sizeof(err)), BRG_OK);
	assert_string_equal(c.segment, "cam.front-1");
	assert_int_equal(c.stand_in, ESHM_ROLE_MASTER);
	assert_string_equal(c.host, "hostA");
	assert_string_equal(c.remote_host, "hostB");
	assert_string_equal(c.socket, "/tmp/x/eshmd.sock");
	assert_int_equal(c.capacity, 65536);
	assert_int_equal(c.mode, ESHM_CHANNEL_QUEUE);
	assert_int_equal(c.queue_depth, 128);
	assert_int_equal(c.domain, 42);
	assert_string_equal(c.interface, "veth0");
	assert_int_equal(c.npeers, 3);
	assert_string_equal(c.peers[0], "10.1.0.2");
	assert_string_equal(c.peers[1], "10.1.0.6");
	assert_string_equal(c.peers[2], "fe80::1");
	assert_false(c.multicast);
	assert_int_equal(c.stale_threshold_ms, 250);
	assert_int_equal(c.lease_ms, 2000);
	assert_int_equal(brg_config_state_period(&c), 300);
	assert_int_equal(c.dead_after_ms, 5000);
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_OK);
}

/* @text must be refused with a message holding @line_and_words, and leave the defaults. */
static void
tc_refused(const char *text, const char *needle)
{
	struct brg_config c, before;
	char err[256];

	brg_config_defaults(&c);
	before = c;
	assert_int_equal(brg_config_parse(&c, text, "f.conf", err, sizeof(err)), BRG_ERR_CONFIG);
	if (strstr(err, needle) == NULL)
		fail_msg("'%s' does not hold '%s'", err, needle);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
mistakes_are_refused_with_their_line(void **state)
{
	tc_refused("[bridge]\nsegment = .hidden\n", "f.conf:2: bad value '.hidden' for segment");
	tc_refused("[bridge]\nstand_in = auto\n", "f.conf:2: bad value 'auto' for stand_in: "
	                                          "expected master or slave");
	tc_refused("[bridge]\nsocket = relative\n", "for socket");
	tc_refused("[bridge]\nhost = a<b\n", "for host");
	tc_refused("[segment]\ncapacity = 0\n", "expected a number in 1..16777216");
	tc_refused("[segment]\ncapacity = 16777217\n", "capacity");
	tc_refused("[segment]\ncapacity = -5\n", "capacity");
	tc_refused("[segment]\ncapacity = 0x10\n", "capacity");
	tc_refused("[segment]\ncapacity = 99999999999999999999999\n", "capacity");
	tc_refused("[segment]\nmode = fifo\n", "latest or queue");
	tc_refused("[segment]\nqueue_depth = 65537\n", "queue_depth");
	tc_refused("[dds]\ndomain = 233\n", "0..232");
	tc_refused("[dds]\ninterface = eth0/x\n", "for interface");
	tc_refused("[dds]\ninterface = averyveryverylongname\n", "for interface");
	tc_refused("[dds]\npeers = 10.0.0.1 <evil>\n", "bad peer '<evil>'");
	tc_refused("[dds]\npeers = 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n",
	           "more than 16 peers");
	tc_refused("[dds]\nmulticast = maybe\n", "yes or no");
	tc_refused("[liveness]\nlease_ms = 50\n", "100..60000");
	tc_refused("[liveness]\nstate_period_ms = 1001\n", "state_period_ms");
	tc_refused("[liveness]\ndead_after_ms = 100\n", "dead_after_ms");
	tc_refused("[bridge]\nsegment = ok\nbogus = 1\n", "f.conf:3: unknown key 'bogus' in [bridge]");
	tc_refused("[nosuch]\nx = 1\n", "f.conf:2: unknown section [nosuch]");
	tc_refused("x = 1\n", "f.conf:1: key 'x' outside of any section");
	tc_refused("[bridge]\nsegment\n", "f.conf:2: syntax error");
	/* The first mistake is the one told. */
	tc_refused("[bridge]\nsegment = ok\nstand_in = x\nhost = <\n", "f.conf:3:");
}

static void
a_line_libinih_would_cut_is_refused(void **state)
{
	char text[600], name[PROTO_NAME_MAX + 1];
	struct brg_config c;
	char err[256];

	memset(name, 'n', PROTO_NAME_MAX);
	name[PROTO_NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "[bridge]\nstand_in = slave\nsegment = %s\n", name);
	tc_refused(text, "f.conf:3: line longer than");
	/* What the command line's --segment does instead. */
	brg_config_defaults(&c);
	assert_int_equal(brg_config_set(&c, "bridge", "segment", name, err, sizeof(err)), BRG_OK);
	assert_string_equal(c.segment, name);
}

static void
whole_file_checks(void **state)
{
	struct brg_config c;
	char err[256];

	brg_config_defaults(&c);
	assert_int_equal(brg_config_parse(&c, "[bridge]\nsegment=s\nstand_in=slave\n"
	                                      "[dds]\ninterface=lo\n", "f", err, sizeof(err)),
	                 BRG_OK);
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_OK);
	c.multicast = false;
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "needs peers"));
	c.multicast = true;
	c.state_period_ms = 1000;
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "shorter than lease_ms"));
	c.state_period_ms = 0;
	c.dead_after_ms = 1000;
	assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "longer than lease_ms"));
	/* A lease of 8 s still reports at least once a second. */
	c.lease_ms = 8000;
	c.dead_after_ms = 9000;
	assert_int_equal(brg_config_state_period(&c), 1000);
	assert_int_equal(brg_config_check(NULL, err, sizeof(err)), BRG_ERR_INVALID);
	assert_int_equal(brg_config_check(&c, NULL, 0), BRG_OK);
}

static void
tc_write(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void
files_are_read_whole_or_refused(void **state)
{
	char dir[] = "/tmp/brg-config.XXXXXX", path[4096], err[256], *big;
	const char *srcdir = getenv("ESHM_TEST_SRCDIR");
	struct brg_config c;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.conf", dir);
	brg_config_defaults(&c);
	assert_int_equal(brg_config_load(&c, path, err, sizeof(err)), BRG_ERR_IO);
	assert_non_null(strstr(err, "No such file"));
	tc_write(path, tc_full, strlen(tc_full));
	assert_int_equal(brg_config_load(&c, path, err, sizeof(err)), BRG_OK);
	assert_string_equal(c.segment, "cam.front-1");
	tc_write(path, "[bridge]\0segment=x\n", 19);
	assert_int_equal(brg_config_load(&c, path, err, sizeof(err)), BRG_ERR_CONFIG);
	assert_non_null(strstr(err, "NUL"));
	big = malloc(70000);
	assert_non_null(big);
	memset(big, '#', 70000);
	tc_write(path, big, 70000);
	free(big);
	assert_int_equal(brg_config_load(&c, path, err, sizeof(err)), BRG_ERR_IO);
	assert_non_null(strstr(err, "64 KiB"));
	unlink(path);
	rmdir(dir);
	assert_int_equal(brg_config_load(NULL, path, err, sizeof(err)), BRG_ERR_INVALID);
	/* The example shipped with the sources is a valid configuration. */
	if (srcdir != NULL) {
		snprintf(path, sizeof(path), "%s/bridge/eshm-bridge.conf.example", srcdir);
		brg_config_defaults(&c);
		assert_int_equal(brg_config_load(&c, path, err, sizeof(err)), BRG_OK);
		assert_int_equal(brg_config_check(&c, err, sizeof(err)), BRG_OK);
	}
}

static void
dds_xml_binds_the_interface_and_comes_last(void **state)
{
	struct brg_config c;
	char xml[2048], err[256], *full = NULL;

	brg_config_defaults(&c);
	brg_config_parse(&c, "[dds]\ninterface = veth0\n", "f", err, sizeof(err));
	assert_int_equal(brg_ddsconf_xml(&c, xml, sizeof(xml)), BRG_OK);
	assert_string_equal(xml, "<CycloneDDS><Domain Id=\"any\"><General><Interfaces>"
	                         "<NetworkInterface name=\"veth0\"/></Interfaces></General>"
	                         "</Domain></CycloneDDS>");
	brg_config_parse(&c, "[dds]\npeers = 10.0.0.2 10.0.0.3\nmulticast = no\n", "f", err,
	                 sizeof(err));
	assert_int_equal(brg_ddsconf_xml(&c, xml, sizeof(xml)), BRG_OK);
	assert_string_equal(xml, "<CycloneDDS><Domain Id=\"any\"><General><Interfaces>"
	                         "<NetworkInterface name=\"veth0\"/></Interfaces>"
	                         "<AllowMulticast>false</AllowMulticast></General>"
	                         "<Discovery><ParticipantIndex>auto</ParticipantIndex><Peers>"
	                         "<Peer address=\"10.0.0.2\"/><Peer address=\"10.0.0.3\"/>"
	                         "</Peers></Discovery></Domain></CycloneDDS>");
	assert_int_equal(brg_ddsconf_xml(&c, xml, 100), BRG_ERR_TOO_LONG);
	assert_string_equal(xml, "");
	assert_int_equal(brg_ddsconf_full(&c, "file:///etc/dds/security.xml", &full), BRG_OK);
	assert_non_null(strstr(full, "file:///etc/dds/security.xml,<CycloneDDS>"));
	free(full);
	assert_int_equal(brg_ddsconf_full(&c, NULL, &full), BRG_OK);
	assert_true(strncmp(full, "<CycloneDDS>", 12) == 0);
	free(full);
	/* A value that slipped past the settings never reaches the XML. */
	snprintf(c.interface, sizeof(c.interface), "a\"b");
	assert_int_equal(brg_ddsconf_xml(&c, xml, sizeof(xml)), BRG_ERR_INVALID);
	c.interface[0] = '\0';
	assert_int_equal(brg_ddsconf_xml(&c, xml, sizeof(xml)), BRG_ERR_INVALID);
	assert_int_equal(brg_ddsconf_full(&c, NULL, NULL), BRG_ERR_INVALID);
}

static int
tc_cli(struct brg_cli *cli, const char *a1, const char *a2, const char *a3)
{
	char *argv[5] = {(char *)"eshm-bridge", (char *)a1, (char *)a2, (char *)a3, NULL};
	int argc = 1 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);

	return brg_cli_parse(argc, argv, cli);
}

static void
command_line(void **state)
{
	struct brg_cli cli;

	assert_int_equal(tc_cli(&cli, "--config", "f.conf", "-v"), BRG_OK);
	assert_string_equal(cli.config, "f.conf");
	assert_true(cli.verbose);
	assert_int_equal(tc_cli(&cli, "-c", "f", "--segment=x.y"), BRG_OK);
	assert_string_equal(cli.segment, "x.y");
	assert_int_equal(tc_cli(&cli, "--help", NULL, NULL), BRG_OK);
	assert_true(cli.help);
	assert_int_equal(tc_cli(&cli, "-V", NULL, NULL), BRG_OK);
	assert_true(cli.version);
	assert_int_equal(tc_cli(&cli, "-c", "f", "--check-config"), BRG_OK);
	assert_true(cli.check);
	assert_int_equal(tc_cli(&cli, "-c", "f", "--socket=/s"), BRG_OK);
	assert_string_equal(cli.socket, "/s");
	assert_int_equal(tc_cli(&cli, NULL, NULL, NULL), BRG_ERR_CONFIG);
	assert_int_equal(tc_cli(&cli, "--config", NULL, NULL), BRG_ERR_CONFIG);
	assert_int_equal(tc_cli(&cli, "-c", "f", "--bogus"), BRG_ERR_CONFIG);
	assert_int_equal(tc_cli(&cli, "-c", "f", "extra"), BRG_ERR_CONFIG);
	assert_int_equal(brg_cli_parse(1, NULL, &cli), BRG_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_need_segment_role_and_interface),
		cmocka_unit_test(every_key_lands_where_it_says),
		cmocka_unit_test(mistakes_are_refused_with_their_line),
		cmocka_unit_test(a_line_libinih_would_cut_is_refused),
		cmocka_unit_test(whole_file_checks),
		cmocka_unit_test(files_are_read_whole_or_refused),
		cmocka_unit_test(dds_xml_binds_the_interface_and_comes_last),
		cmocka_unit_test(command_line),
	};

	return cmocka_run_group_tests_name("brg_config", tests, NULL, NULL);
}
