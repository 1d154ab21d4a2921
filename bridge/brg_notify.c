/*
 * brg_notify.c - sd_notify for eshm-bridge@.service (brg_notify.h).
 */
#include <stddef.h>
#include <systemd/sd-daemon.h>

#include "brg_err.h"
#include "brg_notify.h"

int
brg_notify_ready(void)
{
	sd_notify(0, "READY=1");
	return BRG_OK;
}

int
brg_notify_status(const char *text)
{
	if (text == NULL)
		return BRG_ERR_INVALID;
	sd_notifyf(0, "STATUS=%s", text);
	return BRG_OK;
}

int
brg_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
	return BRG_OK;
}
