/*
 * ctl_conn.h - eshmctl's conversation with eshmd: connecting to the control
 * socket and turning every failure into a sentence that says what to do.
 */
#ifndef ESHMCTL_CONN_H
#define ESHMCTL_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_cli.h"
#include "proto.h"

/* How long eshmctl waits for any reply of eshmd. */
#define CTL_REPLY_TIMEOUT_MS 5000

/*
 * Connect to eshmd at ctx->socket_path.  Returns the socket, or -1 after
 * printing on stderr why (not running, permission, bad path) and what to do.
 */
int ctl_connect(const struct ctl_ctx *ctx);

/*
 * Connect, send request @type with @body, wait for its reply of
 * @expect_type into @reply (and the descriptors passed with it into @fds;
 * @fds may be NULL when none is expected), and close the connection.  Every failure
 * is explained on stderr (about segment @name, NULL if none).  Returns 0,
 * the reply's ESHM_ERROR_* status, or ESHM_ERROR_DAEMON_UNAVAILABLE when
 * eshmd could not be reached.
 */
int ctl_request(const struct ctl_ctx *ctx, const char *name, uint16_t type, const void *body,
                uint16_t expect_type, void *reply, struct proto_fds *fds);

/*
 * The request of a command about one segment, named by its only operand:
 * check that exactly one operand follows the options and that it is a
 * valid name (a usage error otherwise), copy it into @name (the name field
 * of @body, PROTO_NAME_SIZE bytes), then ctl_request() @type with @body,
 * its reply of @expect_type into @reply and the descriptors passed with it
 * into @fds (may be NULL).  Returns CTL_EXIT_OK, CTL_EXIT_USAGE, or
 * CTL_EXIT_FAIL once the failure was explained on stderr.
 */
int ctl_segment_request(struct ctl_ctx *ctx, int argc, char **argv, char *name, uint16_t type,
                        const void *body, uint16_t expect_type, void *reply,
                        struct proto_fds *fds);

/*
 * Write into @buf (@len bytes) the sentence for connection failure @err
 * (an errno value) to ctx->socket_path.
 */
void ctl_explain_connect(const struct ctl_ctx *ctx, int err, char *buf, size_t len);

/*
 * Send a LIST on @sock and collect its replies until the closing DONE into
 * *@segs (malloc'd, sorted by name, free() it; NULL when empty) and their
 * number into *@n.  Returns 0, the status of an error reply,
 * ESHM_ERROR_NO_MEMORY, or ESHM_ERROR_DAEMON_UNAVAILABLE /
 * ESHM_ERROR_PROTOCOL; on error *@segs is NULL.
 */
int ctl_list(int sock, struct proto_segment_info **segs, size_t *n);

/* A command without operands of its own: parse its options (@longopts) and
 * refuse operands.  Returns -1 to go on, else the exit code. */
int ctl_no_operands(struct ctl_ctx *ctx, int argc, char **argv, const struct option *longopts);

/* ctl_list() over a connection of its own, its failure reported.  Returns
 * CTL_EXIT_OK with *@segs and *@n filled, or the exit code. */
int ctl_fetch_list(struct ctl_ctx *ctx, struct proto_segment_info **segs, size_t *n);

/*
 * Write into @buf (@len bytes) what the failure @status of eshmd means for
 * segment @name (NULL if none) and what to do about it; @detail is eshmd's
 * own message, or NULL or empty.
 */
void ctl_explain(const struct ctl_ctx *ctx, int status, const char *name, const char *detail,
                 char *buf, size_t len);

/* ctl_explain() printed on stderr.  Returns CTL_EXIT_FAIL. */
int ctl_report(const struct ctl_ctx *ctx, int status, const char *name, const char *detail);

#endif /* ESHMCTL_CONN_H */
