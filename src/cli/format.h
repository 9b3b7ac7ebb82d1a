/* Output the way Docker's CLI writes it: human sizes and durations (go-units), tables
 * aligned like Go's tabwriter (min width 10, padding 3), and Go-template-like --format
 * strings over JSON objects ({{.Field}}, {{.A.B}}, {{json .}}, {{json .Field}}, "table "). */
#ifndef HULL_CLI_FORMAT_H
#define HULL_CLI_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* "4.26MB" (decimal units, 3 significant digits). */
void hull_human_size(uint64_t bytes, char *out, size_t len);
/* The same with digits significant digits: Docker's HumanSize (prune's total) has 4. */
void hull_human_size_digits(uint64_t bytes, int digits, char *out, size_t len);
/* "2 weeks" (Docker appends " ago"). */
void hull_human_duration(int64_t seconds, char *out, size_t len);

/* A table: rows of cells, printed aligned by hull_table_print. */
typedef struct hull_table {
  char ***rows;
  size_t n_rows;
  size_t n_cols;
} hull_table;
/* Adds a row from a string whose cells are separated by tabs. */
void hull_table_add_tabbed(hull_table *t, const char *line);
void hull_table_print(hull_table *t, FILE *out);
void hull_table_free(hull_table *t);

/* Expands a template for one object ("\t" and "\n" escapes understood); NULL on a bad
 * template with *error set to a static message. */
char *hull_template_render(const char *tmpl, json_t *obj, const char **error);
/* True for "table ..." formats; *rest gets the template after "table". */
bool hull_template_is_table(const char *fmt, const char **rest);
/* The template a list command's --format stands for: deflt (a table) without one, the
 * rest of a "table ..." format (a table), {{json .}} for "json", else the format itself;
 * *table says whether a header and aligned columns go with it. */
const char *hull_template_choose(const char *format, const char *deflt, bool *table);
/* The header line of a table format: every {{.Field}} replaced by its column title from
 * titles (pairs of field, title; unknown fields upper-cased). */
char *hull_template_header(const char *tmpl, const char *const *titles);

/* A list command's output (images, ps, volume ls, history, stats): each row through the
 * template --format stands for, either into an aligned table under a header row or printed
 * as a line at once. */
typedef struct hull_listing {
  const char *tmpl;
  bool table;
  hull_table t;
} hull_listing;
/* Starts a listing: the template as hull_template_choose picks it, and for a table the
 * header from titles (as hull_template_header). quiet (-q) lists no row through the
 * listing, so it has no header and no table to print. */
void hull_listing_start(hull_listing *l, const char *format, const char *deflt, const char *const *titles, bool quiet);
/* Renders row: into the table, or printed. -1 for a bad template, with *error set to its
 * static message, or for a NULL row (no memory) with *error NULL. */
int hull_listing_add(hull_listing *l, json_t *row, const char **error);
/* Prints the table when print (the command has not failed), and frees it. */
void hull_listing_end(hull_listing *l, bool print);

/* True when a --filter argument is "KEY=..." with KEY one of keys (NULL-terminated). */
bool hull_filter_key_p(const char *arg, const char *const *keys);

/* Docker's PromptForConfirmation: prints the warning and " [y/N] ", then reads a line;
 * only "y" or "Y" is a yes (end of input is a no). */
bool hull_confirm(const char *warning);

#endif
