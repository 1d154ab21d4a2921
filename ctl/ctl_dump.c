/*
 * ctl_dump.c - text detection and hex dumps for eshmctl peek.
 */
#include "config.h"

#include <stdint.h>

#include "ctl_dump.h"

/* Length of the valid UTF-8 sequence (2..4 bytes) at @p, or 0. */
static size_t
ctl_utf8_len(const unsigned char *p, size_t left)
{
	uint32_t cp;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	/* Overlong forms, surrogates, beyond Unicode, and C1 controls. */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return n;
}

bool
ctl_is_text(const unsigned char *data, size_t len, size_t *text_len)
{
	size_t i = 0, n;

	while (len > 0 && data[len - 1] == '\0')
		len--;
	if (len == 0)
		return false;
	while (i < len) {
		if (data[i] >= 0x20 && data[i] < 0x7f) {
			i++;
		} else if (data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
			i++;
		} else if ((n = ctl_utf8_len(data + i, len - i)) != 0) {
			i += n;
		} else {
			return false;
		}
	}
	*text_len = len;
	return true;
}

int
ctl_hexdump(FILE *out, const unsigned char *data, size_t len)
{
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		fprintf(out, "%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				fputc(' ', out);
			if (off + i < len)
				fprintf(out, " %02x", data[off + i]);
			else
				fputs("   ", out);
		}
		fputs("  |", out);
		for (i = 0; i < 16 && off + i < len; i++) {
			unsigned char c = data[off + i];

			fputc(c >= 0x20 && c < 0x7f ? c : '.', out);
		}
		fputs("|\n", out);
	}
	return ferror(out) ? -1 : 0;
}
