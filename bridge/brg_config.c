/*
 * brg_config.c - the bridge's INI file (brg_config.h), read with libinih.
 *
 * The keys are a table: one row says where a value goes and what it may
 * be, so the file, the command line and eshm-bridge(8) cannot drift apart
 * key by key.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brg_config.h"
#include "brg_err.h"
#include "layout.h"

#define BRG_CONFIG_FILE_MAX (64 * 1024)
/* libinih cuts longer lines, and reads the rest as a line of its own. */
#define BRG_CONFIG_LINE_MAX (INI_MAX_LINE - 2)

enum brg_kind {
	BRG_K_NAME,   /* a segment name */
	BRG_K_ROLE,   /* master | slave */
	BRG_K_LABEL,  /* printable text for people, "" allowed */
	BRG_K_PATH,   /* an absolute path, "" allowed */
	BRG_K_U32,
	BRG_K_U64,
	BRG_K_MODE,   /* latest | queue */
	BRG_K_IFACE,  /* a network interface name */
	BRG_K_PEERS,  /* addresses separated by blanks or commas */
	BRG_K_BOOL,
};

struct brg_key {
	const char *section;
	const char *key;
	enum brg_kind kind;
	size_t offset;
	size_t size;      /* of a text field */
	uint64_t min, max;
};

#define BRG_FIELD(f) offsetof(struct brg_config, f), sizeof(((struct brg_config *)0)->f)

static const struct brg_key brg_keys[] = {
	{"bridge", "segment", BRG_K_NAME, BRG_FIELD(segment), 0, 0},
	{"bridge", "stand_in", BRG_K_ROLE, BRG_FIELD(stand_in), 0, 0},
	{"bridge", "host", BRG_K_LABEL, BRG_FIELD(host), 0, 0},
	{"bridge", "remote_host", BRG_K_LABEL, BRG_FIELD(remote_host), 0, 0},
	{"bridge", "socket", BRG_K_PATH, BRG_FIELD(socket), 0, 0},
	{"segment", "capacity", BRG_K_U64, BRG_FIELD(capacity), 1, SEG_CAPACITY_MAX},
	{"segment", "mode", BRG_K_MODE, BRG_FIELD(mode), 0, 0},
	{"segment", "queue_depth", BRG_K_U32, BRG_FIELD(queue_depth), 0, ESHM_QUEUE_DEPTH_MAX},
	{"dds", "domain", BRG_K_U32, BRG_FIELD(domain), 0, BRG_DOMAIN_MAX},
	{"dds", "interface", BRG_K_IFACE, BRG_FIELD(interface), 0, 0},
	{"dds", "peers", BRG_K_PEERS, BRG_FIELD(peers), 0, 0},
	{"dds", "multicast", BRG_K_BOOL, BRG_FIELD(multicast), 0, 0},
	{"liveness", "stale_threshold_ms", BRG_K_U32, BRG_FIELD(stale_threshold_ms), 0,
	 ESHM_STALE_THRESHOLD_MS_MAX},
	{"liveness", "lease_ms", BRG_K_U32, BRG_FIELD(lease_ms), 100, 60000},
	{"liveness", "state_period_ms", BRG_K_U32, BRG_FIELD(state_period_ms), 0, 1000},
	{"liveness", "dead_after_ms", BRG_K_U32, BRG_FIELD(dead_after_ms), 200, 3600000},
};

/* Where messages go: the caller's buffer, or @scratch when it gave none. */
static void
brg_config_errbuf(char **err, size_t *errlen, char *scratch, size_t size)
{
	if (*err == NULL || *errlen == 0) {
		*err = scratch;
		*errlen = size;
	}
}

/* The start of each reading function: messages have a buffer, @c and @what are there. */
static bool
brg_config_begin(const struct brg_config *c, const void *what, char **err, size_t *errlen,
                 char *scratch, size_t size)
{
	brg_config_errbuf(err, errlen, scratch, size);
	if (c != NULL && what != NULL)
		return true;
	snprintf(*err, *errlen, "no configuration given");
	return false;
}

int
brg_config_defaults(struct brg_config *c)
{
	if (c == NULL)
		return BRG_ERR_INVALID;
	memset(c, 0, sizeof(*c));
	c->stand_in = ESHM_ROLE_AUTO; /* "not given": the file must say */
	c->capacity = 4096;
	c->mode = ESHM_CHANNEL_LATEST;
	c->multicast = true;
	c->lease_ms = 1000;
	c->dead_after_ms = 3000;
	return BRG_OK;
}

/* Decimal digits only (no sign, no blank, no base prefix) in @min..@max. */
static bool
brg_config_number(const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (*value == '\0')
		return false;
	for (p = value; *p != '\0'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Printable ASCII without the characters an XML attribute or a log line would take apart. */
static bool
brg_config_label_ok(const char *value, size_t size)
{
	const unsigned char *p;

	if (strlen(value) >= size)
		return false;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || strchr("<>&\"'", *p) != NULL)
			return false;
	return true;
}

/* An interface name as the kernel takes it: no '/', no blank, under IFNAMSIZ. */
static bool
brg_config_iface_ok(const char *value)
{
	const char *p;

	if (value[0] == '\0' || strlen(value) >= BRG_IFNAME_SIZE)
		return false;
	for (p = value; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.:@-", *p) != NULL))
			return false;
	return true;
}

/* An IPv4 or IPv6 address or a host name: what Cyclone's <Peer address> takes. */
static bool
brg_config_peer_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len >= BRG_PEER_SIZE)
		return false;
	for (i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || strchr(".:-[]", p[i]) != NULL))
			return false;
	return true;
}

static int
brg_config_peers(struct brg_config *c, const char *value, char *err, size_t errlen)
{
	char peers[BRG_PEERS_MAX][BRG_PEER_SIZE];
	unsigned n = 0;
	const char *p = value;

	memset(peers, 0, sizeof(peers));
	for (;;) {
		size_t len;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		len = strcspn(p, " \t,");
		if (n == BRG_PEERS_MAX) {
			snprintf(err, errlen, "more than %d peers", BRG_PEERS_MAX);
			return BRG_ERR_CONFIG;
		}
		if (!brg_config_peer_ok(p, len)) {
			snprintf(err, errlen,
			         "bad peer '%.*s': expected an address or host name of at most "
			         "%d characters",
			         (int)len, p, BRG_PEER_SIZE - 1);
			return BRG_ERR_CONFIG;
		}
		memcpy(peers[n++], p, len);
		p += len;
	}
	memcpy(c->peers, peers, sizeof(peers));
	c->npeers = n;
	return BRG_OK;
}

static bool
brg_config_word(const char *value, const char *yes, const char *no, bool *out)
{
	if (strcmp(value, yes) == 0)
		*out = true;
	else if (strcmp(value, no) == 0)
		*out = false;
	else
		return false;
	return true;
}

/*
 * Whether @value is acceptable for @k; a number, or a word's meaning, is
 * decoded into *@num.
 */
static bool
brg_config_accept(const struct brg_key *k, const char *value, uint64_t *num)
{
	bool b = false;

	*num = 0;
	switch (k->kind) {
	case BRG_K_NAME:
		return proto_name_valid(value) == 0;
	case BRG_K_LABEL:
		return brg_config_label_ok(value, k->size);
	case BRG_K_PATH:
		return value[0] == '\0' || (value[0] == '/' && strlen(value) < k->size);
	case BRG_K_IFACE:
		return brg_config_iface_ok(value);
	case BRG_K_U32:
	case BRG_K_U64:
		return brg_config_number(value, k->min, k->max, num);
	case BRG_K_ROLE:
		if (!brg_config_word(value, "master", "slave", &b))
			return false;
		*num = b ? ESHM_ROLE_MASTER : ESHM_ROLE_SLAVE;
		return true;
	case BRG_K_MODE:
		if (!brg_config_word(value, "queue", "latest", &b))
			return false;
		*num = b ? ESHM_CHANNEL_QUEUE : ESHM_CHANNEL_LATEST;
		return true;
	case BRG_K_BOOL:
		if (!brg_config_word(value, "yes", "no", &b))
			return false;
		*num = b;
		return true;
	case BRG_K_PEERS:
		return true;
	}
	return false;
}

/* Store an accepted @value (decoded as @num) where @k says. */
static void
brg_config_store(struct brg_config *c, const struct brg_key *k, const char *value, uint64_t num)
{
	void *field = (char *)c + k->offset;

	switch (k->kind) {
	case BRG_K_U32:
		*(uint32_t *)field = (uint32_t)num;
		break;
	case BRG_K_U64:
		*(uint64_t *)field = num;
		break;
	case BRG_K_ROLE:
		*(ESHMRole *)field = (ESHMRole)num;
		break;
	case BRG_K_MODE:
		*(ESHMChannelMode *)field = (ESHMChannelMode)num;
		break;
	case BRG_K_BOOL:
		*(bool *)field = num != 0;
		break;
	default:
		/* Text: its length was checked against the field. */
		snprintf(field, k->size, "%s", value);
		break;
	}
}

/* What @k accepts, for the message that refuses a value. */
static void
brg_config_expected(const struct brg_key *k, char *buf, size_t len)
{
	switch (k->kind) {
	case BRG_K_NAME:
		snprintf(buf, len, "a segment name: 1..%d of [A-Za-z0-9._-], not starting with "
		                   "'.' or '-'", PROTO_NAME_MAX);
		break;
	case BRG_K_ROLE:
		snprintf(buf, len, "master or slave");
		break;
	case BRG_K_LABEL:
		snprintf(buf, len, "at most %zu printable characters, none of <>&\"'", k->size - 1);
		break;
	case BRG_K_PATH:
		snprintf(buf, len, "an absolute path under %zu bytes", k->size);
		break;
	case BRG_K_U32:
	case BRG_K_U64:
		snprintf(buf, len, "a number in %llu..%llu", (unsigned long long)k->min,
		         (unsigned long long)k->max);
		break;
	case BRG_K_MODE:
		snprintf(buf, len, "latest or queue");
		break;
	case BRG_K_IFACE:
		snprintf(buf, len, "an interface name of 1..%d of [A-Za-z0-9_.:@-]",
		         BRG_IFNAME_SIZE - 1);
		break;
	case BRG_K_BOOL:
		snprintf(buf, len, "yes or no");
		break;
	case BRG_K_PEERS:
		snprintf(buf, len, "addresses");
		break;
	}
}

int
brg_config_set(struct brg_config *c, const char *section, const char *key, const char *value,
               char *err, size_t errlen)
{
	bool section_known = false;
	char scratch[256];
	uint64_t num;
	size_t i;

	brg_config_errbuf(&err, &errlen, scratch, sizeof(scratch));
	if (c == NULL || section == NULL || key == NULL || value == NULL) {
		snprintf(err, errlen, "missing value");
		return BRG_ERR_INVALID;
	}
	for (i = 0; i < sizeof(brg_keys) / sizeof(brg_keys[0]); i++) {
		const struct brg_key *k = &brg_keys[i];
		char expected[128];

		if (strcmp(k->section, section) != 0)
			continue;
		section_known = true;
		if (strcmp(k->key, key) != 0)
			continue;
		if (k->kind == BRG_K_PEERS)
			return brg_config_peers(c, value, err, errlen);
		if (brg_config_accept(k, value, &num)) {
			brg_config_store(c, k, value, num);
			return BRG_OK;
		}
		brg_config_expected(k, expected, sizeof(expected));
		snprintf(err, errlen, "bad value '%s' for %s: expected %s", value, key, expected);
		return BRG_ERR_CONFIG;
	}
	if (section_known)
		snprintf(err, errlen, "unknown key '%s' in [%s]", key, section);
	else if (section[0] == '\0')
		snprintf(err, errlen, "key '%s' outside of any section", key);
	else
		snprintf(err, errlen, "unknown section [%s]", section);
	return BRG_ERR_CONFIG;
}

/* libinih reads the text through brg_config_line, which counts the lines. */
struct brg_config_text {
	const char *next;          /* what libinih has not read yet */
	int line, err_line;        /* the line read last; the first refused */
	struct brg_config *c;
	char err[256];             /* why that line was refused */
};

static char *
brg_config_line(char *str, int num, void *stream)
{
	struct brg_config_text *t = stream;
	size_t len;

	if (*t->next == '\0' || num < 2)
		return NULL;
	len = strcspn(t->next, "\n");
	if (t->next[len] == '\n')
		len++;
	/* Lines were measured beforehand: this only guards the buffer. */
	if (len > (size_t)num - 1)
		len = (size_t)num - 1;
	memcpy(str, t->next, len);
	str[len] = '\0';
	t->next += len;
	t->line++;
	return str;
}

static int
brg_config_entry(void *user, const char *section, const char *key, const char *value)
{
	struct brg_config_text *t = user;
	char why[sizeof(t->err)];
	int rc;

	/* Some libinih builds announce a section alone, with no key. */
	rc = key == NULL ? BRG_OK : brg_config_set(t->c, section, key, value, why, sizeof(why));
	if (rc != BRG_OK && t->err_line == 0) {
		t->err_line = t->line;
		memcpy(t->err, why, sizeof(t->err));
	}
	return rc == BRG_OK;
}

/* The first line of @text longer than libinih reads whole, or 0. */
static int
brg_config_long_line(const char *text)
{
	int line = 1;

	for (;;) {
		size_t len = strcspn(text, "\n");

		if (len > BRG_CONFIG_LINE_MAX)
			return line;
		if (text[len] == '\0')
			return 0;
		text += len + 1;
		line++;
	}
}

int
brg_config_parse(struct brg_config *c, const char *text, const char *origin, char *err,
                 size_t errlen)
{
	struct brg_config_text t;
	struct brg_config copy;
	int rc, long_line;
	char scratch[256];

	if (!brg_config_begin(c, text, &err, &errlen, scratch, sizeof(scratch)))
		return BRG_ERR_INVALID;
	if (origin == NULL)
		origin = "configuration";
	long_line = brg_config_long_line(text);
	if (long_line > 0) {
		snprintf(err, errlen,
		         "%s:%d: line longer than %d characters (use --segment for a long "
		         "segment name)",
		         origin, long_line, BRG_CONFIG_LINE_MAX);
		return BRG_ERR_CONFIG;
	}
	/* A file with a mistake leaves @c as it was. */
	copy = *c;
	memset(&t, 0, sizeof(t));
	t.c = &copy;
	t.next = text;
	rc = ini_parse_stream(brg_config_line, &t, brg_config_entry, &t);
	if (rc == 0) {
		*c = copy;
		return BRG_OK;
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return BRG_ERR_NO_MEMORY;
	}
	if (rc == t.err_line)
		snprintf(err, errlen, "%s:%d: %s", origin, rc, t.err);
	else
		snprintf(err, errlen, "%s:%d: syntax error: expected [section], key = value "
		                      "or a comment", origin, rc);
	return BRG_ERR_CONFIG;
}

int
brg_config_load(struct brg_config *c, const char *path, char *err, size_t errlen)
{
	char *text;
	ssize_t n = 0;
	size_t got = 0;
	int fd, rc;
	char scratch[256];

	if (!brg_config_begin(c, path, &err, &errlen, scratch, sizeof(scratch)))
		return BRG_ERR_INVALID;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return BRG_ERR_IO;
	}
	text = malloc(BRG_CONFIG_FILE_MAX + 1);
	if (text == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return BRG_ERR_NO_MEMORY;
	}
	/* One byte more than allowed tells a file that is too large. */
	while (got <= BRG_CONFIG_FILE_MAX) {
		n = read(fd, text + got, BRG_CONFIG_FILE_MAX + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0 || got > BRG_CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
		         rc < 0 ? strerror(-rc) : "larger than 64 KiB");
		free(text);
		return BRG_ERR_IO;
	}
	text[got] = '\0';
	if (strlen(text) != got) {
		snprintf(err, errlen, "%s: not a text file (holds a NUL byte)", path);
		free(text);
		return BRG_ERR_CONFIG;
	}
	rc = brg_config_parse(c, text, path, err, errlen);
	free(text);
	return rc;
}

uint32_t
brg_config_state_period(const struct brg_config *c)
{
	uint32_t p;

	if (c == NULL)
		return 1000;
	p = c->state_period_ms != 0 ? c->state_period_ms : c->lease_ms / 4;
	if (p > 1000)
		p = 1000;
	return p < 10 ? 10 : p;
}

int
brg_config_check(const struct brg_config *c, char *err, size_t errlen)
{
	uint32_t period;
	char scratch[256];

	if (!brg_config_begin(c, c, &err, &errlen, scratch, sizeof(scratch)))
		return BRG_ERR_INVALID;
	if (c->segment[0] == '\0') {
		snprintf(err, errlen, "no segment: set segment in [bridge] (or --segment)");
		return BRG_ERR_CONFIG;
	}
	if (c->stand_in != ESHM_ROLE_MASTER && c->stand_in != ESHM_ROLE_SLAVE) {
		snprintf(err, errlen,
		         "no stand_in role: set stand_in = master or slave in [bridge], the "
		         "role whose process runs on the other host");
		return BRG_ERR_CONFIG;
	}
	if (c->interface[0] == '\0') {
		snprintf(err, errlen,
		         "no interface: set interface in [dds], the one network interface "
		         "the bridge may use");
		return BRG_ERR_CONFIG;
	}
	if (!c->multicast && c->npeers == 0) {
		snprintf(err, errlen,
		         "multicast = no needs peers in [dds]: without either, no other bridge "
		         "can be found");
		return BRG_ERR_CONFIG;
	}
	period = brg_config_state_period(c);
	if (period >= c->lease_ms) {
		snprintf(err, errlen, "state_period_ms (%u) must be shorter than lease_ms (%u)",
		         period, c->lease_ms);
		return BRG_ERR_CONFIG;
	}
	if (c->dead_after_ms <= c->lease_ms) {
		snprintf(err, errlen, "dead_after_ms (%u) must be longer than lease_ms (%u)",
		         c->dead_after_ms, c->lease_ms);
		return BRG_ERR_CONFIG;
	}
	return BRG_OK;
}
