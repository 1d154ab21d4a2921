/*
 * brg_notify.h - telling systemd how the bridge is doing (sd_notify); each
 * call does nothing outside a Type=notify service.
 */
#ifndef ESHM_BRIDGE_NOTIFY_H
#define ESHM_BRIDGE_NOTIFY_H

/* READY=1: attached, DDS up, both threads running.  Returns BRG_OK. */
int brg_notify_ready(void);

/* STATUS=@text (NULL: ignored): shown by systemctl status.  Returns BRG_OK or BRG_ERR_INVALID. */
int brg_notify_status(const char *text);

/* STOPPING=1.  Returns BRG_OK. */
int brg_notify_stopping(void);

#endif /* ESHM_BRIDGE_NOTIFY_H */
