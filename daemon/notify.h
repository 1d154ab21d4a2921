/*
 * notify.h - systemd notifications; harmless without NOTIFY_SOCKET.
 * Thread-safe.
 */
#ifndef ESHMD_NOTIFY_H
#define ESHMD_NOTIFY_H

#include <stdint.h>

#include "daemon.h"

void ntf_ready(void);
void ntf_reloading(void);
void ntf_stopping(void);
void ntf_watchdog(void);

/*
 * Watchdog ping period in ns (half of WATCHDOG_USEC), 0 if the watchdog is
 * off.
 */
uint64_t ntf_watchdog_period_ns(void);

/* Send STATUS= if the counts changed since the last one.  registry.lock held. */
void ntf_status(struct eshmd *d);

#endif /* ESHMD_NOTIFY_H */
