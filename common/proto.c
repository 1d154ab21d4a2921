/*
 * proto.c - sizes and validation of control-protocol datagrams.  Nothing
 * in a datagram is acted on before proto_parse() accepted all of it.
 */
#include <stddef.h>
#include <string.h>

#include "eshm.h"
#include "layout.h"
#include "proto.h"

/*
 * The wire structs are a contract between programs built apart (a
 * client's library and the running eshmd): a change of size, of a field's
 * place, or padding that a compiler adds must fail the build here, not
 * turn into ESHM_ERROR_PROTOCOL at run time.
 */
#define PROTO_PINNED(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type " is " #size " bytes"); \
	_Static_assert(_Alignof(struct type) <= 8, #type " needs no more than 8-byte alignment")

PROTO_PINNED(proto_hdr, 16);
PROTO_PINNED(proto_name, 256);
PROTO_PINNED(proto_hello, 40);
PROTO_PINNED(proto_hello_reply, 64);
PROTO_PINNED(proto_attach, 320);
PROTO_PINNED(proto_attach_reply, 48);
PROTO_PINNED(proto_peer, 32);
PROTO_PINNED(proto_create, 280);
PROTO_PINNED(proto_remove, 264);
PROTO_PINNED(proto_peek_reply, 24);
PROTO_PINNED(proto_status, 264);
PROTO_PINNED(proto_usage, 32);
PROTO_PINNED(proto_status_reply, 464);
PROTO_PINNED(proto_endpoint_info, 168);
PROTO_PINNED(proto_channel_info, 72);
PROTO_PINNED(proto_segment_info, 816);
PROTO_PINNED(proto_proxy, 336);
PROTO_PINNED(proto_events, 272);
PROTO_PINNED(proto_event, 616);
PROTO_PINNED(proto_counters, 312);

/* A body read in place after the header is aligned in an 8-aligned buffer. */
_Static_assert(sizeof(struct proto_hdr) % 8 == 0, "bodies start 8-aligned");
/* An error reply echoes the id of a request too malformed to parse. */
_Static_assert(offsetof(struct proto_hdr, id) == 12, "the id is the header's last word");
/* proto_call() reads the status of any reply before knowing its type. */
_Static_assert(offsetof(struct proto_status, status) == 0, "status first");
_Static_assert(offsetof(struct proto_attach_reply, status) == 0, "status first");
_Static_assert(offsetof(struct proto_status_reply, status) == 0, "status first");
_Static_assert(offsetof(struct proto_segment_info, status) == 0, "status first");
_Static_assert(offsetof(struct proto_hello_reply, status) == 0, "status first");
_Static_assert(offsetof(struct proto_peek_reply, status) == 0, "status first");
_Static_assert(offsetof(struct proto_counters, status) == 0, "status first");
_Static_assert(offsetof(struct proto_observers_reply, status) == 0, "status first");
/* A version-1 peer reads a version-2 status reply: both framings agree. */
_Static_assert(sizeof(struct proto_status) == 264, "proto_status as in version 1");
/* Every datagram fits the receive buffer, and a name fits its field. */
_Static_assert(sizeof(struct proto_hdr) + sizeof(struct proto_segment_info) <= PROTO_MSG_MAX,
               "the largest body fits a datagram");
_Static_assert(sizeof(struct proto_hdr) + sizeof(struct proto_observers_reply) <= PROTO_MSG_MAX,
               "every observer fits a datagram");
_Static_assert(PROTO_OBSERVERS_MAX == SEG_OBSERVERS_MAX, "one entry per observer slot");
_Static_assert(PROTO_NAME_MAX < PROTO_NAME_SIZE, "a name and its NUL fit the field");

ssize_t
proto_body_size(uint16_t type)
{
	switch (type) {
	case PROTO_REQ_ATTACH:
	case PROTO_REQ_REATTACH:
		return sizeof(struct proto_attach);
	case PROTO_REQ_DETACH:
	case PROTO_REQ_SHOW:
	case PROTO_REQ_PEEK:
	case PROTO_REQ_OBSERVERS:
		return sizeof(struct proto_name);
	case PROTO_REQ_STATUS:
	case PROTO_REQ_LIST:
		return 0;
	case PROTO_REQ_CREATE:
		return sizeof(struct proto_create);
	case PROTO_REQ_REMOVE:
		return sizeof(struct proto_remove);
	case PROTO_REQ_HELLO:
		return sizeof(struct proto_hello);
	case PROTO_REQ_EVENTS:
		return sizeof(struct proto_events);
	case PROTO_REQ_COUNTERS:
		return 0;
	case PROTO_REQ_PROXY:
		return sizeof(struct proto_proxy);
	case PROTO_REP_EVENT:
		return sizeof(struct proto_event);
	case PROTO_REP_COUNTERS:
		return sizeof(struct proto_counters);
	case PROTO_REP_OBSERVERS:
		return sizeof(struct proto_observers_reply);
	case PROTO_REP_STATUS:
	case PROTO_REP_DONE:
		return sizeof(struct proto_status);
	case PROTO_REP_ATTACH:
		return sizeof(struct proto_attach_reply);
	case PROTO_REP_DAEMON:
		return sizeof(struct proto_status_reply);
	case PROTO_REP_SEGMENT:
		return sizeof(struct proto_segment_info);
	case PROTO_REP_HELLO:
		return sizeof(struct proto_hello_reply);
	case PROTO_REP_PEEK:
		return sizeof(struct proto_peek_reply);
	case PROTO_NTF_PEER:
		return sizeof(struct proto_peer);
	case PROTO_NTF_OBSERVER:
		return sizeof(struct proto_observer);
	default:
		return -1;
	}
}

static int
proto_has_nul(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

#define PROTO_STR_OK(f) proto_has_nul((f), sizeof(f))

/* Every fixed-size string field of @body (of @type) must hold its NUL, and
 * a count must fit its array. */
static int
proto_strings_ok(uint16_t type, const void *body)
{
	switch (type) {
	case PROTO_REQ_ATTACH:
	case PROTO_REQ_REATTACH:
		return PROTO_STR_OK(((const struct proto_attach *)body)->name);
	case PROTO_REQ_DETACH:
	case PROTO_REQ_SHOW:
	case PROTO_REQ_PEEK:
	case PROTO_REQ_OBSERVERS:
		return PROTO_STR_OK(((const struct proto_name *)body)->name);
	case PROTO_REQ_CREATE:
		return PROTO_STR_OK(((const struct proto_create *)body)->name);
	case PROTO_REQ_REMOVE:
		return PROTO_STR_OK(((const struct proto_remove *)body)->name);
	case PROTO_REQ_HELLO:
		return PROTO_STR_OK(((const struct proto_hello *)body)->software);
	case PROTO_REQ_EVENTS:
		return PROTO_STR_OK(((const struct proto_events *)body)->name);
	case PROTO_REQ_PROXY: {
		const struct proto_proxy *p = body;

		return PROTO_STR_OK(p->name) && PROTO_STR_OK(p->remote_host);
	}
	case PROTO_REP_EVENT: {
		const struct proto_event *e = body;

		return PROTO_STR_OK(e->kind) && PROTO_STR_OK(e->message_id) &&
		       PROTO_STR_OK(e->segment) && PROTO_STR_OK(e->message);
	}
	case PROTO_REP_HELLO:
		return PROTO_STR_OK(((const struct proto_hello_reply *)body)->version);
	case PROTO_REP_STATUS:
	case PROTO_REP_DONE:
		return PROTO_STR_OK(((const struct proto_status *)body)->message);
	case PROTO_REP_DAEMON: {
		const struct proto_status_reply *r = body;

		return PROTO_STR_OK(r->version) && PROTO_STR_OK(r->socket_path) &&
		       PROTO_STR_OK(r->shm_prefix);
	}
	case PROTO_REP_OBSERVERS: {
		const struct proto_observers_reply *r = body;
		size_t i;

		if (r->count > PROTO_OBSERVERS_MAX)
			return 0;
		for (i = 0; i < r->count; i++)
			if (!PROTO_STR_OK(r->observer[i].comm))
				return 0;
		return 1;
	}
	case PROTO_REP_SEGMENT: {
		const struct proto_segment_info *r = body;

		return PROTO_STR_OK(r->name) && PROTO_STR_OK(r->endpoint[0].comm) &&
		       PROTO_STR_OK(r->endpoint[1].comm) && PROTO_STR_OK(r->endpoint[0].remote_host) &&
		       PROTO_STR_OK(r->endpoint[1].remote_host);
	}
	default:
		return 1;
	}
}

int
proto_parse(const void *buf, size_t len, const struct proto_hdr **hdr, const void **body)
{
	const struct proto_hdr *h = buf;
	ssize_t want;

	if (buf == NULL || len < sizeof(*h))
		return ESHM_ERROR_PROTOCOL;
	if (h->magic != PROTO_MAGIC)
		return ESHM_ERROR_PROTOCOL;
	if (hdr != NULL)
		*hdr = h;
	if (h->version != PROTO_VERSION)
		return ESHM_ERROR_VERSION_MISMATCH;
	want = proto_body_size(h->type);
	if (want < 0 || h->length != (size_t)want || len != sizeof(*h) + (size_t)want)
		return ESHM_ERROR_PROTOCOL;
	if (!proto_strings_ok(h->type, h + 1))
		return ESHM_ERROR_PROTOCOL;
	if (body != NULL)
		*body = h + 1;
	return ESHM_SUCCESS;
}
