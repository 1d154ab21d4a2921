/*
 * ctl_dump.h - showing a message's bytes: as text when they are text, as a
 * hex dump otherwise.
 */
#ifndef ESHMCTL_DUMP_H
#define ESHMCTL_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Whether the @len bytes at @data are printable text: valid UTF-8 with no
 * control characters but tab, newline and carriage return.  Trailing NUL
 * bytes (a C string written with its terminator) are allowed and left out
 * of *@text_len.  Empty text is not text.  Thread-safe.
 */
bool ctl_is_text(const unsigned char *data, size_t len, size_t *text_len);

/*
 * Write @len bytes at @data on @out as a hex dump, 16 bytes a line:
 * offset, bytes in hex, and the printable ASCII ones ('.' for others).
 * Returns 0, or -1 if writing failed.
 */
int ctl_hexdump(FILE *out, const unsigned char *data, size_t len);

#endif /* ESHMCTL_DUMP_H */
