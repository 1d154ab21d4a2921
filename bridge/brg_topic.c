/*
 * brg_topic.c - escaping segment names into DDS topic names (brg_topic.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "brg_err.h"
#include "brg_topic.h"

static int
brg_topic_plain(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Each escaped byte of a segment name and the letter after '_' for it. */
static const char brg_topic_escapes[][2] = {{'_', '_'}, {'.', 'd'}, {'-', 'h'}};

/*
 * Look @c up in column @from of the table and return column 1 - @from:
 * the code of a name byte (from 0), or the name byte of a code (from 1);
 * 0 when it has none.
 */
static char
brg_topic_map(char c, int from)
{
	size_t i;

	for (i = 0; i < sizeof(brg_topic_escapes) / sizeof(brg_topic_escapes[0]); i++)
		if (brg_topic_escapes[i][from] == c)
			return brg_topic_escapes[i][1 - from];
	return 0;
}

/* Both directions take a string and fill a buffer: empty it first. */
static bool
brg_topic_args(const char *in, char *out, size_t size)
{
	if (in == NULL || out == NULL || size == 0)
		return false;
	out[0] = '\0';
	return true;
}

/* Append @len bytes at @s to @out at *@n, keeping room for the NUL; a
 * result that does not fit leaves @out empty. */
static bool
brg_topic_put(char *out, size_t size, size_t *n, const char *s, size_t len)
{
	if (*n + len >= size) {
		out[0] = '\0';
		return false;
	}
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
	return true;
}

int
brg_topic_escape(const char *name, char *out, size_t size)
{
	size_t n = 0;

	if (!brg_topic_args(name, out, size))
		return BRG_ERR_INVALID;
	if (proto_name_valid(name) != 0)
		return BRG_ERR_NAME;
	for (; *name != '\0'; name++) {
		char pair[2] = {'_', brg_topic_map(*name, 0)};
		bool ok = pair[1] != 0 ? brg_topic_put(out, size, &n, pair, 2)
		                       : brg_topic_put(out, size, &n, name, 1);

		if (!ok)
			return BRG_ERR_TOO_LONG;
	}
	return BRG_OK;
}

int
brg_topic_unescape(const char *escaped, char *out, size_t size)
{
	size_t n = 0;

	if (!brg_topic_args(escaped, out, size))
		return BRG_ERR_INVALID;
	while (*escaped != '\0') {
		char c = *escaped++;

		/* Every '_' starts a pair: that is what makes the escape injective. */
		if (c == '_') {
			c = brg_topic_map(*escaped, 1);
			if (c == 0)
				return BRG_ERR_NAME;
			escaped++;
		} else if (!brg_topic_plain(c)) {
			return BRG_ERR_NAME;
		}
		if (!brg_topic_put(out, size, &n, &c, 1))
			return BRG_ERR_TOO_LONG;
	}
	if (proto_name_valid(out) != 0) {
		out[0] = '\0';
		return BRG_ERR_NAME;
	}
	return BRG_OK;
}

int
brg_topic_name(const char *name, enum brg_topic_kind kind, char *out, size_t size)
{
	static const char *const suffix[] = {"m2s", "s2m", "state"};
	char escaped[BRG_ESCAPED_MAX + 1];
	int rc, len;

	if (out == NULL || size == 0)
		return BRG_ERR_INVALID;
	out[0] = '\0';
	if ((unsigned)kind > BRG_TOPIC_STATE)
		return BRG_ERR_INVALID;
	rc = brg_topic_escape(name, escaped, sizeof(escaped));
	if (rc != BRG_OK)
		return rc;
	len = snprintf(out, size, "%s/%s/%s", BRG_TOPIC_ROOT, escaped, suffix[kind]);
	if (len < 0 || (size_t)len >= size) {
		out[0] = '\0';
		return BRG_ERR_TOO_LONG;
	}
	return BRG_OK;
}
