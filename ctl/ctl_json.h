/*
 * ctl_json.h - the JSON documents of status, list and show --json, built
 * with json-c.  Their schema is part of eshmctl's interface: it is
 * documented in eshmctl(8), and fields are only ever added.
 */
#ifndef ESHMCTL_JSON_H
#define ESHMCTL_JSON_H

#include <stdint.h>

#include <json-c/json.h>

#include "proto.h"

/* The status document for eshmd's reply @st.  NULL when out of memory. */
json_object *ctl_json_status(const struct proto_status_reply *st);

/*
 * The object describing segment @s and its observers @obs (NULL: eshmd
 * did not say), with ages computed against the CLOCK_REALTIME instant
 * @now_ns.  NULL when out of memory.
 */
json_object *ctl_json_segment(const struct proto_segment_info *s,
                              const struct proto_observers_reply *obs, uint64_t now_ns);

/*
 * Print @doc pretty on stdout followed by a newline, and release it (even
 * on failure).  NULL (out of memory) is a failure.  Returns 0 or
 * CTL_EXIT_FAIL after saying why on stderr.
 */
int ctl_json_print(json_object *doc);

#endif /* ESHMCTL_JSON_H */
