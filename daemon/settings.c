/*
 * settings.c - eshmd's settings: built-in defaults and the INI file.
 *
 * Every value goes through settings_set(), whether it comes from the file
 * or from the command line, so both reject the same mistakes.
 */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eshm.h"
#include "layout.h"
#include "history.h"
#include "settings.h"

#define SETTINGS_PREFIX_MAX 50      /* prefix + 200-byte name stays under NAME_MAX */
#define SETTINGS_INTERVAL_MAX 1000u
#define SETTINGS_COUNT_MAX 1000000u
#define SETTINGS_IDLE_MAX (30u * 86400u)
#define SETTINGS_BYTES_MAX (UINT64_C(1) << 50)
#define SETTINGS_GIB (UINT64_C(1) << 30)

static void __attribute__((format(printf, 3, 4)))
settings_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
settings_defaults(struct eshmd_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->socket_path, sizeof(s->socket_path), "%s", ESHM_DEFAULT_SOCKET);
	snprintf(s->shm_prefix, sizeof(s->shm_prefix), "eshm.");
	s->default_stale_ms = 100;
	s->check_interval_ms = 10;
	s->socket_mode = 0660;
	s->max_segments = 16384;
	s->max_segments_user = 256;
	s->max_endpoints = 32768;
	s->max_clients = 1024;
	s->max_clients_user = 64;
	s->max_bytes = 4 * SETTINGS_GIB;
	s->max_bytes_user = SETTINGS_GIB;
	s->max_observers = 8;
	s->max_capacity = SEG_CAPACITY_MAX;
	s->cleanup = ESHMD_CLEANUP_ON_EMPTY;
	s->cleanup_idle_s = 300;
	s->access = ESHMD_ACCESS_OWNER;
	snprintf(s->access_group, sizeof(s->access_group), "eshm");
	s->verbose = false;
	s->event_history = HIST_DEFAULT;
}

const char *
settings_cleanup_name(enum eshmd_cleanup cleanup)
{
	switch (cleanup) {
	case ESHMD_CLEANUP_ON_EMPTY:
		return "on-empty";
	case ESHMD_CLEANUP_KEEP:
		return "keep";
	case ESHMD_CLEANUP_IDLE:
		return "idle";
	}
	return "?";
}

const char *
settings_access_name(enum eshmd_access access)
{
	switch (access) {
	case ESHMD_ACCESS_OWNER:
		return "owner";
	case ESHMD_ACCESS_GROUP:
		return "group";
	case ESHMD_ACCESS_ANYONE:
		return "anyone";
	}
	return "?";
}

/* A decimal number in @min..@max, nothing else on the line. */
static int
settings_number(const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (value[0] < '0' || value[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
settings_u64(const char *key, const char *value, uint64_t min, uint64_t max, uint64_t *out,
             char *err, size_t errlen)
{
	if (settings_number(value, min, max, out) < 0) {
		settings_err(err, errlen, "bad value '%s' for %s: expected a number in %llu..%llu",
		             value, key, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int
settings_u32(const char *key, const char *value, uint64_t min, uint64_t max, uint32_t *out,
             char *err, size_t errlen)
{
	uint64_t v;

	if (settings_u64(key, value, min, max, &v, err, errlen) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
settings_prefix(struct eshmd_settings *s, const char *value, char *err, size_t errlen)
{
	size_t len = strlen(value), i;

	for (i = 0; i < len; i++) {
		char c = value[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			break;
	}
	if (len == 0 || len > SETTINGS_PREFIX_MAX || i != len || value[0] == '.') {
		settings_err(err, errlen,
		             "bad value '%s' for shm_prefix: expected 1..%d of [A-Za-z0-9._-], "
		             "not starting with '.'",
		             value, SETTINGS_PREFIX_MAX);
		return -1;
	}
	snprintf(s->shm_prefix, sizeof(s->shm_prefix), "%s", value);
	return 0;
}

static int
settings_bool(const char *key, const char *value, bool *out, char *err, size_t errlen)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
	    strcmp(value, "on") == 0)
		*out = true;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
	         strcmp(value, "0") == 0 || strcmp(value, "off") == 0)
		*out = false;
	else {
		settings_err(err, errlen, "bad value '%s' for %s: expected yes or no", value, key);
		return -1;
	}
	return 0;
}

/* A group name (resolved at load and on SIGHUP, not here); "" when @empty_ok. */
static int
settings_group(const char *key, const char *value, bool empty_ok, char *out, size_t outlen,
               char *err, size_t errlen)
{
	if ((value[0] == '\0' && !empty_ok) || strlen(value) >= outlen ||
	    strpbrk(value, ": \t\n") != NULL) {
		settings_err(err, errlen, "bad value '%s' for %s: expected a group name", value, key);
		return -1;
	}
	snprintf(out, outlen, "%s", value);
	return 0;
}

/* An absolute path that fits @outlen, or "" when @empty_ok. */
static int
settings_path(const char *key, const char *value, bool empty_ok, char *out, size_t outlen,
              char *err, size_t errlen)
{
	if (!((value[0] == '\0' && empty_ok) || (value[0] == '/' && strlen(value) < outlen))) {
		settings_err(err, errlen,
		             "bad value '%s' for %s: expected an absolute path under %zu bytes",
		             value, key, outlen);
		return -1;
	}
	snprintf(out, outlen, "%s", value);
	return 0;
}

/* A file mode in octal, at most 0777. */
static int
settings_mode(const char *key, const char *value, uint32_t *out, char *err, size_t errlen)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 8);
	if (value[0] < '0' || value[0] > '7' || errno != 0 || *end != '\0' || v > 0777) {
		settings_err(err, errlen, "bad value '%s' for %s: expected an octal mode such as 0660",
		             value, key);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
settings_set_eshmd(struct eshmd_settings *s, const char *key, const char *value, char *err,
                   size_t errlen)
{
	if (strcmp(key, "socket") == 0)
		return settings_path(key, value, false, s->socket_path, sizeof(s->socket_path), err,
		                     errlen);
	if (strcmp(key, "records_directory") == 0)
		return settings_path(key, value, true, s->records_dir, sizeof(s->records_dir), err,
		                     errlen);
	if (strcmp(key, "socket_mode") == 0)
		return settings_mode(key, value, &s->socket_mode, err, errlen);
	if (strcmp(key, "socket_group") == 0)
		return settings_group(key, value, true, s->socket_group, sizeof(s->socket_group),
		                      err, errlen);
	if (strcmp(key, "shm_prefix") == 0)
		return settings_prefix(s, value, err, errlen);
	if (strcmp(key, "verbose") == 0)
		return settings_bool(key, value, &s->verbose, err, errlen);
	if (strcmp(key, "event_history") == 0)
		return settings_u32(key, value, 0, HIST_MAX, &s->event_history, err, errlen);
	settings_err(err, errlen, "unknown key '%s' in [eshmd]", key);
	return -1;
}

static int
settings_set_monitor(struct eshmd_settings *s, const char *key, const char *value, char *err,
                     size_t errlen)
{
	if (strcmp(key, "default_stale_threshold_ms") == 0)
		return settings_u32(key, value, ESHM_STALE_THRESHOLD_MS_MIN,
		                    ESHM_STALE_THRESHOLD_MS_MAX, &s->default_stale_ms, err, errlen);
	if (strcmp(key, "check_interval_ms") == 0)
		return settings_u32(key, value, 1, SETTINGS_INTERVAL_MAX, &s->check_interval_ms, err,
		                    errlen);
	settings_err(err, errlen, "unknown key '%s' in [monitor]", key);
	return -1;
}

static int
settings_set_limits(struct eshmd_settings *s, const char *key, const char *value, char *err,
                    size_t errlen)
{
	if (strcmp(key, "max_segments") == 0)
		return settings_u32(key, value, 1, SETTINGS_COUNT_MAX, &s->max_segments, err,
		                    errlen);
	if (strcmp(key, "max_segments_per_user") == 0)
		return settings_u32(key, value, 1, SETTINGS_COUNT_MAX, &s->max_segments_user, err,
		                    errlen);
	if (strcmp(key, "max_connections_per_user") == 0)
		return settings_u32(key, value, 1, SETTINGS_COUNT_MAX, &s->max_clients_user, err,
		                    errlen);
	if (strcmp(key, "max_observers") == 0)
		return settings_u32(key, value, 0, SEG_OBSERVERS_MAX, &s->max_observers, err,
		                    errlen);
	if (strcmp(key, "max_bytes") == 0)
		return settings_u64(key, value, SEG_PAGE, SETTINGS_BYTES_MAX, &s->max_bytes, err,
		                    errlen);
	if (strcmp(key, "max_bytes_per_user") == 0)
		return settings_u64(key, value, SEG_PAGE, SETTINGS_BYTES_MAX, &s->max_bytes_user,
		                    err, errlen);
	if (strcmp(key, "max_endpoints") == 0)
		return settings_u32(key, value, 1, SETTINGS_COUNT_MAX, &s->max_endpoints, err,
		                    errlen);
	if (strcmp(key, "max_connections") == 0)
		return settings_u32(key, value, 1, SETTINGS_COUNT_MAX, &s->max_clients, err,
		                    errlen);
	if (strcmp(key, "max_capacity") == 0)
		return settings_u64(key, value, 1, SEG_CAPACITY_MAX, &s->max_capacity, err, errlen);
	settings_err(err, errlen, "unknown key '%s' in [limits]", key);
	return -1;
}

static int
settings_set_cleanup(struct eshmd_settings *s, const char *key, const char *value, char *err,
                     size_t errlen)
{
	if (strcmp(key, "policy") == 0) {
		if (strcmp(value, "on-empty") == 0)
			s->cleanup = ESHMD_CLEANUP_ON_EMPTY;
		else if (strcmp(value, "keep") == 0)
			s->cleanup = ESHMD_CLEANUP_KEEP;
		else if (strcmp(value, "idle") == 0)
			s->cleanup = ESHMD_CLEANUP_IDLE;
		else {
			settings_err(err, errlen,
			             "bad value '%s' for policy: expected on-empty, keep or idle",
			             value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "idle_seconds") == 0)
		return settings_u32(key, value, 1, SETTINGS_IDLE_MAX, &s->cleanup_idle_s, err,
		                    errlen);
	settings_err(err, errlen, "unknown key '%s' in [cleanup]", key);
	return -1;
}

static int
settings_set_access(struct eshmd_settings *s, const char *key, const char *value, char *err,
                    size_t errlen)
{
	if (strcmp(key, "policy") == 0) {
		if (strcmp(value, "owner") == 0)
			s->access = ESHMD_ACCESS_OWNER;
		else if (strcmp(value, "group") == 0)
			s->access = ESHMD_ACCESS_GROUP;
		else if (strcmp(value, "anyone") == 0)
			s->access = ESHMD_ACCESS_ANYONE;
		else {
			settings_err(err, errlen,
			             "bad value '%s' for policy: expected owner, group or anyone",
			             value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "group") == 0)
		return settings_group(key, value, false, s->access_group, sizeof(s->access_group),
		                      err, errlen);
	if (strcmp(key, "admin_group") == 0)
		return settings_group(key, value, true, s->admin_group, sizeof(s->admin_group), err,
		                      errlen);
	if (strcmp(key, "bridge_group") == 0)
		return settings_group(key, value, true, s->bridge_group, sizeof(s->bridge_group),
		                      err, errlen);
	settings_err(err, errlen, "unknown key '%s' in [access]", key);
	return -1;
}

int
settings_set(struct eshmd_settings *s, const char *section, const char *key, const char *value,
             char *err, size_t errlen)
{
	if (s == NULL || section == NULL || key == NULL || value == NULL) {
		settings_err(err, errlen, "missing value");
		return -1;
	}
	if (strcmp(section, "eshmd") == 0)
		return settings_set_eshmd(s, key, value, err, errlen);
	if (strcmp(section, "monitor") == 0)
		return settings_set_monitor(s, key, value, err, errlen);
	if (strcmp(section, "limits") == 0)
		return settings_set_limits(s, key, value, err, errlen);
	if (strcmp(section, "cleanup") == 0)
		return settings_set_cleanup(s, key, value, err, errlen);
	if (strcmp(section, "access") == 0)
		return settings_set_access(s, key, value, err, errlen);
	if (section[0] == '\0')
		settings_err(err, errlen, "key '%s' outside of any section", key);
	else
		settings_err(err, errlen, "unknown section [%s]", section);
	return -1;
}

/* Parser state: the line being parsed and the first error seen. */
struct settings_parse {
	struct eshmd_settings *s;
	FILE *file;
	int line;
	int err_line;
	char err[256];
};

/* inih reads through this, so the handler knows the line it is called for. */
static char *
settings_reader(char *str, int num, void *stream)
{
	struct settings_parse *p = stream;
	char *r = fgets(str, num, p->file);

	if (r != NULL)
		p->line++;
	return r;
}

static int
settings_handler(void *user, const char *section, const char *key, const char *value)
{
	struct settings_parse *p = user;
	char err[sizeof(p->err)];

	/* A section header alone is announced with a NULL key by some builds. */
	if (key == NULL)
		return 1;
	if (settings_set(p->s, section, key, value, err, sizeof(err)) == 0)
		return 1;
	if (p->err_line == 0) {
		p->err_line = p->line;
		snprintf(p->err, sizeof(p->err), "%s", err);
	}
	return 0;
}

int
settings_load_file(struct eshmd_settings *s, const char *path, bool missing_ok, char *err,
                   size_t errlen)
{
	struct settings_parse p;
	struct eshmd_settings copy;
	int r;

	if (s == NULL || path == NULL) {
		settings_err(err, errlen, "no file given");
		return -1;
	}
	memset(&p, 0, sizeof(p));
	p.file = fopen(path, "re");
	if (p.file == NULL) {
		if (errno == ENOENT && missing_ok)
			return 1;
		settings_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Parse into a copy: a bad file must leave the running settings alone. */
	copy = *s;
	p.s = &copy;
	r = ini_parse_stream(settings_reader, &p, settings_handler, &p);
	fclose(p.file);
	if (r == 0) {
		*s = copy;
		return 0;
	}
	if (r < 0)
		settings_err(err, errlen, "%s: cannot parse (out of memory)", path);
	else if (r == p.err_line)
		settings_err(err, errlen, "%s:%d: %s", path, r, p.err);
	else
		settings_err(err, errlen,
		             "%s:%d: syntax error: expected [section], key = value or a comment",
		             path, r);
	return -1;
}
