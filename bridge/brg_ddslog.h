/*
 * brg_ddslog.h - Cyclone DDS's own messages, through the bridge's log.
 *
 * Cyclone writes its errors and warnings to stderr without a priority the
 * journal could read, and some of them come once per datagram (every send
 * to a peer fails while the link is down): they go through brg_log() with
 * their priority instead, at most BRG_DDSLOG_BURST lines per
 * BRG_DDSLOG_WINDOW_S seconds, and how many were held back is said once
 * the window ends.
 */
#ifndef ESHM_BRIDGE_DDSLOG_H
#define ESHM_BRIDGE_DDSLOG_H

#define BRG_DDSLOG_BURST 10
#define BRG_DDSLOG_WINDOW_S 10

/*
 * Route Cyclone's log (fatal, error, warning, info) to brg_log() from now
 * on; call before the first DDS entity is created.  Returns BRG_OK.
 */
int brg_ddslog_open(void);

/* Give Cyclone its own sink back (stderr), saying what was still held back. */
void brg_ddslog_close(void);

#endif /* ESHM_BRIDGE_DDSLOG_H */
