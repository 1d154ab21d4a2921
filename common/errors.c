/*
 * errors.c - one sentence for every ESHM_ERROR_* code, exported by
 * libeshm-client as eshm_error_string().
 */
#include "eshm.h"
#include "export.h"
#include "proto.h"

ESHM_EXPORT const char *
eshm_error_string(int code)
{
	switch ((ESHMError)code) {
	case ESHM_SUCCESS:
		return "Success.";
	case ESHM_ERROR_INVALID_PARAM:
		return "An argument is invalid (NULL pointer, zero size or unknown value).";
	case ESHM_ERROR_NO_DATA:
		return "No message has arrived that this side has not read yet.";
	case ESHM_ERROR_TIMEOUT:
		return "The wait ran out before a new message arrived.";
	case ESHM_ERROR_BUFFER_TOO_SMALL:
		return "The message is larger than the buffer; it stays unread.";
	case ESHM_ERROR_DATA_TOO_LARGE:
		return "The message is larger than the segment's channel capacity.";
	case ESHM_ERROR_NAME_INVALID:
		return "The segment name must be 1 to 200 bytes of A-Z a-z 0-9 . _ - "
		       "and must not start with '.' or '-'.";
	case ESHM_ERROR_ROLE_TAKEN:
		return "The requested role is already held by a live endpoint.";
	case ESHM_ERROR_DAEMON_UNAVAILABLE:
		return "The eshmd broker cannot be reached (is it running, is $ESHM_SOCKET right?).";
	case ESHM_ERROR_PERMISSION:
		return "eshmd's access policy does not allow this user to use the segment.";
	case ESHM_ERROR_NO_MEMORY:
		return "Out of memory: allocating or mapping failed.";
	case ESHM_ERROR_NO_SPACE:
		return "The system has no room left for the segment's shared memory.";
	case ESHM_ERROR_SEGMENT_CORRUPT:
		return "The segment's memory is not valid (not written by eshm, or damaged), "
		       "or a message's size exceeds the capacity.";
	case ESHM_ERROR_VERSION_MISMATCH:
		return "The segment layout or control protocol version differs from this library's.";
	case ESHM_ERROR_REMOTE_STALE:
		return "The remote endpoint's heartbeat has stopped for longer than the threshold.";
	case ESHM_ERROR_REMOTE_DEAD:
		return "The remote endpoint's process died without detaching.";
	case ESHM_ERROR_DETACHED:
		return "The endpoint is detached (the segment was removed, the role taken over, "
		       "or the handle belongs to a parent process); destroy this handle.";
	case ESHM_ERROR_PROTOCOL:
		return "A control message was malformed.";
	case ESHM_ERROR_LIMIT:
		return "An eshmd limit was reached (segments, endpoints or capacity).";
	case ESHM_ERROR_NOT_FOUND:
		return "No segment of that name exists.";
	case ESHM_ERROR_BUSY:
		return "The segment still has attached endpoints.";
	case ESHM_ERROR_EXISTS:
		return "A segment of that name already exists.";
	case ESHM_ERROR_SYSTEM:
		return "An unexpected system error occurred (see errno).";
	case ESHM_ERROR_QUEUE_FULL:
		return "The queue holds as many unread messages as its depth; the reader must catch up.";
	case ESHM_ERROR_CONTENDED:
		return "The read gave up: the writer overwrote the message during every copy.";
	case ESHM_ERROR_READ_ONLY:
		return "An observer only reads: it cannot write.";
	case ESHM_ERROR_OVERWRITTEN:
		return "The writer overwrote the viewed message: discard what was read from it.";
	case ESHM_ERROR_PENDING:
		return "A loan or a read view is still out: publish, cancel or release it first.";
	case ESHM_ERROR_INTERRUPTED:
		return "The wait was interrupted by eshm_interrupt().";
	}
	return "Unknown error code.";
}

const char *
proto_error_name(int code)
{
	/* Indexed by -code; the order of ESHMError. */
	static const char *const names[] = {
		"success",
		"invalid_param",
		"no_data",
		"timeout",
		"buffer_too_small",
		"data_too_large",
		"name_invalid",
		"role_taken",
		"daemon_unavailable",
		"permission",
		"no_memory",
		"no_space",
		"segment_corrupt",
		"version_mismatch",
		"remote_stale",
		"remote_dead",
		"detached",
		"protocol",
		"limit",
		"not_found",
		"busy",
		"exists",
		"system",
		"queue_full",
		"contended",
		"read_only",
		"overwritten",
		"pending",
		"interrupted",
	};

	if (code > 0 || -code >= (int)(sizeof(names) / sizeof(names[0])))
		return "other";
	return names[-code];
}
