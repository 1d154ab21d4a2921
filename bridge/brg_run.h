/*
 * brg_run.h - one bridge from start to stop: attach, open DDS, start the
 * pump and the sink, then report, judge and declare until asked to stop.
 */
#ifndef ESHM_BRIDGE_RUN_H
#define ESHM_BRIDGE_RUN_H

#include <signal.h>

#include "brg_config.h"

/* How often the remote's state is declared to eshmd when nothing changes. */
#define BRG_DECLARE_PERIOD_MS 500u
/* The longest the main loop sleeps: it looks this often at *stop and at
 * the local endpoint's state, which no one wakes it for (the pump sleeps
 * on the channel, not on the handle's event descriptor). */
#define BRG_LOOP_MAX_MS 20u

/*
 * Run the bridge of @cfg (checked by brg_config_check()) until *@stop
 * becomes non-zero (a signal handler sets it) or a thread fails.
 * Returns BRG_OK after a requested stop, BRG_ERR_INVALID, or the error that
 * stopped or prevented the bridge (logged).  Call once per process: it
 * owns the process's DDS domain and signals nothing itself.
 */
int brg_run(const struct brg_config *cfg, volatile sig_atomic_t *stop);

#endif /* ESHM_BRIDGE_RUN_H */
