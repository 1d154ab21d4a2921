/*
 * ctl_table.h - a text table with a header line and aligned columns, whose
 * cells may be coloured without the escapes upsetting the alignment.
 */
#ifndef ESHMCTL_TABLE_H
#define ESHMCTL_TABLE_H

#include <stdio.h>

struct ctl_table;

/*
 * A table of @ncols columns titled @headers; @align holds one character per
 * column, 'l' (left) or 'r' (right, for numbers).  Returns NULL when out of
 * memory.  A table is not thread-safe.
 */
struct ctl_table *ctl_table_new(int ncols, const char *const *headers, const char *align);

/*
 * Append the next cell (rows fill left to right, then wrap) with text
 * @text (copied) shown in SGR colour @color, or plainly if @color is NULL.
 * Returns 0 or -1 when out of memory.
 */
int ctl_table_cell(struct ctl_table *t, const char *text, const char *color);

/*
 * Print the header and every row on @out, columns two spaces apart, each
 * line ended by @eol (e.g. "\n", or "\033[K\n" to clear a redrawn line).
 * Returns 0, or -1 if writing failed.
 */
int ctl_table_print(const struct ctl_table *t, FILE *out, const char *eol);

/* Free @t (NULL is ignored). */
void ctl_table_free(struct ctl_table *t);

#endif /* ESHMCTL_TABLE_H */
