/*
 * log.c - "<N>message" lines on stderr (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static atomic_bool log_verbose;

void
log_set_verbose(bool verbose)
{
	atomic_store_explicit(&log_verbose, verbose, memory_order_relaxed);
}

void
log_msg(int priority, const char *fmt, ...)
{
	char line[1024];
	int saved = errno, n, m;
	va_list ap;

	if (LOG_PRI(priority) == LOG_DEBUG &&
	    !atomic_load_explicit(&log_verbose, memory_order_relaxed))
		return;
	n = snprintf(line, sizeof(line), "<%d>", LOG_PRI(priority));
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(), so concurrent threads never interleave within a line. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}
