/*
 * memfd.c - creating, reopening and verifying the sealed memfds of
 * segments (see memfd.h).
 *
 * The order in memfd_new() matters: the size is set before the seals
 * forbid changing it, the mode before any descriptor leaves eshmd, and
 * F_SEAL_SEAL last, so nobody (eshmd included) can ever loosen them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eshm.h"
#include "layout.h"
#include "log.h"
#include "memfd.h"

#define MEMFD_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
/* The kernel refuses memfd names longer than NAME_MAX - strlen("memfd:"). */
#define MEMFD_NAME_MAX 249

int
memfd_new(const char *prefix, const char *name, const char *suffix, uint64_t size,
          struct memfd_id *id)
{
	char mname[MEMFD_NAME_MAX + 1];
	int fd, err;

	snprintf(mname, sizeof(mname), "%s%s%s", prefix, name, suffix);
	fd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		err = errno;
		log_msg(LOG_WARNING, "memfd_create %s: %s", mname, strerror(err));
		return err == ENOMEM || err == EMFILE || err == ENFILE ? ESHM_ERROR_NO_MEMORY
		                                                       : ESHM_ERROR_SYSTEM;
	}
	if (ftruncate(fd, (off_t)size) < 0 || fchmod(fd, 0600) < 0 ||
	    fcntl(fd, F_ADD_SEALS, MEMFD_SEALS) < 0 || memfd_identity(fd, id) != ESHM_SUCCESS) {
		err = errno;
		log_msg(LOG_WARNING, "memfd %s of %llu bytes: %s", mname, (unsigned long long)size,
		        strerror(err));
		close(fd);
		return err == ENOMEM || err == ENOSPC || err == EFBIG ? ESHM_ERROR_NO_MEMORY
		                                                      : ESHM_ERROR_SYSTEM;
	}
	return fd;
}

int
memfd_reopen(int fd, int writable)
{
	char path[64];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, (writable ? O_RDWR : O_RDONLY | O_NONBLOCK) | O_CLOEXEC);
	if (nfd < 0) {
		log_msg(LOG_WARNING, "cannot reopen memfd %d %s: %s", fd,
		        writable ? "read-write" : "read-only", strerror(errno));
		return ESHM_ERROR_SYSTEM;
	}
	return nfd;
}

int
memfd_identity(int fd, struct memfd_id *id)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return ESHM_ERROR_SYSTEM;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return ESHM_SUCCESS;
}

int
memfd_verify(int fd, const struct memfd_id *id, uint64_t size, const char **why)
{
	const char *reason = NULL;
	struct stat st;
	int seals;

	if (fstat(fd, &st) < 0)
		reason = "not a descriptor eshmd can inspect";
	else if (st.st_dev != id->dev || st.st_ino != id->ino)
		reason = "not the memfd eshmd recorded";
	else if (st.st_uid != geteuid())
		reason = "not owned by eshmd's user";
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)
		reason = "of the wrong size";
	else if ((seals = fcntl(fd, F_GET_SEALS)) < 0 || (seals & MEMFD_SEALS) != MEMFD_SEALS)
		reason = "not sealed";
	if (why != NULL)
		*why = reason;
	return reason == NULL ? ESHM_SUCCESS : ESHM_ERROR_PERMISSION;
}

int
memfd_map(int fd, uint64_t size, struct seg_mapping *m)
{
	void *base = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (base == MAP_FAILED)
		return errno == ENOMEM ? ESHM_ERROR_NO_MEMORY : ESHM_ERROR_SYSTEM;
	m->base = base;
	m->size = (size_t)size;
	return ESHM_SUCCESS;
}
