/*
 * brg_log.c - the bridge's messages (brg_log.h).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brg_err.h"
#include "brg_log.h"
#include "proto.h"

static char brg_log_segment[PROTO_NAME_SIZE];
static atomic_bool brg_log_debug;
static bool brg_log_prefix; /* the journal reads "<N>" as the priority */

/* systemd's documented test: stderr is the stream $JOURNAL_STREAM names. */
static bool
brg_log_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev = 0, ino = 0;
	struct stat st;

	if (stream == NULL || sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

int
brg_log_open(const char *segment, bool verbose)
{
	snprintf(brg_log_segment, sizeof(brg_log_segment), "%s", segment ? segment : "");
	atomic_store(&brg_log_debug, verbose);
	brg_log_prefix = brg_log_is_journal();
	return BRG_OK;
}

void
brg_log(int priority, const char *fmt, ...)
{
	static const char *const level[] = {"emergency", "alert", "critical", "error",
	                                    "warning",   "notice", "info",    "debug"};
	char line[1024];
	va_list ap;
	int n, pri = LOG_PRI(priority);

	if (pri == LOG_DEBUG && !atomic_load_explicit(&brg_log_debug, memory_order_relaxed))
		return;
	if (brg_log_prefix)
		n = snprintf(line, sizeof(line), "<%d>%s: ", pri, brg_log_segment);
	else
		n = snprintf(line, sizeof(line), "eshm-bridge[%s] %s: ", brg_log_segment,
		             level[pri]);
	if (n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	/* One write per line: threads never interleave inside one. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
