/*
 * brg_ddslog.c - Cyclone DDS's messages through the bridge's log, with a
 * bound on their rate (brg_ddslog.h).
 */
#include <dds/dds.h>
#include <pthread.h>
#include <stdint.h>

#include "brg_ddslog.h"
#include "brg_err.h"
#include "brg_log.h"
#include "clock.h"

static pthread_mutex_t brg_ddslog_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t brg_ddslog_window;  /* start of the current window, ns */
static unsigned brg_ddslog_count;   /* lines in it */
static unsigned long brg_ddslog_held; /* lines held back in it */

static int
brg_ddslog_priority(uint32_t category)
{
	if (category & DDS_LC_FATAL)
		return LOG_CRIT;
	if (category & DDS_LC_ERROR)
		return LOG_ERR;
	if (category & DDS_LC_WARNING)
		return LOG_WARNING;
	return LOG_INFO;
}

/* Say how many lines the window that ended held back.  Lock held. */
static void
brg_ddslog_flush(void)
{
	if (brg_ddslog_held > 0)
		brg_log(LOG_WARNING, "%lu more messages of Cyclone DDS held back in %d s",
		        brg_ddslog_held, BRG_DDSLOG_WINDOW_S);
	brg_ddslog_held = 0;
	brg_ddslog_count = 0;
}

/* Cyclone's sink: may be called from any of its threads. */
static void
brg_ddslog_sink(void *arg, const dds_log_data_t *d)
{
	const char *text = d->message;
	size_t len = d->size;
	uint64_t now = clock_mono_ns();

	(void)arg;
	/* The message comes without Cyclone's header (time, domain, thread):
	 * the journal has its own. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len == 0)
		return;
	pthread_mutex_lock(&brg_ddslog_lock);
	if (now - brg_ddslog_window >= (uint64_t)BRG_DDSLOG_WINDOW_S * 1000000000u) {
		brg_ddslog_flush();
		brg_ddslog_window = now;
	}
	if (brg_ddslog_count < BRG_DDSLOG_BURST) {
		brg_ddslog_count++;
		brg_log(brg_ddslog_priority(d->priority), "Cyclone DDS: %.*s", (int)len, text);
	} else {
		brg_ddslog_held++;
	}
	pthread_mutex_unlock(&brg_ddslog_lock);
}

int
brg_ddslog_open(void)
{
	dds_set_log_sink(brg_ddslog_sink, NULL);
	return BRG_OK;
}

void
brg_ddslog_close(void)
{
	dds_set_log_sink(NULL, NULL);
	pthread_mutex_lock(&brg_ddslog_lock);
	brg_ddslog_flush();
	pthread_mutex_unlock(&brg_ddslog_lock);
}
