/*
 * brg_config.h - what one eshm-bridge carries and how: the INI file of one
 * bridged segment (eshm-bridge(8) lists every key).
 *
 * Every value goes through brg_config_set(), whether it comes from the
 * file or the command line, so both refuse the same mistakes; the values
 * that depend on each other are checked once everything is read, by
 * brg_config_check().
 */
#ifndef ESHM_BRIDGE_CONFIG_H
#define ESHM_BRIDGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eshm.h"
#include "proto.h"

#define BRG_PEERS_MAX 16
#define BRG_PEER_SIZE 64       /* an address or host name, NUL included */
#define BRG_IFNAME_SIZE 16     /* IFNAMSIZ */
#define BRG_LABEL_SIZE 64      /* proto_proxy.remote_host */
#define BRG_PATH_SIZE 108      /* sockaddr_un.sun_path */
#define BRG_DOMAIN_MAX 232     /* the highest domain id RTPS maps to ports */

struct brg_config {
	/* [bridge] */
	char segment[PROTO_NAME_SIZE];  /* segment: the name on both hosts */
	ESHMRole stand_in;              /* stand_in: the role whose process runs remotely */
	char host[BRG_LABEL_SIZE];      /* host: this host in state reports; "": its host name */
	char remote_host[BRG_LABEL_SIZE]; /* remote_host: the other host; "": as it reports itself */
	char socket[BRG_PATH_SIZE];     /* socket: eshmd's; "": $ESHM_SOCKET or the default */
	/* [segment]: applied only when the bridge creates the segment */
	uint64_t capacity;
	ESHMChannelMode mode;
	uint32_t queue_depth;           /* 0: eshmd's default */
	/* [dds] */
	uint32_t domain;
	char interface[BRG_IFNAME_SIZE];
	char peers[BRG_PEERS_MAX][BRG_PEER_SIZE];
	unsigned npeers;
	bool multicast;
	/* [liveness] */
	uint32_t stale_threshold_ms;    /* the local peer's silence tolerated; 0: the segment's */
	uint32_t lease_ms;              /* DDS liveliness lease of the state writer */
	uint32_t state_period_ms;       /* state sample at least this often; 0: lease / 4 */
	uint32_t dead_after_ms;         /* remote silent this long: dead */
};

/*
 * Fill @c with the defaults: no segment, no stand-in role, no interface
 * (the three the file must give), capacity 4096, latest-value mode,
 * domain 0, multicast on, lease 1000 ms, state period lease / 4,
 * dead after 3000 ms.  Returns BRG_OK or BRG_ERR_INVALID (@c NULL).
 * Thread-safe.
 */
int brg_config_defaults(struct brg_config *c);

/*
 * Set [@section] @key to @value, validated.  On error @c is unchanged and
 * @err (@errlen bytes, may be NULL) says why.
 * Returns BRG_OK, BRG_ERR_INVALID (a NULL argument) or BRG_ERR_CONFIG.
 * Not thread-safe on one @c.
 */
int brg_config_set(struct brg_config *c, const char *section, const char *key,
                   const char *value, char *err, size_t errlen);

/*
 * Parse INI text @text into @c; @origin names it in messages ("FILE:LINE:
 * ...").  Values not in the text keep what @c held.  On error @c is
 * unchanged.  A line longer than libinih's limit (INI_MAX_LINE less its
 * newline and NUL) is refused rather than cut.
 * Returns BRG_OK, BRG_ERR_INVALID, BRG_ERR_NO_MEMORY or BRG_ERR_CONFIG.
 * Not thread-safe on one @c.
 */
int brg_config_parse(struct brg_config *c, const char *text, const char *origin, char *err,
                     size_t errlen);

/*
 * Read file @path (at most 64 KiB) and brg_config_parse() it.
 * Returns as brg_config_parse(), or BRG_ERR_IO (cannot read it).
 */
int brg_config_load(struct brg_config *c, const char *path, char *err, size_t errlen);

/*
 * Check what only the whole configuration can tell: the segment, the
 * stand-in role and the interface given, state period < lease < dead_after.
 * Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_CONFIG.  Thread-safe.
 */
int brg_config_check(const struct brg_config *c, char *err, size_t errlen);

/* The state period in effect: state_period_ms, or lease / 4 (at least 10 ms). */
uint32_t brg_config_state_period(const struct brg_config *c);

#endif /* ESHM_BRIDGE_CONFIG_H */
