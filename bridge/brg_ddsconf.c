/*
 * brg_ddsconf.c - the Cyclone DDS configuration of a bridge (brg_ddsconf.h).
 *
 * The values put into XML were validated by brg_config.c to hold none of
 * <>&"' , so nothing here needs escaping; they are checked again below all
 * the same, as a fragment is only as safe as its least checked value.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brg_ddsconf.h"
#include "brg_err.h"

/* Append printf output to @out at *@n; false once it no longer fits. */
static bool __attribute__((format(printf, 4, 5)))
brg_ddsconf_add(char *out, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (*n >= size)
		return false;
	va_start(ap, fmt);
	len = vsnprintf(out + *n, size - *n, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= size - *n)
		return false;
	*n += (size_t)len;
	return true;
}

static bool
brg_ddsconf_safe(const char *value)
{
	return strpbrk(value, "<>&\"'") == NULL;
}

int
brg_ddsconf_xml(const struct brg_config *c, char *out, size_t size)
{
	size_t n = 0;
	bool ok;
	unsigned i;

	if (c == NULL || out == NULL || size == 0 || c->interface[0] == '\0' ||
	    !brg_ddsconf_safe(c->interface) || c->npeers > BRG_PEERS_MAX)
		return BRG_ERR_INVALID;
	out[0] = '\0';
	ok = brg_ddsconf_add(out, size, &n,
	                     "<CycloneDDS><Domain Id=\"any\"><General><Interfaces>"
	                     "<NetworkInterface name=\"%s\"/></Interfaces>",
	                     c->interface);
	/* Without multicast, discovery needs the peers and fixed ports. */
	if (ok && !c->multicast)
		ok = brg_ddsconf_add(out, size, &n, "<AllowMulticast>false</AllowMulticast>");
	ok = ok && brg_ddsconf_add(out, size, &n, "</General>");
	if (ok && (c->npeers > 0 || !c->multicast))
		ok = brg_ddsconf_add(out, size, &n,
		                     "<Discovery><ParticipantIndex>auto</ParticipantIndex>");
	if (ok && c->npeers > 0)
		ok = brg_ddsconf_add(out, size, &n, "<Peers>");
	for (i = 0; ok && i < c->npeers; i++) {
		if (!brg_ddsconf_safe(c->peers[i]))
			return BRG_ERR_INVALID;
		ok = brg_ddsconf_add(out, size, &n, "<Peer address=\"%s\"/>", c->peers[i]);
	}
	if (ok && c->npeers > 0)
		ok = brg_ddsconf_add(out, size, &n, "</Peers>");
	if (ok && (c->npeers > 0 || !c->multicast))
		ok = brg_ddsconf_add(out, size, &n, "</Discovery>");
	ok = ok && brg_ddsconf_add(out, size, &n, "</Domain></CycloneDDS>");
	if (!ok) {
		out[0] = '\0';
		return BRG_ERR_TOO_LONG;
	}
	return BRG_OK;
}

int
brg_ddsconf_full(const struct brg_config *c, const char *uri, char **out)
{
	char xml[4096];
	size_t len;
	int rc;

	if (out == NULL)
		return BRG_ERR_INVALID;
	*out = NULL;
	rc = brg_ddsconf_xml(c, xml, sizeof(xml));
	if (rc != BRG_OK)
		return rc;
	if (uri == NULL)
		uri = "";
	len = strlen(uri) + 1 + strlen(xml) + 1;
	*out = malloc(len);
	if (*out == NULL)
		return BRG_ERR_NO_MEMORY;
	/* The operator's sources first: the fragment after them wins. */
	snprintf(*out, len, "%s%s%s", uri, uri[0] != '\0' ? "," : "", xml);
	return BRG_OK;
}
