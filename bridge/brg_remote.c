/*
 * brg_remote.c - judging the remote process from the other bridge's
 * reports (rules in brg_remote.h).
 */
#include <string.h>

#include "brg_err.h"
#include "brg_remote.h"
#include "layout.h"

#define BRG_MS 1000000u

int
brg_remote_init(struct brg_remote *r, uint32_t lease_ms, uint32_t dead_after_ms)
{
	if (r == NULL || lease_ms == 0 || dead_after_ms <= lease_ms)
		return BRG_ERR_INVALID;
	memset(r, 0, sizeof(*r));
	r->lease_ms = lease_ms;
	r->dead_after_ms = dead_after_ms;
	return BRG_OK;
}

int
brg_remote_report(struct brg_remote *r, const struct brg_report *rep, uint64_t now_ns)
{
	if (r == NULL || rep == NULL || rep->state > SEG_EP_DEAD)
		return BRG_ERR_INVALID;
	r->heard = true;
	/* A report is the writer's sign of life, whatever DDS says of it yet. */
	r->writer_alive = true;
	r->withdrawn = false;
	r->last_ns = now_ns;
	r->last = *rep;
	r->last.host[sizeof(r->last.host) - 1] = '\0';
	return BRG_OK;
}

int
brg_remote_liveliness(struct brg_remote *r, bool alive)
{
	if (r == NULL)
		return BRG_ERR_INVALID;
	r->writer_alive = alive;
	return BRG_OK;
}

int
brg_remote_withdrawn(struct brg_remote *r)
{
	if (r == NULL)
		return BRG_ERR_INVALID;
	r->withdrawn = true;
	return BRG_OK;
}

int
brg_remote_judge(const struct brg_remote *r, uint64_t now_ns, struct brg_report *out)
{
	uint64_t silent;

	if (r == NULL || out == NULL)
		return BRG_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if (!r->heard) {
		out->state = SEG_EP_STALE;
		return BRG_OK;
	}
	*out = r->last;
	if (r->withdrawn) {
		out->state = SEG_EP_DETACHED;
		return BRG_OK;
	}
	/* A clock that went back (it cannot: monotonic) reads as no silence. */
	silent = now_ns > r->last_ns ? now_ns - r->last_ns : 0;
	if (r->writer_alive && silent < (uint64_t)r->lease_ms * BRG_MS)
		return BRG_OK;
	if (r->last.state == SEG_EP_DEAD || silent >= (uint64_t)r->dead_after_ms * BRG_MS)
		out->state = SEG_EP_DEAD;
	else
		out->state = SEG_EP_STALE;
	return BRG_OK;
}

uint64_t
brg_remote_next_change(const struct brg_remote *r, uint64_t now_ns)
{
	uint64_t lease_end, dead_end;

	if (r == NULL || !r->heard || r->withdrawn || r->last.state == SEG_EP_DEAD)
		return UINT64_MAX;
	lease_end = r->last_ns + (uint64_t)r->lease_ms * BRG_MS;
	dead_end = r->last_ns + (uint64_t)r->dead_after_ms * BRG_MS;
	if (r->writer_alive && now_ns < lease_end)
		return lease_end;
	return now_ns < dead_end ? dead_end : UINT64_MAX;
}
