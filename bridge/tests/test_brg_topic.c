/*
 * test_brg_topic.c - segment names to DDS topic names: the escape is
 * injective (every name of up to three bytes, and long random ones, come
 * back unchanged, and no two share an escape), its output is a valid Cyclone
 * DDS topic name, and what is not a name, or not an escape, is refused.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "brg_err.h"
#include "brg_topic.h"

static const char tt_alphabet[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

/* Cyclone DDS 0.10's rule for a topic name: [A-Za-z0-9_/], no leading digit. */
static int
tt_valid_topic(const char *t)
{
	if (t[0] == '\0' || (t[0] >= '0' && t[0] <= '9'))
		return 0;
	for (; *t != '\0'; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '_' || *t == '/'))
			return 0;
	return 1;
}

static void
tt_round_trip(const char *name)
{
	char escaped[BRG_ESCAPED_MAX + 1], back[PROTO_NAME_SIZE];

	assert_int_equal(brg_topic_escape(name, escaped, sizeof(escaped)), BRG_OK);
	assert_int_equal(brg_topic_unescape(escaped, back, sizeof(back)), BRG_OK);
	assert_string_equal(back, name);
}

static void
examples_escape_as_documented(void **state)
{
	static const char *const cases[][2] = {
		{"a_b.c-d", "a__b_dc_hd"},
		{"sensor", "sensor"},
		{"9__", "9____"},
		{"x..y--", "x_d_dy_h_h"},
	};
	static const char *const topics[] = {"eshm/a_db/m2s", "eshm/a_db/s2m", "eshm/a_db/state"};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(brg_topic_escape(cases[i][0], out, sizeof(out)), BRG_OK);
		assert_string_equal(out, cases[i][1]);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(brg_topic_name("a.b", (enum brg_topic_kind)i, out, sizeof(out)),
		                 BRG_OK);
		assert_string_equal(out, topics[i]);
	}
}

static int
tt_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every name of one to three bytes: round trip, and no two escapes alike. */
static void
every_short_name_is_injective(void **state)
{
	size_t k = sizeof(tt_alphabet) - 1, max = k + k * k + k * k * k, n = 0, i, j, l;
	char **all = calloc(max, sizeof(*all));
	char name[4];

	assert_non_null(all);
	for (i = 0; i < k; i++) {
		for (j = 0; j <= k; j++) {
			for (l = 0; l <= k; l++) {
				char escaped[8];

				/* j or l == k: the name ends there. */
				if (j == k && l != k)
					continue;
				memset(name, 0, sizeof(name));
				name[0] = tt_alphabet[i];
				name[1] = j < k ? tt_alphabet[j] : '\0';
				name[2] = j < k && l < k ? tt_alphabet[l] : '\0';
				if (name[0] == '.' || name[0] == '-') {
					assert_int_equal(brg_topic_escape(name, escaped, sizeof(escaped)),
					                 BRG_ERR_NAME);
					continue;
				}
				tt_round_trip(name);
				assert_int_equal(brg_topic_escape(name, escaped, sizeof(escaped)), BRG_OK);
				all[n] = strdup(escaped);
				assert_non_null(all[n]);
				n++;
			}
		}
	}
	assert_true(n > 200000);
	qsort(all, n, sizeof(*all), tt_cmp);
	for (i = 1; i < n; i++)
		assert_true(strcmp(all[i - 1], all[i]) != 0);
	for (i = 0; i < n; i++)
		free(all[i]);
	free(all);
}

static void
long_random_names_round_trip_and_fit(void **state)
{
	char name[PROTO_NAME_MAX + 1], topic[BRG_TOPIC_SIZE];
	unsigned seed = 12345;
	int round, i, len;

	for (round = 0; round < 2000; round++) {
		len = 1 + (int)(seed % PROTO_NAME_MAX);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			name[i] = tt_alphabet[(seed >> 16) % (sizeof(tt_alphabet) - 1)];
		}
		name[len] = '\0';
		if (name[0] == '.' || name[0] == '-')
			name[0] = 'x';
		tt_round_trip(name);
		assert_int_equal(brg_topic_name(name, BRG_TOPIC_STATE, topic, sizeof(topic)), BRG_OK);
		assert_true(tt_valid_topic(topic));
	}
	/* The worst case: 200 bytes that all double. */
	memset(name, '_', PROTO_NAME_MAX);
	name[PROTO_NAME_MAX] = '\0';
	tt_round_trip(name);
	assert_int_equal(brg_topic_name(name, BRG_TOPIC_STATE, topic, sizeof(topic)), BRG_OK);
	assert_int_equal(strlen(topic), strlen("eshm//state") + 2 * PROTO_NAME_MAX);
	/* A name starting with a digit still makes a valid topic. */
	assert_int_equal(brg_topic_name("0", BRG_TOPIC_M2S, topic, sizeof(topic)), BRG_OK);
	assert_true(tt_valid_topic(topic));
}

static void
what_is_not_a_name_is_refused(void **state)
{
	char out[BRG_ESCAPED_MAX + 1], toolong[PROTO_NAME_MAX + 2];

	assert_int_equal(brg_topic_escape("", out, sizeof(out)), BRG_ERR_NAME);
	assert_string_equal(out, "");
	assert_int_equal(brg_topic_escape(".x", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_escape("-x", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_escape("a b", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_escape("a/b", out, sizeof(out)), BRG_ERR_NAME);
	memset(toolong, 'a', sizeof(toolong) - 1);
	toolong[sizeof(toolong) - 1] = '\0';
	assert_int_equal(brg_topic_escape(toolong, out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_escape(NULL, out, sizeof(out)), BRG_ERR_INVALID);
	assert_int_equal(brg_topic_escape("a", NULL, 1), BRG_ERR_INVALID);
	assert_int_equal(brg_topic_escape("a", out, 0), BRG_ERR_INVALID);
	assert_int_equal(brg_topic_name("a", (enum brg_topic_kind)3, out, sizeof(out)),
	                 BRG_ERR_INVALID);
	assert_int_equal(brg_topic_name(".a", BRG_TOPIC_M2S, out, sizeof(out)), BRG_ERR_NAME);
}

static void
what_is_not_an_escape_is_refused(void **state)
{
	char out[PROTO_NAME_SIZE];

	assert_int_equal(brg_topic_unescape("a_", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_unescape("a_x", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_unescape("a.b", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_unescape("a/b", out, sizeof(out)), BRG_ERR_NAME);
	/* Escapes of what is no name: "." and "-x". */
	assert_int_equal(brg_topic_unescape("_d", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_unescape("_hx", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_unescape("", out, sizeof(out)), BRG_ERR_NAME);
	assert_int_equal(brg_topic_unescape(NULL, out, sizeof(out)), BRG_ERR_INVALID);
}

static void
a_small_buffer_is_refused_and_left_empty(void **state)
{
	char out[5];

	assert_int_equal(brg_topic_escape("abcd", out, sizeof(out)), BRG_OK);
	assert_int_equal(brg_topic_escape("abcde", out, sizeof(out)), BRG_ERR_TOO_LONG);
	assert_string_equal(out, "");
	assert_int_equal(brg_topic_escape("ab.c", out, sizeof(out)), BRG_ERR_TOO_LONG);
	assert_string_equal(out, "");
	assert_int_equal(brg_topic_unescape("ab_dcd", out, sizeof(out)), BRG_ERR_TOO_LONG);
	assert_string_equal(out, "");
	assert_int_equal(brg_topic_name("a", BRG_TOPIC_STATE, out, sizeof(out)), BRG_ERR_TOO_LONG);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(examples_escape_as_documented),
		cmocka_unit_test(every_short_name_is_injective),
		cmocka_unit_test(long_random_names_round_trip_and_fit),
		cmocka_unit_test(what_is_not_a_name_is_refused),
		cmocka_unit_test(what_is_not_an_escape_is_refused),
		cmocka_unit_test(a_small_buffer_is_refused_and_left_empty),
	};

	return cmocka_run_group_tests_name("brg_topic", tests, NULL, NULL);
}
