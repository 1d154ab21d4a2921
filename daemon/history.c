/*
 * history.c - eshmd's events: logged with their fields, kept in a ring
 * (see history.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "eshm.h"
#include "history.h"
#include "layout.h"
#include "log.h"

/* Each type's name, priority and MESSAGE_ID (listed in eshmd.catalog). */
static const struct {
	const char *name;
	int priority;
	const char *message_id;
} hist_types[HIST_TYPES] = {
	[HIST_STARTED] = {"started", LOG_INFO, "e037f1b7cb3647e0bc1ef4603007a24a"},
	[HIST_STOPPED] = {"stopped", LOG_INFO, "d3e31f6d14d34a579ad0b806bf9159cd"},
	[HIST_CREATED] = {"created", LOG_INFO, "d6f20ca879c34f63bc0318ec7e4c5a8a"},
	[HIST_ATTACHED] = {"attached", LOG_INFO, "00e9e60e30a845f6b145b5cc0a2174ef"},
	[HIST_DETACHED] = {"detached", LOG_INFO, "36b78d1e56164a318596c2d6a08eaf4f"},
	[HIST_TAKEN_OVER] = {"taken-over", LOG_NOTICE, "6529b39f8d474589896c0f3120613d3e"},
	[HIST_HUNG_UP] = {"hung-up", LOG_INFO, "1d5c3f677ea54e6bb3deb87803a700ed"},
	[HIST_RELEASED] = {"released", LOG_NOTICE, "f48a0e712cce411f8f43016cd367c872"},
	[HIST_STALE] = {"stale", LOG_NOTICE, "6a74175f243149c98ba7d45325c94b88"},
	[HIST_ALIVE] = {"alive", LOG_INFO, "ca5d64b0424b44fe81c207774ac40823"},
	[HIST_DEAD] = {"dead", LOG_NOTICE, "396d602665cc499297fdcaf088160368"},
	[HIST_REPAIRED] = {"repaired", LOG_NOTICE, "4a31d0d8f0504e4e9838504dafc0591e"},
	[HIST_REMOVED] = {"removed", LOG_NOTICE, "3797bec0562c4d24a3671a7025229698"},
	[HIST_REATTACHED] = {"reattached", LOG_INFO, "42e3aab97b904130a76e752bcd5d39a3"},
	[HIST_RESTORED] = {"restored", LOG_INFO, "608eb9f71c164b75868570d63c5be6c2"},
	[HIST_REFUSED] = {"refused", LOG_INFO, "919cc123641944d5bc766162f04d00fd"},
	[HIST_LIMIT] = {"limit", LOG_WARNING, "c0b9c74ac3524022acd29f406862f097"},
	[HIST_OBSERVER_ATTACHED] = {"observer-attached", LOG_INFO,
	                            "b6a7ba5089b74d4187defcb4c3e8e347"},
	[HIST_OBSERVER_LEFT] = {"observer-left", LOG_INFO, "5471930e9b8b4474974f75a09fe1b342"},
	[HIST_BRIDGED] = {"bridged", LOG_INFO, "a3c5f53231604eaaad7345397f8edd9b"},
};

enum hist_type
hist_of_state(uint32_t state)
{
	switch (state) {
	case SEG_EP_STALE:
		return HIST_STALE;
	case SEG_EP_DEAD:
		return HIST_DEAD;
	case SEG_EP_DETACHED:
		return HIST_DETACHED;
	default:
		return HIST_ALIVE;
	}
}

const char *
hist_type_name(unsigned type)
{
	return type < HIST_TYPES ? hist_types[type].name : "unknown";
}

const char *
hist_message_id(unsigned type)
{
	return type < HIST_TYPES ? hist_types[type].message_id : "";
}

int
hist_init(struct history *h, uint32_t size)
{
	*h = (struct history){.size = size, .next = 1, .wake_fd = -1};
	if (size != 0) {
		h->ring = calloc(size, sizeof(*h->ring));
		if (h->ring == NULL) {
			log_msg(LOG_ERR, "out of memory keeping %u events", size);
			return -1;
		}
	}
	h->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->wake_fd < 0) {
		log_msg(LOG_ERR, "eventfd: %s", strerror(errno));
		hist_free(h);
		return -1;
	}
	return 0;
}

void
hist_free(struct history *h)
{
	free(h->ring);
	h->ring = NULL;
	h->size = 0;
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	h->wake_fd = -1;
}

struct hist_subject
hist_endpoint(const struct reg_segment *seg, int index)
{
	const struct reg_endpoint *ep = &seg->ep[index];

	return (struct hist_subject){.segment = seg->name, .role = index == SEG_MASTER ?
	                                                            ESHM_ROLE_MASTER :
	                                                            ESHM_ROLE_SLAVE,
	                             .pid = ep->pid, .uid = ep->uid, .owner = seg->owner_uid};
}

struct hist_subject
hist_segment(const struct reg_segment *seg, pid_t pid, uid_t uid)
{
	return (struct hist_subject){.segment = seg->name, .role = -1, .pid = pid, .uid = uid,
	                             .owner = seg->owner_uid};
}

/* Log and keep the event of @type about @s with @message. */
static void
hist_keep(struct eshmd *d, enum hist_type type, const struct hist_subject *s, const char *message)
{
	struct history *h = &d->hist;
	struct hist_event ev = {
		.serial = h->next,
		.realtime_ns = clock_real_ns(),
		.type = (uint16_t)type,
		.role = (int16_t)s->role,
		.pid = (int32_t)s->pid,
		.uid = (uint32_t)s->uid,
		.owner = (uint32_t)s->owner,
		.status = s->status,
	};
	struct log_fields f = {
		.message_id = hist_types[type].message_id,
		.segment = s->segment,
		.role = proto_role_name(s->role),
		.pid = s->pid,
		.uid = s->uid,
	};

	snprintf(ev.message, sizeof(ev.message), "%s", message);
	if (s->segment != NULL)
		snprintf(ev.segment, sizeof(ev.segment), "%s", s->segment);
	log_fields(hist_types[type].priority, &f, ev.message);
	h->next++;
	if (h->size == 0)
		return;
	h->ring[(ev.serial - 1) % h->size] = ev;
	if (h->followers > 0 && h->wake_fd >= 0) {
		uint64_t one = 1;

		if (write(h->wake_fd, &one, sizeof(one)) < 0) {
			/* Already signalled past the counter's limit: nothing lost. */
		}
	}
}

void
hist_record(struct eshmd *d, enum hist_type type, const struct hist_subject *s,
            const char *fmt, ...)
{
	char message[PROTO_TEXT_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	hist_keep(d, type, s, message);
}

void
hist_refusal(struct eshmd *d, enum hist_type type, const struct hist_subject *s,
             const char *fmt, ...)
{
	struct history *h = &d->hist;
	uint64_t now = clock_mono_ns();
	char message[PROTO_TEXT_SIZE];
	int n;
	va_list ap;

	h->refusals[s->status < 0 && s->status > -HIST_REASONS ? -s->status : 0]++;
	if (now - h->refusal_second_ns >= UINT64_C(1000000000)) {
		h->refusal_second_ns = now;
		h->refusals_recorded = 0;
	}
	if (h->refusals_recorded >= HIST_REFUSALS_PER_S) {
		h->refusals_unrecorded++;
		return;
	}
	h->refusals_recorded++;
	va_start(ap, fmt);
	n = vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (h->refusals_unrecorded != 0 && n >= 0 && (size_t)n < sizeof(message))
		snprintf(message + n, sizeof(message) - (size_t)n,
		         " (after %llu refusals not recorded)",
		         (unsigned long long)h->refusals_unrecorded);
	h->refusals_unrecorded = 0;
	hist_keep(d, type, s, message);
}

const struct hist_event *
hist_at(const struct history *h, uint64_t serial, uint64_t *lost)
{
	uint64_t oldest = h->next > h->size ? h->next - h->size : 1;

	*lost = 0;
	if (serial == 0) {
		serial = oldest;
	} else if (serial < oldest) {
		*lost = oldest - serial;
		serial = oldest;
	}
	if (serial >= h->next || h->size == 0)
		return NULL;
	return &h->ring[(serial - 1) % h->size];
}
