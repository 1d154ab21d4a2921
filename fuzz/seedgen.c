/*
 * seedgen.c - writes the seed corpora of the proto_parse, seg_validate and
 * records targets from the real structures (segments written by the real
 * channel code), so the seeds follow the contracts:
 *
 *	seedgen OUTDIR    writes OUTDIR/proto_parse/, OUTDIR/seg_validate/
 *	                  and OUTDIR/records/
 *
 * fuzz/corpus/ in the tree holds its output; rerun it after a change to
 * common/proto.h or common/layout.h.  A rerun writes the same files, but
 * for the write times a timestamped channel carries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "channel.h"
#include "eshm.h"
#include "layout.h"
#include "proto.h"

static const char *sg_dir;
static void
sg_write(const char *sub, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", sg_dir, sub, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Write one datagram of protocol @version, @type, with @body_len bytes of @body. */
static void
sg_datagram_v(const char *name, uint16_t version, uint16_t type, const void *body,
              size_t body_len)
{
	unsigned char buf[PROTO_MSG_MAX];
	struct proto_hdr h = {
		.magic = PROTO_MAGIC, .version = version, .type = type,
		.length = (uint32_t)body_len, .id = 7,
	};

	memcpy(buf, &h, sizeof(h));
	if (body_len)
		memcpy(buf + sizeof(h), body, body_len);
	sg_write("proto_parse", name, buf, sizeof(h) + body_len);
}

static void
sg_datagram(const char *name, uint16_t type, const void *body, size_t body_len)
{
	sg_datagram_v(name, PROTO_VERSION, type, body, body_len);
}

static void
sg_proto(void)
{
	struct proto_attach a;
	struct proto_name n;
	struct proto_create c;
	struct proto_remove r;
	struct proto_status st;
	struct proto_hello hello;
	struct proto_hello_reply hr;
	struct proto_peer peer;
	struct proto_observer obs;
	struct proto_peek_reply pk;
	struct proto_observers_reply ol;

	memset(&hello, 0, sizeof(hello));
	hello.caps = PROTO_CAP_PEER_PIDFD | PROTO_CAP_TAKEOVER | PROTO_CAP_QUEUE;
	snprintf(hello.software, sizeof(hello.software), "libeshm-client 0.2.0");
	sg_datagram("hello", PROTO_REQ_HELLO, &hello, sizeof(hello));
	memset(&hr, 0, sizeof(hr));
	hr.layout_version = SEG_LAYOUT_VERSION;
	hr.caps = hello.caps;
	snprintf(hr.version, sizeof(hr.version), "0.2.0");
	sg_datagram("reply-hello", PROTO_REP_HELLO, &hr, sizeof(hr));
	memset(&peer, 0, sizeof(peer));
	peer.role = ESHM_ROLE_SLAVE;
	peer.fds = PROTO_FD_PEER | PROTO_FD_PIDFD;
	peer.generation = 42;
	peer.incarnation = 3;
	sg_datagram("notify-peer", PROTO_NTF_PEER, &peer, sizeof(peer));
	memset(&obs, 0, sizeof(obs));
	obs.slot = 2;
	obs.fds = PROTO_FD_PEER;
	obs.generation = 42;
	obs.incarnation = 5;
	sg_datagram("notify-observer", PROTO_NTF_OBSERVER, &obs, sizeof(obs));
	memset(&pk, 0, sizeof(pk));
	pk.fds = PROTO_FD_STATUS | PROTO_FD_MASTER;
	sg_datagram("reply-peek", PROTO_REP_PEEK, &pk, sizeof(pk));
	memset(&ol, 0, sizeof(ol));
	ol.count = 2;
	ol.observer[0].pid = 1234;
	snprintf(ol.observer[0].comm, sizeof(ol.observer[0].comm), "monitor");
	ol.observer[1].slot = 1;
	ol.observer[1].observed = ESHM_ROLE_SLAVE;
	sg_datagram("reply-observers", PROTO_REP_OBSERVERS, &ol, sizeof(ol));

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "sensor.0");
	a.role = ESHM_ROLE_AUTO;
	a.stale_threshold_ms = 100;
	a.capacity = 4096;
	a.heartbeat_period_us = 1000;
	a.flags = PROTO_ATTACH_AUTO_CLEANUP;
	sg_datagram("attach", PROTO_REQ_ATTACH, &a, sizeof(a));
	/* An old library's attach: answered in version 1. */
	sg_datagram_v("attach-version-1", 1, PROTO_REQ_ATTACH, &a, sizeof(a));
	a.mode = SEG_MODE_QUEUE;
	a.queue_depth = 100;
	a.takeover_ms = 500;
	a.flags |= PROTO_ATTACH_TIMESTAMPS;
	sg_datagram("attach-queue", PROTO_REQ_ATTACH, &a, sizeof(a));
	a.mode = SEG_MODE_LATEST;
	a.queue_depth = 0;
	a.role = ESHM_ROLE_SLAVE;
	a.fds = PROTO_FD_STATUS | PROTO_FD_OWN | PROTO_FD_PEER;
	a.generation = 42;
	a.incarnation = 2;
	sg_datagram("reattach", PROTO_REQ_REATTACH, &a, sizeof(a));
	a.fds = 0;
	/* Name without its NUL: must be refused. */
	memset(a.name, 'A', sizeof(a.name));
	sg_datagram("attach-unterminated", PROTO_REQ_ATTACH, &a, sizeof(a));
	snprintf(a.name, sizeof(a.name), "../../etc/passwd");
	sg_datagram("attach-escape", PROTO_REQ_ATTACH, &a, sizeof(a));

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "sensor.0");
	sg_datagram("detach", PROTO_REQ_DETACH, &n, sizeof(n));
	sg_datagram("show", PROTO_REQ_SHOW, &n, sizeof(n));
	sg_datagram("peek", PROTO_REQ_PEEK, &n, sizeof(n));
	sg_datagram("observers", PROTO_REQ_OBSERVERS, &n, sizeof(n));
	sg_datagram("status", PROTO_REQ_STATUS, NULL, 0);
	sg_datagram("list", PROTO_REQ_LIST, NULL, 0);
	/* STATUS claiming a body it does not have. */
	sg_datagram("status-bad-length", PROTO_REQ_STATUS, &n, 16);

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "bulk-1");
	c.capacity = 1 << 20;
	sg_datagram("create", PROTO_REQ_CREATE, &c, sizeof(c));
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "bulk-1");
	r.force = 1;
	sg_datagram("remove", PROTO_REQ_REMOVE, &r, sizeof(r));

	memset(&st, 0, sizeof(st));
	st.status = ESHM_ERROR_PROTOCOL;
	snprintf(st.message, sizeof(st.message), "malformed request");
	sg_datagram("reply-status", PROTO_REP_STATUS, &st, sizeof(st));
	/* Unknown type, and a header cut short. */
	sg_datagram("unknown-type", 0x7777, NULL, 0);
	sg_write("proto_parse", "short", "CHSE\1\0", 6);
}

/* The input of fuzz_seg_validate: a status ident line, a selector, and
 * the start of an endpoint block (see fuzz/fuzz_seg_validate.c). */
#define SG_IDENT 128u
#define SG_SELECT 8u
#define SG_MAX 8192u /* ci/fuzz.sh's -max_len */

/* What a seed does to the status page or the block after formatting. */
typedef void sg_spoil(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g);

/*
 * A seed named @name: a segment of @capacity, @mode, @depth and @flags
 * whose writer published @messages messages (of sizes 1 .. capacity),
 * then @spoil (may be NULL).
 */
static void
sg_channel(const char *name, uint64_t capacity, uint32_t mode, uint32_t depth, uint32_t flags,
           unsigned messages, sg_spoil *spoil)
{
	static unsigned char msg[SEG_PAGE];
	unsigned char in[SG_MAX];
	struct seg_geometry g;
	struct seg_status *st = aligned_alloc(SEG_PAGE, SEG_STATUS_SIZE);
	struct seg_block *b;
	struct chan_writer w;
	size_t len;
	unsigned i;

	if (st == NULL || seg_geometry(capacity, mode, depth, flags, &g) != ESHM_SUCCESS ||
	    (b = aligned_alloc(SEG_PAGE, g.block_size)) == NULL)
		exit(1);
	memset(st, 0, SEG_STATUS_SIZE);
	memset(b, 0, g.block_size);
	seg_status_format(st, &g, 3, 100, 1000, 1000);
	/* a fixed creation time, so a rerun writes the same seeds */
	st->ident.created_realtime_ns = 1764621234000000000ull;
	chan_writer_init(&w, b, &g);
	for (i = 1; i <= messages; i++) {
		memset(msg, (int)i, sizeof(msg));
		if (chan_write(&w, NULL, msg, (uint32_t)(1 + (i * 37) % capacity)) != ESHM_SUCCESS)
			exit(1);
	}
	if (spoil != NULL)
		spoil(st, b, &g);
	memcpy(in, st, SG_IDENT);
	/* The selector: the same geometry should the ident be refused; read
	 * as the consumer, into buffers about the capacity, counting. */
	in[SG_IDENT + 0] = (unsigned char)((capacity - 1) & 0xff);
	in[SG_IDENT + 1] = (unsigned char)((capacity - 1) >> 8);
	in[SG_IDENT + 2] = (unsigned char)((mode == SEG_MODE_QUEUE) | (flags & SEG_FLAG_TIMESTAMPS ? 2 : 0));
	in[SG_IDENT + 3] = (unsigned char)(depth ? depth - 1 : 0);
	in[SG_IDENT + 4] = 1;
	in[SG_IDENT + 5] = 0;
	in[SG_IDENT + 6] = (unsigned char)capacity;
	in[SG_IDENT + 7] = 1;
	len = g.block_size < SG_MAX - SG_IDENT - SG_SELECT ? g.block_size
	                                                   : SG_MAX - SG_IDENT - SG_SELECT;
	memcpy(in + SG_IDENT + SG_SELECT, b, len);
	sg_write("seg_validate", name, in, SG_IDENT + SG_SELECT + len);
	free(b);
	free(st);
}

/* The consumer of a queue consumed its first two messages. */
static void
sg_consumed(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g)
{
	atomic_store(&b->reader.position, 2);
}

/* The writer died in the middle of its next message. */
static void
sg_dead_writer(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g)
{
	uint64_t m = atomic_load(&b->head) + 1;

	atomic_store(&chan_slot(b, g, m)->seq, 2 * m - 1);
}

/* ... and eshmd repaired it. */
static void
sg_repaired(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g)
{
	sg_dead_writer(st, b, g);
	chan_repair(b, g);
}

/* The newest message claims more bytes than the capacity. */
static void
sg_oversize(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g)
{
	atomic_store(&chan_slot(b, g, atomic_load(&b->head))->size, (uint32_t)g->capacity + 1);
}

static void
sg_version(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g)
{
	st->ident.version = SEG_LAYOUT_VERSION + 1;
}

static void
sg_huge_capacity(struct seg_status *st, struct seg_block *b, const struct seg_geometry *g)
{
	st->ident.capacity = UINT64_MAX / 2;
}

/* The records target's seeds: what eshmd writes, and near misses. */
static void
sg_records(void)
{
	static const char good[] =
		"eshmd-record 1\nname sensor.0\ngeneration 1764621234000000000\n"
		"owner 1000 1000\ngeometry 4096 0 0 1\nthreshold 100\n"
		"created 1764621234000000000\nstatus 12 34567\n"
		"master 1 3 12 34590 4242 1000 99812 100 1000 1764621235000000000\n"
		"slave 0 0 0 0 0 0 0 0 0 0\n";
	static const char queue[] =
		"eshmd-record 1\nname q\ngeneration 7\nowner 0 0\ngeometry 64 1 100 2\n"
		"threshold 600000\ncreated 0\nstatus 1 2\n"
		"master 3 1 1 3 77 0 5 50 0 0\nslave 2 9 1 4 78 0 6 60 1000 9\n";

	sg_write("records", "good", good, sizeof(good) - 1);
	sg_write("records", "queue", queue, sizeof(queue) - 1);
	sg_write("records", "no-newline", good, sizeof(good) - 2);
	sg_write("records", "twice", "eshmd-record 1\nname a\nname b\n", 30);
	sg_write("records", "bad-number", "eshmd-record 1\ngeneration 0123\n", 32);
}

int
main(int argc, char **argv)
{
	char path[512];

	if (argc != 2) {
		fprintf(stderr, "usage: seedgen OUTDIR\n");
		return 2;
	}
	sg_dir = argv[1];
	snprintf(path, sizeof(path), "%s/proto_parse", sg_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return 1;
	snprintf(path, sizeof(path), "%s/seg_validate", sg_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return 1;
	snprintf(path, sizeof(path), "%s/records", sg_dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return 1;
	sg_proto();
	sg_records();
	sg_channel("latest-cap40", 40, SEG_MODE_LATEST, 0, 0, 3, NULL);
	sg_channel("latest-cap200-timestamps", 200, SEG_MODE_LATEST, 0, SEG_FLAG_TIMESTAMPS, 9,
	           NULL);
	sg_channel("queue-cap64-depth4", 64, SEG_MODE_QUEUE, 4, 0, 4, sg_consumed);
	sg_channel("queue-cap16-depth64", 16, SEG_MODE_QUEUE, 64, 0, 60, NULL);
	sg_channel("dead-writer", 40, SEG_MODE_LATEST, 0, 0, 2, sg_dead_writer);
	sg_channel("repaired", 64, SEG_MODE_QUEUE, 8, 0, 5, sg_repaired);
	sg_channel("oversize", 40, SEG_MODE_LATEST, 0, 0, 1, sg_oversize);
	sg_channel("future-version", 64, SEG_MODE_LATEST, 0, 0, 2, sg_version);
	sg_channel("huge-capacity", 64, SEG_MODE_LATEST, 0, 0, 2, sg_huge_capacity);
	sg_write("seg_validate", "truncated", "\0ESHST02", 8);
	return 0;
}
