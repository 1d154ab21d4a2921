/*
 * notify.c - telling systemd how eshmd is doing (sd_notify).  Each call is
 * a no-op without $NOTIFY_SOCKET.
 */
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "notify.h"

void
ntf_ready(void)
{
	sd_notify(0, "READY=1");
}

void
ntf_reloading(void)
{
	/* MONOTONIC_USEC lets Type=notify-reload match this reload. */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	           (unsigned long long)(clock_mono_ns() / 1000u));
}

void
ntf_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void
ntf_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

uint64_t
ntf_watchdog_period_ns(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	return usec * 1000u / 2;
}

void
ntf_status(struct eshmd *d)
{
	uint32_t by_state[4], segments;
	char text[sizeof(d->status_text)];

	segments = reg_counts(&d->reg, by_state);
	snprintf(text, sizeof(text), "%u segments; endpoints: %u alive, %u stale, %u dead",
	         segments, by_state[SEG_EP_ALIVE],
	         by_state[SEG_EP_STALE], by_state[SEG_EP_DEAD]);
	if (strcmp(text, d->status_text) == 0)
		return;
	snprintf(d->status_text, sizeof(d->status_text), "%s", text);
	sd_notifyf(0, "STATUS=%s", text);
	log_msg(LOG_DEBUG, "status: %s", text);
}
