/*
 * brg_err.c - sentences for the bridge's error codes.
 */
#include "brg_err.h"

const char *
brg_strerror(int code)
{
	switch (code) {
	case BRG_OK:
		return "success";
	case BRG_ERR_INVALID:
		return "invalid argument";
	case BRG_ERR_NAME:
		return "not a valid name";
	case BRG_ERR_TOO_LONG:
		return "result too long for its buffer";
	case BRG_ERR_CONFIG:
		return "configuration error";
	case BRG_ERR_IO:
		return "input/output error";
	case BRG_ERR_ESHM:
		return "libeshm-client error";
	case BRG_ERR_DDS:
		return "Cyclone DDS error";
	case BRG_ERR_NO_MEMORY:
		return "out of memory";
	case BRG_ERR_UNSUPPORTED:
		return "not supported by eshmd";
	case BRG_ERR_REFUSED:
		return "refused by eshmd";
	case BRG_ERR_STOPPED:
		return "the bridge is stopping";
	default:
		return "unknown error";
	}
}
