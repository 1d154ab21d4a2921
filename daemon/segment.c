/*
 * segment.c - creating, opening and unlinking shared-memory objects.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eshm.h"
#include "log.h"
#include "segment.h"

/* "/" + prefix (<= 63) + name (<= 200) + NUL */
#define SEGOBJ_PATH_MAX 272

static void
segobj_path(char *buf, size_t len, const char *prefix, const char *name)
{
	snprintf(buf, len, "/%s%s", prefix, name);
}

static int
segobj_errno(int err)
{
	switch (err) {
	case ENOENT:
		return ESHM_ERROR_NOT_FOUND;
	case EEXIST:
		return ESHM_ERROR_EXISTS;
	case EACCES:
	case EPERM:
		return ESHM_ERROR_PERMISSION;
	case ENOSPC:
		return ESHM_ERROR_NO_SPACE;
	case ENOMEM:
		return ESHM_ERROR_NO_MEMORY;
	case ELOOP:
	case ENAMETOOLONG:
		return ESHM_ERROR_NAME_INVALID;
	default:
		return ESHM_ERROR_SYSTEM;
	}
}

int
segobj_create(const char *prefix, const char *name, const struct segobj_params *p,
              struct reg_segment **out)
{
	char path[SEGOBJ_PATH_MAX];
	struct reg_segment *seg;
	size_t size = seg_total_size(p->capacity);
	struct stat st;
	void *base;
	int fd, rc, err;

	*out = NULL;
	seg = reg_segment_new(name);
	if (seg == NULL)
		return ESHM_ERROR_NO_MEMORY;
	segobj_path(path, sizeof(path), prefix, name);
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = segobj_errno(errno);
		free(seg);
		return rc;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		rc = segobj_errno(errno);
		goto fail;
	}
	/* Reserve every page now: a full /dev/shm is an error here, never a
	 * SIGBUS in a client later. */
	err = posix_fallocate(fd, 0, (off_t)size);
	if (err != 0) {
		rc = segobj_errno(err);
		goto fail;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = segobj_errno(errno);
		goto fail;
	}
	seg_format(base, p->capacity, p->generation, p->stale_threshold_ms, p->flags,
	           (uint32_t)p->owner_uid, (uint32_t)p->owner_gid);
	rc = seg_validate(base, size, &seg->map);
	if (rc == ESHM_SUCCESS && fstat(fd, &st) < 0)
		rc = ESHM_ERROR_SYSTEM;
	if (rc != ESHM_SUCCESS) {
		munmap(base, size);
		goto fail;
	}
	seg->dev = st.st_dev;
	seg->ino = st.st_ino;
	close(fd);
	seg->generation = p->generation;
	*out = seg;
	return ESHM_SUCCESS;
fail:
	err = errno;
	shm_unlink(path);
	close(fd);
	free(seg);
	log_msg(LOG_WARNING, "cannot create segment %s: %s", name, eshm_error_string(rc));
	errno = err;
	return rc;
}

int
segobj_open(const char *prefix, const char *name, struct reg_segment **out)
{
	char path[SEGOBJ_PATH_MAX];
	struct reg_segment *seg;
	struct stat st;
	int fd, rc;

	*out = NULL;
	segobj_path(path, sizeof(path), prefix, name);
	fd = shm_open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return segobj_errno(errno);
	if (fstat(fd, &st) < 0) {
		rc = segobj_errno(errno);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return ESHM_ERROR_SEGMENT_CORRUPT;
	}
	/* An object someone else made is not ours to adopt, even if valid. */
	if (st.st_uid != geteuid()) {
		close(fd);
		return ESHM_ERROR_PERMISSION;
	}
	seg = reg_segment_new(name);
	if (seg == NULL) {
		close(fd);
		return ESHM_ERROR_NO_MEMORY;
	}
	rc = seg_map_fd(fd, 0, &seg->map);
	close(fd);
	if (rc != ESHM_SUCCESS) {
		free(seg);
		return rc;
	}
	seg->dev = st.st_dev;
	seg->ino = st.st_ino;
	seg->generation = seg->map.header->generation;
	*out = seg;
	return ESHM_SUCCESS;
}

int
segobj_reopen(const char *prefix, const struct reg_segment *seg, bool read_only)
{
	char path[SEGOBJ_PATH_MAX];
	const char *why;
	struct stat st;
	int fd, rc;

	segobj_path(path, sizeof(path), prefix, seg->name);
	fd = shm_open(path, (read_only ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0) {
		rc = errno == ENOENT || errno == ELOOP ? ESHM_ERROR_SEGMENT_CORRUPT
		                                       : segobj_errno(errno);
		why = errno == ENOENT ? "it was unlinked"
		      : errno == ELOOP ? "a symbolic link took its place"
		                       : strerror(errno);
		goto refuse;
	}
	if (fstat(fd, &st) < 0) {
		rc = ESHM_ERROR_SYSTEM;
		why = strerror(errno);
		close(fd);
		goto refuse;
	}
	/* Same name is not same object: anyone who can write /dev/shm can
	 * unlink ours and put another in its place.  Only the object eshmd
	 * mapped, at the size it mapped, is ever handed out. */
	if (st.st_dev != seg->dev || st.st_ino != seg->ino) {
		rc = ESHM_ERROR_SEGMENT_CORRUPT;
		why = "another object took its place";
		close(fd);
		goto refuse;
	}
	if ((uint64_t)st.st_size != seg->map.size) {
		rc = ESHM_ERROR_SEGMENT_CORRUPT;
		why = "its size changed";
		close(fd);
		goto refuse;
	}
	return fd;
refuse:
	log_msg(LOG_WARNING, "segment %s: /dev/shm%s not passed on: %s", seg->name, path, why);
	return rc;
}

int
segobj_unlink(const char *prefix, const char *name)
{
	char path[SEGOBJ_PATH_MAX];

	segobj_path(path, sizeof(path), prefix, name);
	return shm_unlink(path) == 0 ? 0 : -errno;
}
