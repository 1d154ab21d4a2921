/*
 * brg_bridge.c - what the bridge's threads share (brg_bridge.h): stopping
 * them all, starting one.
 */
#include "brg_bridge.h"
#include "brg_err.h"

void
brg_bridge_fail(struct brg_bridge *b, int why)
{
	int none = 0;

	if (b == NULL)
		return;
	atomic_compare_exchange_strong(&b->failure, &none, why);
	atomic_store(&b->stopping, true);
	/* The main loop may be asleep in its waitset. */
	if (b->wake > 0)
		dds_set_guardcondition(b->wake, true);
}

void
brg_bridge_ended(struct brg_bridge *b, int rc)
{
	if (rc != BRG_OK && !(rc == BRG_ERR_STOPPED && atomic_load(&b->stopping)))
		brg_bridge_fail(b, rc);
}

int
brg_bridge_thread(struct brg_bridge *b, pthread_t *thread, bool *started, void *(*fn)(void *))
{
	if (b == NULL || thread == NULL || started == NULL || fn == NULL)
		return BRG_ERR_INVALID;
	if (pthread_create(thread, NULL, fn, b) != 0)
		return BRG_ERR_NO_MEMORY;
	*started = true;
	return BRG_OK;
}
