/*
 * brg_dds.c - the DDS entities of one bridged segment (brg_dds.h).
 */
#include <stdio.h>
#include <string.h>

#include "brg_dds.h"
#include "brg_err.h"
#include "brg_topic.h"

/* QoS of both ends of a data topic (see brg_dds.h for why). */
static dds_qos_t *
brg_dds_data_qos(ESHMChannelMode mode, uint32_t depth)
{
	dds_qos_t *q = dds_create_qos();
	int32_t window = (int32_t)(depth < BRG_DDS_WINDOW_MIN ? BRG_DDS_WINDOW_MIN : depth);

	if (q == NULL)
		return NULL;
	dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(BRG_DDS_BLOCK_MS));
	if (mode == ESHM_CHANNEL_QUEUE) {
		dds_qset_history(q, DDS_HISTORY_KEEP_ALL, 0);
		dds_qset_resource_limits(q, window, 1, window);
		dds_qset_durability(q, DDS_DURABILITY_VOLATILE);
	} else {
		dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
		dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
	}
	return q;
}

static dds_qos_t *
brg_dds_state_qos(uint32_t lease_ms, bool reader)
{
	dds_qos_t *q = dds_create_qos();

	if (q == NULL)
		return NULL;
	dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_MSECS(BRG_DDS_BLOCK_MS));
	dds_qset_history(q, DDS_HISTORY_KEEP_LAST, 1);
	dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
	if (reader)
		/* A bridge's own reports are not news to it. */
		dds_qset_ignorelocal(q, DDS_IGNORELOCAL_PARTICIPANT);
	else {
		dds_qset_liveliness(q, DDS_LIVELINESS_MANUAL_BY_PARTICIPANT, DDS_MSECS(lease_ms));
		/* Only a bridge that leaves cleanly disposes its report
		 * (brg_state_withdraw()): a lost one must read as lost, not as
		 * gone, so its instance is unregistered, never disposed, when its
		 * liveliness lapses. */
		dds_qset_writer_data_lifecycle(q, false);
	}
	return q;
}

/* Keep the handle @e, or say which step failed and why. */
static int
brg_dds_check(dds_entity_t e, const char *what, char *err, size_t errlen)
{
	if (e >= 0)
		return BRG_OK;
	snprintf(err, errlen, "cannot create the DDS %s: %s", what, dds_strretcode(e));
	return BRG_ERR_DDS;
}

static int
brg_dds_topics(struct brg_dds *d, const struct brg_dds_spec *s, dds_entity_t topic[3],
               char *err, size_t errlen)
{
	static const char *const what[] = {"topic m2s", "topic s2m", "state topic"};
	char name[BRG_TOPIC_SIZE];
	int k, rc;

	for (k = BRG_TOPIC_M2S; k <= BRG_TOPIC_STATE; k++) {
		rc = brg_topic_name(s->segment, (enum brg_topic_kind)k, name, sizeof(name));
		if (rc != BRG_OK) {
			snprintf(err, errlen, "no topic name for segment %s", s->segment);
			return rc;
		}
		topic[k] = dds_create_topic(d->participant,
		                            k == BRG_TOPIC_STATE ? &eshm_bridge_EndpointState_desc
		                                                 : &eshm_bridge_Message_desc,
		                            name, NULL, NULL);
		rc = brg_dds_check(topic[k], what[k], err, errlen);
		if (rc != BRG_OK)
			return rc;
	}
	return BRG_OK;
}

static int
brg_dds_endpoints(struct brg_dds *d, const struct brg_dds_spec *s, const dds_entity_t topic[3],
                  char *err, size_t errlen)
{
	/* The local real process holds the other role and writes its channel. */
	int out = s->stand_in == ESHM_ROLE_SLAVE ? BRG_TOPIC_M2S : BRG_TOPIC_S2M;
	dds_qos_t *data = brg_dds_data_qos(s->mode, s->queue_depth);
	dds_qos_t *sw = brg_dds_state_qos(s->lease_ms, false);
	dds_qos_t *sr = brg_dds_state_qos(s->lease_ms, true);
	int rc = BRG_ERR_DDS;

	if (data == NULL || sw == NULL || sr == NULL) {
		snprintf(err, errlen, "cannot create DDS QoS");
		goto out;
	}
	d->data_writer = dds_create_writer(d->participant, topic[out], data, NULL);
	rc = brg_dds_check(d->data_writer, "data writer", err, errlen);
	if (rc != BRG_OK)
		goto out;
	d->data_reader = dds_create_reader(d->participant, topic[BRG_TOPIC_S2M - out], data, NULL);
	rc = brg_dds_check(d->data_reader, "data reader", err, errlen);
	if (rc != BRG_OK)
		goto out;
	d->state_writer = dds_create_writer(d->participant, topic[BRG_TOPIC_STATE], sw, NULL);
	rc = brg_dds_check(d->state_writer, "state writer", err, errlen);
	if (rc != BRG_OK)
		goto out;
	d->state_reader = dds_create_reader(d->participant, topic[BRG_TOPIC_STATE], sr, NULL);
	rc = brg_dds_check(d->state_reader, "state reader", err, errlen);
out:
	dds_delete_qos(data);
	dds_delete_qos(sw);
	dds_delete_qos(sr);
	return rc;
}

int
brg_dds_open(struct brg_dds *d, const struct brg_dds_spec *s, char *err, size_t errlen)
{
	dds_entity_t topic[3];
	int rc;

	if (d == NULL || s == NULL || s->segment == NULL || s->config == NULL ||
	    (s->stand_in != ESHM_ROLE_MASTER && s->stand_in != ESHM_ROLE_SLAVE) || s->lease_ms == 0)
		return BRG_ERR_INVALID;
	memset(d, 0, sizeof(*d));
	d->domain = dds_create_domain(s->domain, s->config);
	rc = brg_dds_check(d->domain, "domain (Cyclone's messages above say why)", err, errlen);
	if (rc != BRG_OK) {
		d->domain = 0;
		return rc;
	}
	d->participant = dds_create_participant(s->domain, NULL, NULL);
	rc = brg_dds_check(d->participant, "participant", err, errlen);
	if (rc == BRG_OK)
		rc = brg_dds_topics(d, s, topic, err, errlen);
	if (rc == BRG_OK)
		rc = brg_dds_endpoints(d, s, topic, err, errlen);
	if (rc != BRG_OK)
		brg_dds_close(d);
	return rc;
}

void
brg_dds_close(struct brg_dds *d)
{
	if (d == NULL || d->domain <= 0)
		return;
	/* Deleting the domain deletes the participant and all in it. */
	dds_delete(d->domain);
	memset(d, 0, sizeof(*d));
}
