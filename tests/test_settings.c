/*
 * test_settings.c - eshmd's settings: defaults, a full configuration file,
 * and every mistake reported as "file:line: what is wrong" with the
 * settings left as they were.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "layout.h"
#include "settings.h"

static char conf_path[64];

static int
setup(void **state)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/eshmd-conf.XXXXXX");
	fd = mkstemp(conf_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	unlink(conf_path);
	return 0;
}

static void
write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
defaults_match_the_documented_values(void **state)
{
	struct eshmd_settings s;

	settings_defaults(&s);
	assert_string_equal(s.socket_path, ESHM_DEFAULT_SOCKET);
	assert_string_equal(s.shm_prefix, "eshm.");
	assert_int_equal(s.default_stale_ms, 100);
	assert_int_equal(s.check_interval_ms, 10);
	assert_true(s.max_segments >= 1000);
	assert_true(s.max_endpoints >= 2 * 1000);
	assert_true(s.max_clients > 0);
	assert_int_equal(s.max_capacity, SEG_CAPACITY_MAX);
	assert_int_equal(s.cleanup, ESHMD_CLEANUP_ON_EMPTY);
	assert_int_equal(s.access, ESHMD_ACCESS_OWNER);
	assert_false(s.verbose);
	assert_string_equal(s.records_dir, "");
	assert_int_equal(s.socket_mode, 0660);
	assert_string_equal(s.socket_group, "");
	assert_int_equal(s.max_segments_user, 256);
	assert_int_equal(s.max_clients_user, 64);
	assert_int_equal(s.max_bytes, 4ull << 30);
	assert_int_equal(s.max_bytes_user, 1ull << 30);
	assert_int_equal(s.max_observers, 8);
	assert_true(s.max_segments >= 10000);
	assert_string_equal(s.admin_group, "");
}

static void
good_file_sets_every_key(void **state)
{
	struct eshmd_settings s;
	char err[256] = "";

	write_conf("; eshmd configuration\n"
	           "[eshmd]\n"
	           "socket = /run/test/x.sock\n"
	           "shm_prefix = abc-\n"
	           "verbose = yes\n"
	           "records_directory = /var/lib/x\n"
	           "socket_mode = 0600\n"
	           "socket_group = robots\n"
	           "\n"
	           "[monitor]\n"
	           "default_stale_threshold_ms = 250\n"
	           "check_interval_ms = 5\n"
	           "[limits]\n"
	           "max_segments = 12\n"
	           "max_endpoints = 24\n"
	           "max_connections = 30\n"
	           "max_capacity = 65536\n"
	           "max_segments_per_user = 3\n"
	           "max_connections_per_user = 4\n"
	           "max_bytes = 1000000\n"
	           "max_bytes_per_user = 500000\n"
	           "max_observers = 2\n"
	           "[cleanup]\n"
	           "policy = idle\n"
	           "idle_seconds = 7\n"
	           "[access]\n"
	           "policy = group\n"
	           "group = eshmusers\n"
	           "admin_group = wheel\n");
	settings_defaults(&s);
	assert_int_equal(settings_load_file(&s, conf_path, false, err, sizeof(err)), 0);
	assert_string_equal(s.socket_path, "/run/test/x.sock");
	assert_string_equal(s.shm_prefix, "abc-");
	assert_true(s.verbose);
	assert_int_equal(s.default_stale_ms, 250);
	assert_int_equal(s.check_interval_ms, 5);
	assert_int_equal(s.max_segments, 12);
	assert_int_equal(s.max_endpoints, 24);
	assert_int_equal(s.max_clients, 30);
	assert_int_equal(s.max_capacity, 65536);
	assert_int_equal(s.cleanup, ESHMD_CLEANUP_IDLE);
	assert_int_equal(s.cleanup_idle_s, 7);
	assert_int_equal(s.access, ESHMD_ACCESS_GROUP);
	assert_string_equal(s.access_group, "eshmusers");
	assert_string_equal(s.admin_group, "wheel");
	assert_string_equal(s.records_dir, "/var/lib/x");
	assert_int_equal(s.socket_mode, 0600);
	assert_string_equal(s.socket_group, "robots");
	assert_int_equal(s.max_segments_user, 3);
	assert_int_equal(s.max_clients_user, 4);
	assert_int_equal(s.max_bytes, 1000000);
	assert_int_equal(s.max_bytes_user, 500000);
	assert_int_equal(s.max_observers, 2);
}

/* Each bad line sits on line 3, after a valid first line. */
static const char *const bad_lines[][2] = {
	{"monitor", "check_interval_ms = 0"},
	{"monitor", "check_interval_ms = 10ms"},
	{"monitor", "check_interval_ms = -5"},
	{"monitor", "default_stale_threshold_ms = 600001"},
	{"monitor", "default_stale_threshold_ms = 99999999999999999999999"},
	{"monitor", "default_stale_threshold_ms ="},
	{"limits", "max_segments = 0"},
	{"limits", "max_connections = many"},
	{"limits", "max_capacity = 16777217"},
	{"limits", "max_observers = 33"},
	{"limits", "max_bytes = 100"},
	{"limits", "max_segments_per_user = 0"},
	{"limits", "max_connections_per_user = -1"},
	{"eshmd", "socket_mode = 0999"},
	{"eshmd", "socket_mode = 01777"},
	{"eshmd", "records_directory = relative"},
	{"access", "admin_group = a b"},
	{"eshmd", "socket = relative/path.sock"},
	{"eshmd", "socket = /a/very/long/path/that/does/not/fit/into/sun_path/of/a/unix/socket/at/all/"
	             "really/not/even/close/to/fitting.sock"},
	{"eshmd", "shm_prefix = a/b"},
	{"eshmd", "shm_prefix = .hidden"},
	{"eshmd", "verbose = maybe"},
	{"cleanup", "policy = sometimes"},
	{"cleanup", "idle_seconds = 0"},
	{"access", "policy = everyone"},
	{"access", "group = a:b"},
	{"monitor", "no_such_key = 1"},
	{"nosuchsection", "key = 1"},
};

static void
each_bad_value_reported_as_file_and_line(void **state)
{
	char expect[128], text[512];
	size_t i;

	snprintf(expect, sizeof(expect), "%s:3: ", conf_path);
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		struct eshmd_settings s, before;
		char err[256] = "";

		snprintf(text, sizeof(text), "[%s]\n# comment\n%s\n", bad_lines[i][0],
		         bad_lines[i][1]);
		write_conf(text);
		settings_defaults(&s);
		s.max_segments = 77;
		before = s;
		print_message("%-28s -> ", bad_lines[i][1]);
		assert_int_equal(settings_load_file(&s, conf_path, false, err, sizeof(err)), -1);
		print_message("%s\n", err);
		assert_memory_equal(err, expect, strlen(expect));
		assert_true(strlen(err) > strlen(expect));
		assert_memory_equal(&s, &before, sizeof(s));
	}
}

static void
unknown_key_is_an_error_naming_it(void **state)
{
	struct eshmd_settings s;
	char err[256] = "", expect[128];

	write_conf("[monitor]\ncheck_interval_ms = 20\nstale_ms = 5\n");
	settings_defaults(&s);
	assert_int_equal(settings_load_file(&s, conf_path, false, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s:3: ", conf_path);
	assert_memory_equal(err, expect, strlen(expect));
	assert_non_null(strstr(err, "stale_ms"));
	/* The good line before it was not applied either. */
	assert_int_equal(s.check_interval_ms, 10);
}

static void
syntax_error_reported_with_its_line(void **state)
{
	struct eshmd_settings s;
	char err[256] = "", expect[128];

	write_conf("[monitor]\ncheck_interval_ms = 20\nthis line has no equals sign\n");
	settings_defaults(&s);
	assert_int_equal(settings_load_file(&s, conf_path, false, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s:3: ", conf_path);
	assert_memory_equal(err, expect, strlen(expect));
}

static void
missing_file_is_fine_only_when_optional(void **state)
{
	struct eshmd_settings s, before;
	char err[256] = "";

	settings_defaults(&s);
	before = s;
	assert_int_equal(settings_load_file(&s, "/nonexistent/eshmd.conf", true, err, sizeof(err)),
	                 1);
	assert_memory_equal(&s, &before, sizeof(s));
	assert_int_equal(settings_load_file(&s, "/nonexistent/eshmd.conf", false, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "/nonexistent/eshmd.conf"));
	assert_memory_equal(&s, &before, sizeof(s));
}

static void
empty_file_keeps_the_defaults(void **state)
{
	struct eshmd_settings s, before;
	char err[256] = "";

	write_conf("");
	settings_defaults(&s);
	before = s;
	assert_int_equal(settings_load_file(&s, conf_path, false, err, sizeof(err)), 0);
	assert_memory_equal(&s, &before, sizeof(s));
}

static void
command_line_values_go_through_the_same_checks(void **state)
{
	struct eshmd_settings s;
	char err[256] = "";

	settings_defaults(&s);
	assert_int_equal(settings_set(&s, "eshmd", "shm_prefix", "ok.", err, sizeof(err)), 0);
	assert_string_equal(s.shm_prefix, "ok.");
	assert_int_equal(settings_set(&s, "eshmd", "shm_prefix", "../x", err, sizeof(err)), -1);
	assert_string_equal(s.shm_prefix, "ok.");
	assert_int_equal(settings_set(&s, "eshmd", "socket", "x.sock", err, sizeof(err)), -1);
	assert_int_equal(settings_set(NULL, "eshmd", "socket", "/x", err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_documented_values),
		cmocka_unit_test(good_file_sets_every_key),
		cmocka_unit_test(each_bad_value_reported_as_file_and_line),
		cmocka_unit_test(unknown_key_is_an_error_naming_it),
		cmocka_unit_test(syntax_error_reported_with_its_line),
		cmocka_unit_test(missing_file_is_fine_only_when_optional),
		cmocka_unit_test(empty_file_keeps_the_defaults),
		cmocka_unit_test(command_line_values_go_through_the_same_checks),
	};

	return cmocka_run_group_tests_name("settings", tests, setup, teardown);
}
