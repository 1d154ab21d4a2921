/*
 * fuzz_settings.c - libFuzzer target: eshmd's configuration file parser.
 *
 * The input is the file's text, handed to settings_load_file() through a
 * memfd (no disk traffic, no temporary files left behind).  Whatever the
 * text, the parser must return 0 or -1, leave the settings unchanged on
 * error, and keep every string field terminated.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_fd = -1;
static char fz_path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eshmd_settings s, before;
	char err[256];
	int rc;

	if (fz_fd < 0) {
		fz_fd = memfd_create("eshmd.conf", MFD_CLOEXEC);
		if (fz_fd < 0)
			abort();
		snprintf(fz_path, sizeof(fz_path), "/proc/self/fd/%d", fz_fd);
	}
	if (ftruncate(fz_fd, 0) < 0 || pwrite(fz_fd, data, size, 0) != (ssize_t)size)
		abort();

	settings_defaults(&s);
	memcpy(&before, &s, sizeof(s));
	memset(err, 'x', sizeof(err));
	rc = settings_load_file(&s, fz_path, false, err, sizeof(err));
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1) {
		if (memcmp(&before, &s, sizeof(s)) != 0)
			abort();
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	}
	if (memchr(s.socket_path, '\0', sizeof(s.socket_path)) == NULL ||
	    memchr(s.shm_prefix, '\0', sizeof(s.shm_prefix)) == NULL ||
	    memchr(s.access_group, '\0', sizeof(s.access_group)) == NULL)
		abort();
	return 0;
}
