/*
 * brg_err.h - the error codes every eshm-bridge function returns.
 *
 * The bridge sits between two libraries with their own codes (libeshm-client's
 * ESHM_ERROR_*, Cyclone's DDS_RETCODE_*); its own functions answer in one
 * set, so a caller never has to guess which library a number came from.  The
 * library's detail is logged where it happens.
 */
#ifndef ESHM_BRIDGE_ERR_H
#define ESHM_BRIDGE_ERR_H

enum brg_err {
	BRG_OK = 0,
	BRG_ERR_INVALID = -1,   /* a NULL pointer, an out-of-range argument */
	BRG_ERR_NAME = -2,      /* not a segment name, or not an escaped one */
	BRG_ERR_TOO_LONG = -3,  /* the result does not fit the buffer given */
	BRG_ERR_CONFIG = -4,    /* the configuration file is wrong (the message says where) */
	BRG_ERR_IO = -5,        /* a file or socket could not be read or written */
	BRG_ERR_ESHM = -6,      /* libeshm-client refused */
	BRG_ERR_DDS = -7,       /* Cyclone DDS refused */
	BRG_ERR_NO_MEMORY = -8,
	BRG_ERR_UNSUPPORTED = -9, /* eshmd does not offer what was asked (PROXY) */
	BRG_ERR_REFUSED = -10,  /* eshmd answered with an error */
	BRG_ERR_STOPPED = -11,  /* the bridge is shutting down */
};

/* A short sentence for @code; never NULL.  Thread-safe. */
const char *brg_strerror(int code);

#endif /* ESHM_BRIDGE_ERR_H */
