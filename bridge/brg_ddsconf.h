/*
 * brg_ddsconf.h - the Cyclone DDS configuration a bridge runs with.
 *
 * The bridge binds one network interface: it writes an XML fragment that
 * names it (and the unicast peers, and multicast off when asked), and hands
 * Cyclone that fragment after whatever $CYCLONEDDS_URI names (files, XML:
 * DDS Security, tracing, buffer sizes), so the operator's settings apply
 * and the interface cannot be widened by them: Cyclone reads the sources in
 * order and a later value wins.
 */
#ifndef ESHM_BRIDGE_DDSCONF_H
#define ESHM_BRIDGE_DDSCONF_H

#include <stddef.h>

#include "brg_config.h"

/*
 * Write the bridge's own XML fragment for @c into @out (@size bytes).
 * Returns BRG_OK, BRG_ERR_INVALID or BRG_ERR_TOO_LONG.  Thread-safe.
 */
int brg_ddsconf_xml(const struct brg_config *c, char *out, size_t size);

/*
 * The configuration string for dds_create_domain(): @uri (the value of
 * $CYCLONEDDS_URI; NULL or "" for none), a comma, then the fragment of
 * brg_ddsconf_xml().  Returns a malloc'ed string in *@out (the caller
 * frees it) and BRG_OK, or BRG_ERR_INVALID, BRG_ERR_NO_MEMORY,
 * BRG_ERR_TOO_LONG.  Thread-safe.
 */
int brg_ddsconf_full(const struct brg_config *c, const char *uri, char **out);

#endif /* ESHM_BRIDGE_DDSCONF_H */
