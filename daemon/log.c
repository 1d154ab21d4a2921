/*
 * log.c - messages to the journal with fields, or "<N>message" lines on
 * stderr (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024
#define LOG_FIELDS_MAX 8

static atomic_bool log_verbose;
static bool log_journal;

void
log_set_verbose(bool verbose)
{
	atomic_store_explicit(&log_verbose, verbose, memory_order_relaxed);
}

void
log_open(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* systemd's documented test: stderr is the stream it names. */
	log_journal = stream != NULL && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
	              fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	              (unsigned long long)st.st_ino == ino;
}

/* Add "NAME=value" to @iov as the next field, in @buf.  Returns the new count. */
static int __attribute__((format(printf, 5, 6)))
log_field(struct iovec *iov, int n, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (len < 0)
		return n;
	iov[n].iov_base = buf;
	iov[n].iov_len = (size_t)len < size ? (size_t)len : size - 1;
	return n + 1;
}

static bool
log_to_journal(int priority, const struct log_fields *f, const char *message)
{
	char buf[LOG_FIELDS_MAX][LOG_LINE_MAX + 16];
	struct iovec iov[LOG_FIELDS_MAX];
	int n = 0;

	n = log_field(iov, n, buf[n], sizeof(buf[n]), "MESSAGE=%s", message);
	n = log_field(iov, n, buf[n], sizeof(buf[n]), "PRIORITY=%d", LOG_PRI(priority));
	if (f != NULL && f->message_id != NULL)
		n = log_field(iov, n, buf[n], sizeof(buf[n]), "MESSAGE_ID=%s", f->message_id);
	if (f != NULL && f->segment != NULL)
		n = log_field(iov, n, buf[n], sizeof(buf[n]), "ESHM_SEGMENT=%s", f->segment);
	if (f != NULL && f->role != NULL)
		n = log_field(iov, n, buf[n], sizeof(buf[n]), "ESHM_ROLE=%s", f->role);
	if (f != NULL && f->pid > 0) {
		n = log_field(iov, n, buf[n], sizeof(buf[n]), "ESHM_PID=%d", (int)f->pid);
		n = log_field(iov, n, buf[n], sizeof(buf[n]), "ESHM_UID=%u", (unsigned)f->uid);
	}
	return sd_journal_sendv(iov, n) >= 0;
}

static void
log_to_stderr(int priority, const char *message)
{
	char line[LOG_LINE_MAX];
	int n;

	n = snprintf(line, sizeof(line) - 1, "<%d>%s", LOG_PRI(priority), message);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(), so concurrent threads never interleave within a line. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

void
log_fields(int priority, const struct log_fields *f, const char *message)
{
	int saved = errno;

	if (LOG_PRI(priority) == LOG_DEBUG &&
	    !atomic_load_explicit(&log_verbose, memory_order_relaxed))
		return;
	if (!log_journal || !log_to_journal(priority, f, message))
		log_to_stderr(priority, message);
	errno = saved;
}

void
log_msg(int priority, const char *fmt, ...)
{
	char message[LOG_LINE_MAX];
	int saved = errno;
	va_list ap;

	if (LOG_PRI(priority) == LOG_DEBUG &&
	    !atomic_load_explicit(&log_verbose, memory_order_relaxed))
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	errno = saved;
	log_fields(priority, NULL, message);
}
