/*
 * ctl_table.c - aligned text tables for list and watch.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ctl_fmt.h"
#include "ctl_table.h"

struct ctl_cell {
	char *text;
	const char *color;
};

struct ctl_table {
	int ncols;
	const char *const *headers;
	const char *align;
	struct ctl_cell *cells;
	size_t ncells, cap;
};

struct ctl_table *
ctl_table_new(int ncols, const char *const *headers, const char *align)
{
	struct ctl_table *t;

	if (ncols <= 0 || headers == NULL || align == NULL || strlen(align) != (size_t)ncols)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->ncols = ncols;
	t->headers = headers;
	t->align = align;
	return t;
}

int
ctl_table_cell(struct ctl_table *t, const char *text, const char *color)
{
	struct ctl_cell *grown;
	char *copy;

	if (t->ncells == t->cap) {
		size_t cap = t->cap != 0 ? t->cap * 2 : (size_t)t->ncols * 16;

		grown = realloc(t->cells, cap * sizeof(*grown));
		if (grown == NULL)
			return -1;
		t->cells = grown;
		t->cap = cap;
	}
	copy = strdup(text);
	if (copy == NULL)
		return -1;
	t->cells[t->ncells].text = copy;
	t->cells[t->ncells].color = color;
	t->ncells++;
	return 0;
}

static void
ctl_table_put(FILE *out, const char *text, const char *color, int width, char align, int last)
{
	int pad = width - (int)strlen(text);

	if (align == 'r')
		fprintf(out, "%*s", pad, "");
	if (color != NULL)
		fprintf(out, "%s%s%s", color, text, CTL_COLOR_RESET);
	else
		fputs(text, out);
	/* No trailing blanks after the last column. */
	if (align != 'r' && !last)
		fprintf(out, "%*s", pad, "");
}

int
ctl_table_print(const struct ctl_table *t, FILE *out, const char *eol)
{
	int width[t->ncols];
	size_t i;
	int c;

	for (c = 0; c < t->ncols; c++)
		width[c] = (int)strlen(t->headers[c]);
	for (i = 0; i < t->ncells; i++) {
		int len = (int)strlen(t->cells[i].text);

		c = (int)(i % (size_t)t->ncols);
		if (len > width[c])
			width[c] = len;
	}
	for (c = 0; c < t->ncols; c++) {
		if (c > 0)
			fputs("  ", out);
		ctl_table_put(out, t->headers[c], NULL, width[c], t->align[c], c == t->ncols - 1);
	}
	fputs(eol, out);
	for (i = 0; i < t->ncells; i++) {
		c = (int)(i % (size_t)t->ncols);
		if (c > 0)
			fputs("  ", out);
		ctl_table_put(out, t->cells[i].text, t->cells[i].color, width[c], t->align[c],
		              c == t->ncols - 1);
		if (c == t->ncols - 1)
			fputs(eol, out);
	}
	return ferror(out) ? -1 : 0;
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncells; i++)
		free(t->cells[i].text);
	free(t->cells);
	free(t);
}
