/*
 * settings.h - eshmd's settings: built-in defaults, then the configuration
 * file, then the command line, each overriding the one before.
 */
#ifndef ESHMD_SETTINGS_H
#define ESHMD_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The configuration file read without --config, ESHMD_CONF_DEFAULT, is
 * $(sysconfdir)/eshm/eshmd.conf as the build was configured: daemon/local.mk
 * passes it to eshmd, so an installation under any prefix reads its own.
 */

enum eshmd_cleanup {
	ESHMD_CLEANUP_ON_EMPTY = 0, /* unlink when all endpoints are gone (if the segment asked) */
	ESHMD_CLEANUP_KEEP = 1,     /* never unlink on its own */
	ESHMD_CLEANUP_IDLE = 2,     /* unlink after cleanup_idle_s with no endpoint */
};

enum eshmd_access {
	ESHMD_ACCESS_OWNER = 0,  /* the creator's uid (and root) */
	ESHMD_ACCESS_GROUP = 1,  /* members of access_group (and the owner, root) */
	ESHMD_ACCESS_ANYONE = 2,
};

struct eshmd_settings {
	char socket_path[108];       /* [eshmd] socket */
	char shm_prefix[64];         /* [eshmd] shm_prefix, e.g. "eshm." */
	char records_dir[108];       /* [eshmd] records_directory; "": "records" beside the socket */
	uint32_t socket_mode;        /* [eshmd] socket_mode (octal) when eshmd binds its socket */
	char socket_group[64];       /* [eshmd] socket_group; "": eshm if it exists, else eshmd's */
	uint32_t default_stale_ms;   /* [monitor] default_stale_threshold_ms */
	uint32_t check_interval_ms;  /* [monitor] check_interval_ms */
	uint32_t max_segments;       /* [limits] max_segments */
	uint32_t max_segments_user;  /* [limits] max_segments_per_user */
	uint32_t max_endpoints;      /* [limits] max_endpoints (attached at once) */
	uint32_t max_clients;        /* [limits] max_connections */
	uint32_t max_clients_user;   /* [limits] max_connections_per_user */
	uint64_t max_bytes;          /* [limits] max_bytes (of all segments' memfds) */
	uint64_t max_bytes_user;     /* [limits] max_bytes_per_user */
	uint32_t max_observers;      /* [limits] max_observers (per segment) */
	uint64_t max_capacity;       /* [limits] max_capacity (bytes per channel) */
	enum eshmd_cleanup cleanup;  /* [cleanup] policy = on-empty | keep | idle */
	uint32_t cleanup_idle_s;     /* [cleanup] idle_seconds */
	enum eshmd_access access;    /* [access] policy = owner | group | anyone */
	char access_group[64];       /* [access] group */
	char admin_group[64];        /* [access] admin_group; "": root only */
	char bridge_group[64];       /* [access] bridge_group; "": root only */
	bool verbose;                /* [eshmd] verbose = yes | no: log debug lines */
	uint32_t event_history;      /* [eshmd] event_history: events kept in memory */
};

/* Fill @s with the built-in defaults. */
void settings_defaults(struct eshmd_settings *s);

/*
 * Parse the INI file @path over @s (libinih).  Unknown sections or keys and
 * bad values are errors.  On error @s is left unchanged and @err receives
 * "file:line: what is wrong".  A missing file is not an error when
 * @missing_ok: @s keeps the values it had.  Returns 0 when the file was
 * read, 1 when it is missing and @missing_ok, or -1.
 */
int settings_load_file(struct eshmd_settings *s, const char *path, bool missing_ok, char *err,
                       size_t errlen);

/*
 * Set one value, as the file's "[@section] @key = @value" would: used by the
 * file parser and by the command line, so both accept exactly the same
 * values.  Returns 0, or -1 with the reason in @err ("unknown key ...",
 * "bad value ...").
 */
int settings_set(struct eshmd_settings *s, const char *section, const char *key,
                 const char *value, char *err, size_t errlen);

/* Printable names of the policies ("on-empty", "owner", ...). */
const char *settings_cleanup_name(enum eshmd_cleanup cleanup);
const char *settings_access_name(enum eshmd_access access);

#endif /* ESHMD_SETTINGS_H */
