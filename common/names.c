/*
 * names.c - what a segment name may be.  The name becomes part of a
 * /dev/shm file name, so it is kept to a portable, path-free alphabet.
 */
#include <string.h>

#include "eshm.h"
#include "proto.h"

int
proto_name_valid(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || name[0] == '.' || name[0] == '-')
		return ESHM_ERROR_NAME_INVALID;
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i >= PROTO_NAME_MAX)
			return ESHM_ERROR_NAME_INVALID;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return ESHM_ERROR_NAME_INVALID;
	}
	return ESHM_SUCCESS;
}

const char *
proto_role_name(int role)
{
	switch (role) {
	case ESHM_ROLE_MASTER:
		return "master";
	case ESHM_ROLE_SLAVE:
		return "slave";
	case ESHM_ROLE_OBSERVER:
		return "observer";
	default:
		return NULL;
	}
}
