/*
 * monitor.h - the thread that judges heartbeats.  Started and stopped by
 * the main thread.
 */
#ifndef ESHMD_MONITOR_H
#define ESHMD_MONITOR_H

#include "daemon.h"

/* Start the monitor thread.  Returns 0 or -1 (logged). */
int mon_start(struct eshmd *d);

/* Stop and join it. */
void mon_stop(struct eshmd *d);

#endif /* ESHMD_MONITOR_H */
