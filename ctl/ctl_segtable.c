/*
 * ctl_segtable.c - rows of the segment table shown by list and watch.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>

#include "ctl_fmt.h"
#include "layout.h"
#include "ctl_segtable.h"

static const char *const ctl_list_headers[] = {
	"NAME", "CAPACITY", "MASTER", "STATE", "HB/S", "SLAVE", "STATE", "HB/S",
	"M2S", "S2M", "MISSED/S", "QUEUED", "OBS", "AGE",
};

static const char *const ctl_watch_headers[] = {
	"NAME", "CAPACITY", "MASTER", "STATE", "HB/S", "SLAVE", "STATE", "HB/S",
	"M2S", "S2M", "M2S/S", "S2M/S", "MISSED/S", "QUEUED", "OBS", "AGE",
};

struct ctl_table *
ctl_segtable_new(bool rates)
{
	if (rates)
		return ctl_table_new(16, ctl_watch_headers, "lrrlrrlrrrrrrrrr");
	return ctl_table_new(14, ctl_list_headers, "lrrlrrlrrrrrrr");
}

static int
ctl_segtable_u64(struct ctl_table *t, uint64_t v)
{
	char buf[CTL_FMT_SIZE];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return ctl_table_cell(t, buf, NULL);
}

static int
ctl_segtable_endpoint(struct ctl_table *t, const struct proto_endpoint_info *ep, bool color)
{
	char buf[CTL_FMT_SIZE];
	int rc = 0;

	rc |= ctl_table_cell(t, ctl_fmt_pid(ep->pid, buf), NULL);
	rc |= ctl_table_cell(t, seg_state_name(ep->state), color ? ctl_state_color(ep->state) : NULL);
	/* A detached slot has no heartbeat worth a rate. */
	if (ep->state == SEG_EP_DETACHED || ep->heartbeat_rate == PROTO_RATE_UNKNOWN)
		rc |= ctl_table_cell(t, "-", NULL);
	else
		rc |= ctl_segtable_u64(t, ep->heartbeat_rate);
	return rc;
}

static int
ctl_segtable_rate(struct ctl_table *t, double rate)
{
	char buf[CTL_FMT_SIZE];

	if (rate < 0)
		return ctl_table_cell(t, "-", NULL);
	snprintf(buf, sizeof(buf), "%.0f", rate);
	return ctl_table_cell(t, buf, NULL);
}

/* Both channels' readers' misses per second, "-" before eshmd knows either. */
static int
ctl_segtable_missed(struct ctl_table *t, const struct proto_channel_info *ch)
{
	double sum = -1;
	int i;

	for (i = 0; i < 2; i++)
		if (ch[i].missed_rate != PROTO_RATE_UNKNOWN)
			sum = (sum < 0 ? 0 : sum) + (double)ch[i].missed_rate;
	return ctl_segtable_rate(t, sum);
}

int
ctl_segtable_add(struct ctl_table *t, const struct proto_segment_info *s,
                 const double *rates, uint64_t now_ns, bool color)
{
	char buf[CTL_FMT_SIZE];
	int rc = 0;

	rc |= ctl_table_cell(t, s->name, NULL);
	rc |= ctl_table_cell(t, ctl_fmt_bytes(s->capacity, buf), NULL);
	rc |= ctl_segtable_endpoint(t, &s->endpoint[SEG_MASTER], color);
	rc |= ctl_segtable_endpoint(t, &s->endpoint[SEG_SLAVE], color);
	rc |= ctl_segtable_u64(t, s->channel[SEG_M2S].head);
	rc |= ctl_segtable_u64(t, s->channel[SEG_S2M].head);
	if (rates != NULL) {
		rc |= ctl_segtable_rate(t, rates[SEG_M2S]);
		rc |= ctl_segtable_rate(t, rates[SEG_S2M]);
	}
	rc |= ctl_segtable_missed(t, s->channel);
	/* A queue's unread messages per direction; a latest-value channel has none. */
	if (s->mode == SEG_MODE_QUEUE)
		snprintf(buf, sizeof(buf), "%" PRIu32 "/%" PRIu32, s->channel[SEG_M2S].unread,
		         s->channel[SEG_S2M].unread);
	else
		snprintf(buf, sizeof(buf), "-");
	rc |= ctl_table_cell(t, buf, NULL);
	rc |= ctl_segtable_u64(t, s->observers);
	rc |= ctl_table_cell(t, ctl_fmt_since(s->created_realtime_ns, now_ns, buf), NULL);
	return rc != 0 ? -1 : 0;
}
