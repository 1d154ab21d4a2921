/*
 * ctl_observers.h - the observers of one segment (eshmd's OBSERVERS
 * request), as show, list --json and watch NAME give them: each one's
 * process, the channel it reads and its reader counts.
 */
#ifndef ESHMCTL_OBSERVERS_H
#define ESHMCTL_OBSERVERS_H

#include <stdint.h>
#include <stdio.h>

#include "ctl_cli.h"
#include "proto.h"

/*
 * Ask eshmd for the observers of segment @name into @out, on @sock, or on
 * a connection of its own to ctx->socket_path when @sock is -1.  Says
 * nothing on failure: the caller leaves the detail out (an eshmd older
 * than OBSERVERS refuses the request).  Returns 0 or an ESHM_ERROR_* code.
 */
int ctl_observers_fetch(const struct ctl_ctx *ctx, int sock, const char *name,
                        struct proto_observers_reply *out);

/*
 * Print the observers in @o of a segment of channel mode @mode (SEG_MODE_*)
 * as a table on @out, lines ended by @eol, ages against the
 * CLOCK_REALTIME instant @now_ns.  Returns 0, or -1 if out of memory or
 * writing failed.
 */
int ctl_observers_print(const struct proto_observers_reply *o, uint32_t mode, uint64_t now_ns,
                        FILE *out, const char *eol);

#endif /* ESHMCTL_OBSERVERS_H */
