/*
 * zerocopy.c - loans and read views: the writer fills the slot of its next
 * message in place (eshm_loan, eshm_publish, eshm_loan_cancel), a reader
 * reads one in place (eshm_read_view, eshm_read_release).  The same
 * channel protocol as eshm_write() and eshm_read(), split at the copy.
 */
#include "handle.h"

/* Whether @h may end a loan or view: @out says one is out. */
static int
zc_can_end(const ESHMHandle *h, bool out)
{
	if (h == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	if (h->forked)
		return ESHM_ERROR_DETACHED;
	return out ? ESHM_SUCCESS : ESHM_ERROR_INVALID_PARAM;
}

ESHM_EXPORT int
eshm_loan(ESHMHandle *handle, size_t size, void **buffer)
{
	struct lib_peer *p;
	int rc;

	if (handle == NULL || buffer == NULL || size == 0)
		return ESHM_ERROR_INVALID_PARAM;
	*buffer = NULL;
	rc = io_write_gate(handle, size, &p);
	if (rc != ESHM_SUCCESS)
		return rc;
	rc = chan_loan(&handle->writer, io_queue_reader(handle, p), (uint32_t)size, buffer);
	return rc == ESHM_ERROR_QUEUE_FULL ? io_full(handle) : rc;
}

ESHM_EXPORT int
eshm_publish(ESHMHandle *handle, size_t size)
{
	struct lib_peer *p;
	int rc = zc_can_end(handle, handle != NULL && handle->writer.loaned != 0);

	if (rc != ESHM_SUCCESS)
		return rc;
	if (size == 0 || size > handle->writer.loaned)
		return ESHM_ERROR_INVALID_PARAM;
	/* A handle that lost its role publishes nothing. */
	if (!live_attached(handle)) {
		chan_loan_cancel(&handle->writer);
		return ESHM_ERROR_DETACHED;
	}
	chan_publish(&handle->writer, (uint32_t)size);
	p = peer_enter(handle, &handle->peer_wr);
	return io_published(handle, p);
}

ESHM_EXPORT int
eshm_loan_cancel(ESHMHandle *handle)
{
	int rc = zc_can_end(handle, handle != NULL && handle->writer.loaned != 0);

	if (rc == ESHM_SUCCESS)
		chan_loan_cancel(&handle->writer);
	return rc;
}

/* What eshm_read_view() hands back. */
struct zc_view {
	const void **data;
	size_t *size;
};

/* io_read_fn of eshm_read_view(). */
static int
zc_view_out(ESHMHandle *h, struct lib_peer *p, void *arg)
{
	struct zc_view *v = arg;
	int rc = chan_view(p->block, &h->g, &h->cursor, io_consumer(h), h->rd_part, &h->view);

	if (rc != ESHM_SUCCESS)
		return rc;
	h->view_peer = p;
	*v->data = seg_slot_data((struct seg_slot *)h->view.slot, &h->g);
	*v->size = h->view.size;
	return ESHM_SUCCESS;
}

ESHM_EXPORT int
eshm_read_view(ESHMHandle *handle, const void **data, size_t *size)
{
	struct zc_view v = { data, size };

	if (handle == NULL || data == NULL || size == NULL)
		return ESHM_ERROR_INVALID_PARAM;
	*data = NULL;
	*size = 0;
	return io_read_checked(handle, zc_view_out, &v);
}

ESHM_EXPORT int
eshm_read_release(ESHMHandle *handle)
{
	int rc = zc_can_end(handle, handle != NULL && handle->view.slot != NULL);

	if (rc != ESHM_SUCCESS)
		return rc;
	return chan_view_release(handle->view_peer->block, &handle->g, &handle->cursor,
	                         io_consumer(handle), handle->rd_part, &handle->view);
}
