/*
 * fuzz_proto_parse.c - libFuzzer target: the control-protocol parser (version
 * 2) eshmd runs on every datagram a client sends, and the library on every
 * datagram eshmd sends.
 *
 * Whatever proto_parse() accepts must be safe to act on: the header and body
 * lie inside the datagram, the length is the type's body size, and every
 * string field ends inside its field.  The target checks all of that on the
 * accepted datagrams, so a parser that lets a bad one through fails here
 * (abort or an AddressSanitizer report), not in eshmd.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eshm.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless the fixed-size field @f of @n bytes holds its NUL. */
static void
fz_check_string(const char *f, size_t n)
{
	if (memchr(f, '\0', n) == NULL)
		abort();
	/* Names go on to the name check, as eshmd does before any lookup. */
	(void)strlen(f);
}

static void
fz_check_body(uint16_t type, const void *body)
{
	switch (type) {
	case PROTO_REQ_ATTACH:
	case PROTO_REQ_REATTACH: {
		const struct proto_attach *a = body;

		fz_check_string(a->name, sizeof(a->name));
		(void)proto_name_valid(a->name);
		break;
	}
	case PROTO_REQ_DETACH:
	case PROTO_REQ_SHOW:
	case PROTO_REQ_PEEK:
	case PROTO_REQ_OBSERVERS: {
		const struct proto_name *n = body;

		fz_check_string(n->name, sizeof(n->name));
		(void)proto_name_valid(n->name);
		break;
	}
	case PROTO_REQ_CREATE: {
		const struct proto_create *c = body;

		fz_check_string(c->name, sizeof(c->name));
		(void)proto_name_valid(c->name);
		break;
	}
	case PROTO_REQ_REMOVE: {
		const struct proto_remove *r = body;

		fz_check_string(r->name, sizeof(r->name));
		(void)proto_name_valid(r->name);
		break;
	}
	case PROTO_REQ_HELLO: {
		const struct proto_hello *h = body;

		fz_check_string(h->software, sizeof(h->software));
		break;
	}
	case PROTO_REP_HELLO: {
		const struct proto_hello_reply *h = body;

		fz_check_string(h->version, sizeof(h->version));
		break;
	}
	case PROTO_REP_STATUS:
	case PROTO_REP_DONE: {
		const struct proto_status *s = body;

		fz_check_string(s->message, sizeof(s->message));
		break;
	}
	case PROTO_REP_DAEMON: {
		const struct proto_status_reply *s = body;

		fz_check_string(s->version, sizeof(s->version));
		fz_check_string(s->socket_path, sizeof(s->socket_path));
		fz_check_string(s->shm_prefix, sizeof(s->shm_prefix));
		break;
	}
	case PROTO_REP_SEGMENT: {
		const struct proto_segment_info *s = body;

		fz_check_string(s->name, sizeof(s->name));
		fz_check_string(s->endpoint[0].comm, sizeof(s->endpoint[0].comm));
		fz_check_string(s->endpoint[1].comm, sizeof(s->endpoint[1].comm));
		break;
	}
	case PROTO_REP_OBSERVERS: {
		const struct proto_observers_reply *o = body;
		uint32_t i;

		if (o->count > PROTO_OBSERVERS_MAX)
			abort();
		for (i = 0; i < o->count; i++)
			fz_check_string(o->observer[i].comm, sizeof(o->observer[i].comm));
		break;
	}
	default:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct proto_hdr *hdr = NULL;
	const void *body = NULL;
	void *copy;
	ssize_t want;
	int rc;

	/* An exact-size heap copy, so reading one byte past the datagram is an
	 * AddressSanitizer report. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	rc = proto_parse(copy, size, &hdr, &body);
	/* A refusal that names the header (to echo its id, or to answer in the
	 * sender's version) must name the datagram's own first bytes. */
	if (rc != 0 && hdr != NULL && ((const void *)hdr != copy || size < sizeof(*hdr) ||
	                               hdr->magic != PROTO_MAGIC))
		abort();
	if (rc == ESHM_ERROR_VERSION_MISMATCH && hdr->version == PROTO_VERSION)
		abort();
	if (rc == 0) {
		if (hdr == NULL || (const void *)hdr != copy)
			abort();
		want = proto_body_size(hdr->type);
		if (want < 0 || (size_t)want != hdr->length)
			abort();
		if (sizeof(*hdr) + (size_t)want > size)
			abort();
		if (want > 0 && body != (const unsigned char *)copy + sizeof(*hdr))
			abort();
		if (hdr->magic != PROTO_MAGIC || hdr->version != PROTO_VERSION)
			abort();
		if (want > 0)
			fz_check_body(hdr->type, body);
	} else if (rc != ESHM_ERROR_PROTOCOL && rc != ESHM_ERROR_VERSION_MISMATCH) {
		abort();
	}
	free(copy);
	return 0;
}
