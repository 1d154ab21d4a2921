/*
 * records.c - eshmd's records of its segments (see records.h).
 *
 * The format is plain text, one "key value..." line each, all numbers in
 * decimal, so an operator can read a record and the parser stays small:
 *
 *	eshmd-record 1
 *	name sensor.0
 *	generation 1764621234000000000
 *	owner 1000 1000
 *	geometry 4096 0 0 1          (capacity, mode, queue depth, flags)
 *	threshold 100                (the segment's default)
 *	created 1764621234000000000
 *	status 12 34567              (device, inode)
 *	master 1 3 12 34590 4242 1000 99812 100 1000 1764621235000000000
 *	slave 0 0 0 0 0 0 0 0 0 0
 *
 * A role line is: state, incarnation, block device and inode, pid, uid,
 * start time, threshold, heartbeat period, attach time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eshm.h"
#include "layout.h"
#include "log.h"
#include "records.h"

#define REC_MAGIC "eshmd-record 1"
#define REC_FILE_MAX 4096
#define REC_FIELDS_MAX 10
/* records directory, '/', ".tmp.", name */
#define REC_PATH_MAX 640

int
rec_open_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_msg(LOG_ERR, "cannot create the records directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_msg(LOG_ERR, "the records directory %s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		log_msg(LOG_ERR, "the records directory %s belongs to uid %u, not to eshmd's uid %u",
		        dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st.st_mode & 0077) != 0 && chmod(dir, 0700) < 0) {
		log_msg(LOG_ERR, "cannot make the records directory %s private: %s", dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}

void
rec_from_segment(const struct reg_segment *seg, struct rec_segment *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", seg->name);
	r->generation = seg->generation;
	r->owner_uid = (uint32_t)seg->owner_uid;
	r->owner_gid = (uint32_t)seg->owner_gid;
	r->capacity = seg->g.capacity;
	r->mode = seg->g.mode;
	r->queue_depth = seg->g.queue_depth;
	r->seg_flags = seg->g.seg_flags;
	r->default_threshold_ms = seg->default_threshold_ms;
	r->created_realtime_ns = seg->created_realtime_ns;
	r->status = seg->status.id;
	for (i = 0; i < 2; i++) {
		const struct reg_endpoint *ep = &seg->ep[i];
		struct rec_endpoint *e = &r->ep[i];

		e->state = ep->state;
		e->incarnation = ep->incarnation;
		e->block = ep->block.id;
		e->pid = (int32_t)ep->pid;
		e->uid = (uint32_t)ep->uid;
		e->start_time = ep->start_time;
		e->threshold_ms = ep->threshold_ms;
		e->period_us = ep->period_us;
		e->attach_realtime_ns = ep->attach_realtime_ns;
	}
}

int
rec_format(const struct rec_segment *r, char *buf, size_t len)
{
	const char *role[2] = {"master", "slave"};
	size_t used;
	int n, i;

	n = snprintf(buf, len,
	             REC_MAGIC "\nname %s\ngeneration %llu\nowner %u %u\ngeometry %llu %u %u %u\n"
	                       "threshold %u\ncreated %llu\nstatus %llu %llu\n",
	             r->name, (unsigned long long)r->generation, r->owner_uid, r->owner_gid,
	             (unsigned long long)r->capacity, r->mode, r->queue_depth, r->seg_flags,
	             r->default_threshold_ms, (unsigned long long)r->created_realtime_ns,
	             (unsigned long long)r->status.dev, (unsigned long long)r->status.ino);
	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (i = 0; i < 2; i++) {
		const struct rec_endpoint *e = &r->ep[i];

		n = snprintf(buf + used, len - used, "%s %u %llu %llu %llu %d %u %llu %u %u %llu\n",
		             role[i], e->state, (unsigned long long)e->incarnation,
		             (unsigned long long)e->block.dev, (unsigned long long)e->block.ino,
		             e->pid, e->uid, (unsigned long long)e->start_time, e->threshold_ms,
		             e->period_us, (unsigned long long)e->attach_realtime_ns);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

static void
rec_path(const struct eshmd *d, const char *name, bool tmp, char *buf, size_t len)
{
	/* Names never start with '.', so ".tmp." files are never records. */
	snprintf(buf, len, "%s/%s%s", d->records_dir, tmp ? ".tmp." : "", name);
}

void
rec_save(const struct eshmd *d, const struct reg_segment *seg)
{
	char path[REC_PATH_MAX], tmp[REC_PATH_MAX], text[REC_FILE_MAX];
	struct rec_segment r;
	int fd, n;

	if (d->records_dir[0] == '\0')
		return;
	rec_from_segment(seg, &r);
	n = rec_format(&r, text, sizeof(text));
	rec_path(d, seg->name, false, path, sizeof(path));
	rec_path(d, seg->name, true, tmp, sizeof(tmp));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (n < 0 || fd < 0 || write(fd, text, (size_t)n) != n || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		log_msg(LOG_WARNING, "segment %s: cannot write its record %s: %s", seg->name, path,
		        n < 0 ? "too long" : strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	}
}

void
rec_remove(const struct eshmd *d, const char *name)
{
	char path[REC_PATH_MAX];

	if (d->records_dir[0] == '\0')
		return;
	rec_path(d, name, false, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_msg(LOG_WARNING, "cannot remove the record %s: %s", path, strerror(errno));
}

static int __attribute__((format(printf, 3, 4)))
rec_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Split @line (NUL-terminated, no newline) at single spaces into at most
 * REC_FIELDS_MAX + 1 words.  Returns the number of words, -1 on an empty
 * word (two spaces, a leading or trailing one) or too many words.
 */
static int
rec_split(char *line, char **w)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *sp = strchr(p, ' ');

		if (n > REC_FIELDS_MAX || *p == '\0' || sp == p)
			return -1;
		w[n++] = p;
		if (sp == NULL)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

/* A decimal number up to @max: digits only, no sign, no leading zero. */
static int
rec_number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parse the @n numbers of words @w[0..n) with maxima @max into @v. */
static int
rec_numbers(char **w, int n, const uint64_t *max, uint64_t *v)
{
	int i;

	for (i = 0; i < n; i++)
		if (rec_number(w[i], max[i], &v[i]) < 0)
			return -1;
	return 0;
}

#define U32 UINT64_C(0xffffffff)
#define I32 UINT64_C(0x7fffffff)
#define U64 UINT64_MAX

static int
rec_role(char **w, int n, struct rec_endpoint *e)
{
	static const uint64_t max[10] = {SEG_EP_DEAD, U64, U64, U64, I32, U32, U64,
	                                 ESHM_STALE_THRESHOLD_MS_MAX, U32, U64};
	uint64_t v[10];

	if (n != 10 || rec_numbers(w, n, max, v) < 0)
		return -1;
	e->state = (uint32_t)v[0];
	e->incarnation = v[1];
	e->block.dev = (dev_t)v[2];
	e->block.ino = (ino_t)v[3];
	e->pid = (int32_t)v[4];
	e->uid = (uint32_t)v[5];
	e->start_time = v[6];
	e->threshold_ms = (uint32_t)v[7];
	e->period_us = (uint32_t)v[8];
	e->attach_realtime_ns = v[9];
	/* A role held or ever attached names its block and its holder. */
	if (e->state != SEG_EP_DETACHED && (e->incarnation == 0 || e->pid <= 0))
		return -1;
	return 0;
}

enum rec_key { REC_NAME, REC_GEN, REC_OWNER, REC_GEOM, REC_THRESH, REC_CREATED, REC_STATUS,
	       REC_MASTER, REC_SLAVE, REC_KEYS };

static const char *const rec_keys[REC_KEYS] = {"name", "generation", "owner", "geometry",
	                                       "threshold", "created", "status", "master",
	                                       "slave"};

/* Parse one line's words @w[0..n) (@w[0] the key @k) into @r. */
static int
rec_line(enum rec_key k, char **w, int n, struct rec_segment *r)
{
	static const uint64_t m1[1] = {U64}, m2u[2] = {U32, U32}, m2[2] = {U64, U64};
	static const uint64_t mg[4] = {SEG_CAPACITY_MAX, U32, U32, U32};
	static const uint64_t mt[1] = {ESHM_STALE_THRESHOLD_MS_MAX};
	uint64_t v[4];

	switch (k) {
	case REC_NAME:
		if (n != 2 || proto_name_valid(w[1]) != ESHM_SUCCESS)
			return -1;
		snprintf(r->name, sizeof(r->name), "%s", w[1]);
		return 0;
	case REC_GEN:
		if (n != 2 || rec_numbers(w + 1, 1, m1, v) < 0 || v[0] == 0)
			return -1;
		r->generation = v[0];
		return 0;
	case REC_OWNER:
		if (n != 3 || rec_numbers(w + 1, 2, m2u, v) < 0)
			return -1;
		r->owner_uid = (uint32_t)v[0];
		r->owner_gid = (uint32_t)v[1];
		return 0;
	case REC_GEOM:
		if (n != 5 || rec_numbers(w + 1, 4, mg, v) < 0)
			return -1;
		r->capacity = v[0];
		r->mode = (uint32_t)v[1];
		r->queue_depth = (uint32_t)v[2];
		r->seg_flags = (uint32_t)v[3];
		return 0;
	case REC_THRESH:
		if (n != 2 || rec_numbers(w + 1, 1, mt, v) < 0 || v[0] == 0)
			return -1;
		r->default_threshold_ms = (uint32_t)v[0];
		return 0;
	case REC_CREATED:
		if (n != 2 || rec_numbers(w + 1, 1, m1, v) < 0)
			return -1;
		r->created_realtime_ns = v[0];
		return 0;
	case REC_STATUS:
		if (n != 3 || rec_numbers(w + 1, 2, m2, v) < 0)
			return -1;
		r->status.dev = (dev_t)v[0];
		r->status.ino = (ino_t)v[1];
		return 0;
	case REC_MASTER:
	case REC_SLAVE:
		return rec_role(w + 1, n - 1, &r->ep[k == REC_MASTER ? SEG_MASTER : SEG_SLAVE]);
	case REC_KEYS:
		break;
	}
	return -1;
}

int
rec_parse(const char *buf, size_t len, struct rec_segment *r, char *why, size_t whylen)
{
	char text[REC_FILE_MAX + 1], *line, *nl;
	unsigned seen = 0;
	struct seg_geometry g;
	int lineno = 1;

	memset(r, 0, sizeof(*r));
	if (len > REC_FILE_MAX)
		return rec_fail(why, whylen, "longer than %d bytes", REC_FILE_MAX);
	if (memchr(buf, '\0', len) != NULL)
		return rec_fail(why, whylen, "holds a NUL byte");
	memcpy(text, buf, len);
	text[len] = '\0';
	if (len == 0 || text[len - 1] != '\n')
		return rec_fail(why, whylen, "does not end with a newline");
	nl = strchr(text, '\n');
	*nl = '\0';
	if (strcmp(text, REC_MAGIC) != 0)
		return rec_fail(why, whylen, "line 1: not \"" REC_MAGIC "\"");
	for (line = nl + 1; *line != '\0'; line = nl + 1) {
		char *w[REC_FIELDS_MAX + 1];
		int n, k;

		lineno++;
		nl = strchr(line, '\n');
		*nl = '\0';
		n = rec_split(line, w);
		if (n < 1)
			return rec_fail(why, whylen, "line %d: malformed", lineno);
		for (k = 0; k < REC_KEYS && strcmp(w[0], rec_keys[k]) != 0; k++)
			;
		if (k == REC_KEYS)
			return rec_fail(why, whylen, "line %d: unknown key", lineno);
		if (seen & (1u << k))
			return rec_fail(why, whylen, "line %d: %s given twice", lineno, rec_keys[k]);
		if (rec_line((enum rec_key)k, w, n, r) < 0)
			return rec_fail(why, whylen, "line %d: bad %s", lineno, rec_keys[k]);
		seen |= 1u << k;
	}
	if (seen != (1u << REC_KEYS) - 1)
		return rec_fail(why, whylen, "a key is missing");
	if (seg_geometry(r->capacity, r->mode, r->queue_depth, r->seg_flags, &g) != ESHM_SUCCESS)
		return rec_fail(why, whylen, "not a valid geometry");
	return 0;
}

int
rec_load_all(const char *dir, void (*fn)(void *arg, const struct rec_segment *r), void *arg)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int loaded = 0;

	if (dp == NULL) {
		log_msg(LOG_WARNING, "cannot read the records directory %s: %s", dir,
		        strerror(errno));
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		char text[REC_FILE_MAX + 1], why[128];
		struct rec_segment r;
		struct stat st;
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(dp), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid()) {
			log_msg(LOG_WARNING, "record %s/%s: not a file of eshmd's; ignored", dir,
			        de->d_name);
			if (fd >= 0)
				close(fd);
			continue;
		}
		n = read(fd, text, sizeof(text));
		close(fd);
		if (n < 0 || rec_parse(text, (size_t)n, &r, why, sizeof(why)) < 0) {
			log_msg(LOG_WARNING, "record %s/%s: %s; ignored", dir, de->d_name,
			        n < 0 ? strerror(errno) : why);
			continue;
		}
		if (strcmp(r.name, de->d_name) != 0) {
			log_msg(LOG_WARNING, "record %s/%s names segment %s; ignored", dir, de->d_name,
			        r.name);
			continue;
		}
		fn(arg, &r);
		loaded++;
	}
	closedir(dp);
	return loaded;
}
