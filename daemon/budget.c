/*
 * budget.c - counting segments, bytes and connections against the limits
 * (see budget.h).
 */
#include <stdio.h>
#include <string.h>

#include "budget.h"
#include "eshm.h"

int
bud_segment_allowed(const struct eshmd *d, uid_t uid, uint64_t bytes, char *why, size_t whylen)
{
	const struct reg_usage *t = &d->reg.total;
	struct reg_usage u = bud_usage(d, uid);

	if (t->segments >= d->set.max_segments)
		snprintf(why, whylen, "max_segments = %u reached", d->set.max_segments);
	else if (t->bytes + bytes > d->set.max_bytes)
		snprintf(why, whylen, "max_bytes = %llu reached (%llu in use, %llu asked)",
		         (unsigned long long)d->set.max_bytes, (unsigned long long)t->bytes,
		         (unsigned long long)bytes);
	else if (uid != 0 && u.segments >= d->set.max_segments_user)
		snprintf(why, whylen, "max_segments_per_user = %u reached for uid %u",
		         d->set.max_segments_user, (unsigned)uid);
	else if (uid != 0 && u.bytes + bytes > d->set.max_bytes_user)
		snprintf(why, whylen,
		         "max_bytes_per_user = %llu reached for uid %u (%llu in use, %llu asked)",
		         (unsigned long long)d->set.max_bytes_user, (unsigned)uid,
		         (unsigned long long)u.bytes, (unsigned long long)bytes);
	else
		return ESHM_SUCCESS;
	return ESHM_ERROR_LIMIT;
}

void
bud_segment(struct eshmd *d, uid_t uid, uint64_t bytes, int sign)
{
	struct reg_usage *u = reg_user_usage(&d->reg, uid);

	d->reg.total.segments += (uint32_t)sign;
	d->reg.total.bytes += (uint64_t)(int64_t)sign * bytes;
	if (u != NULL) {
		u->segments += (uint32_t)sign;
		u->bytes += (uint64_t)(int64_t)sign * bytes;
	}
}

int
bud_connection_allowed(struct eshmd *d, uid_t uid, bool privileged, char *why, size_t whylen)
{
	struct reg_usage u = bud_usage(d, uid);
	/* The last slot is kept for an operator's eshmctl. */
	uint32_t max = d->set.max_clients - (privileged ? 0 : 1);

	if (d->reg.total.connections >= max)
		snprintf(why, whylen, "max_connections = %u reached%s", d->set.max_clients,
		         privileged ? "" : " (the last one is reserved for root and admin_group)");
	else if (uid != 0 && u.connections >= d->set.max_clients_user)
		snprintf(why, whylen, "max_connections_per_user = %u reached for uid %u",
		         d->set.max_clients_user, (unsigned)uid);
	else
		return ESHM_SUCCESS;
	return ESHM_ERROR_LIMIT;
}

void
bud_connection(struct eshmd *d, uid_t uid, int sign)
{
	struct reg_usage *u = reg_user_usage(&d->reg, uid);

	d->reg.total.connections += (uint32_t)sign;
	if (u != NULL)
		u->connections += (uint32_t)sign;
}

struct reg_usage
bud_usage(const struct eshmd *d, uid_t uid)
{
	const struct reg_usage *u = reg_user_peek(&d->reg, uid);
	struct reg_usage zero;

	memset(&zero, 0, sizeof(zero));
	return u != NULL ? *u : zero;
}
