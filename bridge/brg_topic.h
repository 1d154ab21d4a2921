/*
 * brg_topic.h - the DDS topic names of a bridged segment.
 *
 * A segment name is 1..200 bytes of [A-Za-z0-9._-]; a topic name in Cyclone
 * DDS 0.10 (and in the DDS specification, with ROS 2's '/') may only hold
 * [A-Za-z0-9_/] and must not start with a digit.  The segment name is
 * escaped so that two segments never share a topic:
 *
 *     '_' -> "__"    '.' -> "_d"    '-' -> "_h"    letters, digits: as they are
 *
 * Every '_' in the escaped name starts a pair, so reading left to right
 * undoes the escape: the mapping is injective and brg_topic_unescape()
 * inverts it.  The topics are then "eshm/<escaped>/m2s" (written by the
 * side of the master), "eshm/<escaped>/s2m" and "eshm/<escaped>/state";
 * the fixed root keeps a name that starts with a digit valid.
 */
#ifndef ESHM_BRIDGE_TOPIC_H
#define ESHM_BRIDGE_TOPIC_H

#include <stddef.h>

#include "proto.h"

#define BRG_TOPIC_ROOT "eshm"
/* The longest escaped name: every byte of a 200-byte name doubled. */
#define BRG_ESCAPED_MAX (2 * PROTO_NAME_MAX)
/* Room for any topic name, NUL included: root, escaped name, suffix. */
#define BRG_TOPIC_SIZE (sizeof(BRG_TOPIC_ROOT "/") + BRG_ESCAPED_MAX + sizeof("/state"))

enum brg_topic_kind {
	BRG_TOPIC_M2S = 0,   /* what the master writes */
	BRG_TOPIC_S2M = 1,   /* what the slave writes */
	BRG_TOPIC_STATE = 2, /* each side's report of its real endpoint */
};

/*
 * Escape segment name @name into @out (@size bytes, NUL included).
 * Returns BRG_OK; BRG_ERR_INVALID (NULL argument); BRG_ERR_NAME (@name is
 * not a segment name); BRG_ERR_TOO_LONG (@size too small; @out is then
 * an empty string).  Thread-safe.
 */
int brg_topic_escape(const char *name, char *out, size_t size);

/*
 * Undo brg_topic_escape(): the segment name of @escaped into @out.
 * Returns BRG_OK; BRG_ERR_INVALID; BRG_ERR_NAME (a character outside
 * [A-Za-z0-9_], a '_' not followed by '_', 'd' or 'h', or a result that is
 * not a segment name); BRG_ERR_TOO_LONG.  Thread-safe.
 */
int brg_topic_unescape(const char *escaped, char *out, size_t size);

/*
 * The topic of @kind for segment @name, "eshm/<escaped>/<kind>", into @out
 * (BRG_TOPIC_SIZE bytes always suffice).  Returns as brg_topic_escape(), or
 * BRG_ERR_INVALID for an unknown @kind.  Thread-safe.
 */
int brg_topic_name(const char *name, enum brg_topic_kind kind, char *out, size_t size);

#endif /* ESHM_BRIDGE_TOPIC_H */
