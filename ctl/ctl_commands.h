/*
 * ctl_commands.h - eshmctl's commands, one file each (ctl_cmd_NAME.c).
 */
#ifndef ESHMCTL_COMMANDS_H
#define ESHMCTL_COMMANDS_H

#include "ctl_cli.h"

extern const struct ctl_cmd ctl_cmd_status;
extern const struct ctl_cmd ctl_cmd_list;
extern const struct ctl_cmd ctl_cmd_show;
extern const struct ctl_cmd ctl_cmd_watch;
extern const struct ctl_cmd ctl_cmd_create;
extern const struct ctl_cmd ctl_cmd_remove;
extern const struct ctl_cmd ctl_cmd_peek;
extern const struct ctl_cmd ctl_cmd_metrics;
extern const struct ctl_cmd ctl_cmd_events;

#endif /* ESHMCTL_COMMANDS_H */
