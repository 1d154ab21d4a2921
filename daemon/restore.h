/*
 * restore.h - rebuilding the registry at start from eshmd's records and
 * the memfds the service manager kept (fdstore.h), after a crash or a
 * restart.  Clients keep exchanging data meanwhile; endpoints whose
 * processes still run are awaited (they reattach and hand their memfds
 * back), the others are dead and the cleanup policy applies at once.
 * Event-loop thread.
 */
#ifndef ESHMD_RESTORE_H
#define ESHMD_RESTORE_H

#include <stddef.h>

#include "daemon.h"
#include "fdstore.h"

/* How long a segment restored without its memfds waits for an endpoint to bring them. */
#define RST_WAIT_S 10

/*
 * Restore every record in d->records_dir, taking the matching memfds of
 * @stored (@n entries; the ones taken are set to -1, the others are
 * closed and removed from the store).  Takes registry.lock.  Returns the
 * number of segments restored.
 */
int rst_restore(struct eshmd *d, struct fds_entry *stored, size_t n);

/*
 * Drop the restored segments whose memfds nobody supplied within
 * RST_WAIT_S.  Once a second, registry.lock held.
 */
void rst_sweep(struct eshmd *d);

#endif /* ESHMD_RESTORE_H */
