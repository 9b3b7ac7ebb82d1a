#include "cli/format.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

void hull_human_size_digits(uint64_t bytes, int digits, char *out, size_t len) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = (double)bytes;
  size_t i = 0;
  while (v >= 1000.0 && i < sizeof(units) / sizeof(units[0]) - 1) {
    v /= 1000.0;
    i++;
  }
  snprintf(out, len, "%.*g%s", digits, v, units[i]);
}

void hull_human_size(uint64_t bytes, char *out, size_t len) { hull_human_size_digits(bytes, 3, out, len); }

void hull_human_duration(int64_t s, char *out, size_t len) {
  int64_t m = s / 60, h = (s + 1800) / 3600;
  if (s < 1)
    snprintf(out, len, "Less than a second");
  else if (s == 1)
    snprintf(out, len, "1 second");
  else if (s < 60)
    snprintf(out, len, "%lld seconds", (long long)s);
  else if (m == 1)
    snprintf(out, len, "About a minute");
  else if (m < 60)
    snprintf(out, len, "%lld minutes", (long long)m);
  else if (h == 1)
    snprintf(out, len, "About an hour");
  else if (h < 48)
    snprintf(out, len, "%lld hours", (long long)h);
  else if (h < 24 * 7 * 2)
    snprintf(out, len, "%lld days", (long long)(h / 24));
  else if (h < 24 * 30 * 2)
    snprintf(out, len, "%lld weeks", (long long)(h / 24 / 7));
  else if (h < 24 * 365 * 2)
    snprintf(out, len, "%lld months", (long long)(h / 24 / 30));
  else
    snprintf(out, len, "%lld years", (long long)(h / 24 / 365));
}

void hull_table_add_tabbed(hull_table *t, const char *line) {
  char ***rows = realloc(t->rows, (t->n_rows + 1) * sizeof(*rows));
  if (rows == NULL)
    return;
  t->rows = rows;
  size_t n = 1;
  for (const char *p = line; *p; p++)
    n += *p == '\t';
  char **cells = calloc(n + 1, sizeof(char *));
  if (cells == NULL)
    return;
  const char *start = line;
  for (size_t i = 0; i < n; i++) {
    const char *tab = strchr(start, '\t');
    size_t l = tab ? (size_t)(tab - start) : strlen(start);
    cells[i] = strndup(start, l);
    start = tab ? tab + 1 : start + l;
  }
  t->rows[t->n_rows++] = cells;
  if (n > t->n_cols)
    t->n_cols = n;
}

/* A cell's width in characters, as Go's tabwriter counts UTF-8 text ("…" is one). */
static size_t text_width(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xc0) != 0x80;
  return n;
}

void hull_table_print(hull_table *t, FILE *out) {
  size_t *w = calloc(t->n_cols + 1, sizeof(size_t));
  if (w == NULL)
    return;
  for (size_t r = 0; r < t->n_rows; r++)
    for (size_t c = 0; t->rows[r][c]; c++)
      if (text_width(t->rows[r][c]) + 3 > w[c])
        w[c] = text_width(t->rows[r][c]) + 3;
  for (size_t c = 0; c < t->n_cols; c++)
    if (w[c] < 10)
      w[c] = 10;
  for (size_t r = 0; r < t->n_rows; r++) {
    for (size_t c = 0; t->rows[r][c]; c++) {
      /* Like tabwriter, the last cell of a line is not padded. */
      if (t->rows[r][c + 1])
        fprintf(out, "%s%*s", t->rows[r][c], (int)(w[c] - text_width(t->rows[r][c])), "");
      else
        fputs(t->rows[r][c], out);
    }
    fputc('\n', out);
  }
  free(w);
}

void hull_table_free(hull_table *t) {
  for (size_t r = 0; r < t->n_rows; r++) {
    for (size_t c = 0; t->rows[r][c]; c++)
      free(t->rows[r][c]);
    free(t->rows[r]);
  }
  free(t->rows);
  memset(t, 0, sizeof(*t));
}

void hull_listing_start(hull_listing *l, const char *format, const char *deflt, const char *const *titles, bool quiet) {
  memset(l, 0, sizeof(*l));
  l->tmpl = hull_template_choose(format, deflt, &l->table);
  if (quiet)
    l->table = false;
  if (l->table) {
    cleanup_free char *h = hull_template_header(l->tmpl, titles);
    if (h)
      hull_table_add_tabbed(&l->t, h);
  }
}

int hull_listing_add(hull_listing *l, json_t *row, const char **error) {
  *error = NULL;
  if (row == NULL)
    return -1;
  cleanup_free char *line = hull_template_render(l->tmpl, row, error);
  if (line == NULL)
    return -1;
  if (l->table)
    hull_table_add_tabbed(&l->t, line);
  else
    printf("%s\n", line);
  return 0;
}

void hull_listing_end(hull_listing *l, bool print) {
  if (print && l->table)
    hull_table_print(&l->t, stdout);
  hull_table_free(&l->t);
}

bool hull_filter_key_p(const char *arg, const char *const *keys) {
  const char *eq = strchr(arg, '=');
  for (const char *const *k = keys; eq && *k; k++)
    if ((size_t)(eq - arg) == strlen(*k) && strncmp(arg, *k, strlen(*k)) == 0)
      return true;
  return false;
}

bool hull_confirm(const char *warning) {
  printf("%s [y/N] ", warning);
  fflush(stdout);
  char line[64];
  if (fgets(line, sizeof(line), stdin) == NULL)
    return false;
  line[strcspn(line, "\r\n")] = '\0';
  return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0;
}

bool hull_template_is_table(const char *fmt, const char **rest) {
  if (strncmp(fmt, "table", 5) != 0 || (fmt[5] != '\0' && !isspace((unsigned char)fmt[5])))
    return false;
  *rest = fmt + 5 + strspn(fmt + 5, " ");
  return true;
}

const char *hull_template_choose(const char *format, const char *deflt, bool *table) {
  const char *rest = NULL;
  *table = format == NULL || hull_template_is_table(format, &rest);
  if (format == NULL)
    return deflt;
  /* `--format table` alone is Docker's default table. */
  if (*table)
    return *rest ? rest : deflt;
  return strcmp(format, "json") == 0 ? "{{json .}}" : format;
}

typedef struct buf {
  char *s;
  size_t n, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *ns = realloc(b->s, cap);
    if (ns == NULL)
      return;
    b->s = ns;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static int key_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* A value as Go's text/template prints one of the decoded JSON Docker's inspect falls back
 * to: a list "[a b]", an object "map[k:v ...]" with its keys sorted, null and a missing
 * key "<no value>" (a real dockerd printed "[sh -c exit 0]|map[a:b c:d]|<no value>"). */
static void put_go(buf *b, json_t *v, int depth) {
  char num[64];
  if (v == NULL || json_is_null(v) || depth > 32) {
    put(b, "<no value>", 10);
  } else if (json_is_string(v)) {
    put(b, json_string_value(v), json_string_length(v));
  } else if (json_is_integer(v)) {
    put(b, num, (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
  } else if (json_is_real(v)) {
    put(b, num, (size_t)snprintf(num, sizeof(num), "%g", json_real_value(v)));
  } else if (json_is_boolean(v)) {
    put(b, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
  } else if (json_is_array(v)) {
    put(b, "[", 1);
    for (size_t i = 0; i < json_array_size(v); i++) {
      if (i)
        put(b, " ", 1);
      put_go(b, json_array_get(v, i), depth + 1);
    }
    put(b, "]", 1);
  } else {
    size_t n = json_object_size(v), k = 0;
    const char **keys = calloc(n ? n : 1, sizeof(char *));
    const char *key;
    json_t *x;
    json_object_foreach(v, key, x) if (keys) keys[k++] = key;
    if (keys)
      qsort(keys, k, sizeof(char *), key_cmp);
    put(b, "map[", 4);
    for (size_t i = 0; i < k; i++) {
      if (i)
        put(b, " ", 1);
      put(b, keys[i], strlen(keys[i]));
      put(b, ":", 1);
      put_go(b, json_object_get(v, keys[i]), depth + 1);
    }
    put(b, "]", 1);
    free(keys);
  }
}

static void put_value(buf *b, json_t *v, bool as_json) {
  if (!as_json || v == NULL) {
    put_go(b, v, 0);
    return;
  }
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (t)
    put(b, t, strlen(t));
  free(t);
}

static json_t *lookup(json_t *obj, const char *path) {
  if (strcmp(path, ".") == 0)
    return obj;
  if (path[0] != '.')
    return NULL;
  json_t *cur = obj;
  char key[256];
  for (const char *p = path + 1; cur && *p;) {
    size_t n = strcspn(p, ".");
    if (n >= sizeof(key))
      return NULL;
    memcpy(key, p, n);
    key[n] = '\0';
    cur = json_object_get(cur, key);
    p += n + (p[n] == '.');
  }
  return cur;
}

/* Walks the template; action(b, inner, ctx) handles each {{...}}. */
static char *walk(const char *tmpl, int (*action)(buf *, const char *, void *), void *ctx, const char **error) {
  buf b = {0};
  put(&b, "", 0);
  for (const char *p = tmpl; *p;) {
    if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
      put(&b, p[1] == 't' ? "\t" : "\n", 1);
      p += 2;
    } else if (p[0] == '{' && p[1] == '{') {
      const char *end = strstr(p, "}}");
      if (end == NULL) {
        *error = "unclosed action in template";
        free(b.s);
        return NULL;
      }
      char inner[512];
      const char *a = p + 2, *z = end;
      while (a < z && (isspace((unsigned char)*a) || *a == '-'))
        a++;
      while (z > a && (isspace((unsigned char)z[-1]) || z[-1] == '-'))
        z--;
      snprintf(inner, sizeof(inner), "%.*s", (int)(z - a), a);
      if (action(&b, inner, ctx) < 0) {
        *error = "unsupported template action (only {{.Field}}, {{.A.B}} and {{json ...}})";
        free(b.s);
        return NULL;
      }
      p = end + 2;
    } else {
      put(&b, p, 1);
      p++;
    }
  }
  return b.s;
}

/* {{index .Path "key"}} or {{index .Path N}}: a map's value or a list's element, as Go's
 * index (a key with dots in it, a label such as com.example.tier, has no {{.A.B}} form). */
static json_t *index_of(json_t *obj, const char *args) {
  char path[256];
  size_t n = strcspn(args, " ");
  if (n == 0 || n >= sizeof(path))
    return NULL;
  memcpy(path, args, n);
  path[n] = '\0';
  json_t *base = lookup(obj, path);
  const char *k = args + n + strspn(args + n, " ");
  size_t kl = strlen(k);
  if (kl >= 2 && k[0] == '"' && k[kl - 1] == '"') {
    cleanup_free char *key = strndup(k + 1, kl - 2);
    return key ? json_object_get(base, key) : NULL;
  }
  char *end = NULL;
  unsigned long i = strtoul(k, &end, 10);
  return end != k && *end == '\0' ? json_array_get(base, i) : NULL;
}

static int render_action(buf *b, const char *inner, void *ctx) {
  json_t *obj = ctx;
  bool as_json = strncmp(inner, "json ", 5) == 0;
  const char *path = as_json ? inner + 5 + strspn(inner + 5, " ") : inner;
  if (strncmp(path, "index ", 6) == 0) {
    put_value(b, index_of(obj, path + 6 + strspn(path + 6, " ")), as_json);
    return 0;
  }
  if (path[0] != '.')
    return -1;
  put_value(b, lookup(obj, path), as_json);
  return 0;
}

/* The action at p ("{{...}}"): its text without braces, blanks and trim markers in inner,
 * the end of the action in *next; false when it is not closed. */
static bool action_at(const char *p, char *inner, size_t len, const char **next) {
  const char *end = strstr(p, "}}");
  if (end == NULL)
    return false;
  const char *a = p + 2, *z = end;
  while (a < z && (isspace((unsigned char)*a) || *a == '-'))
    a++;
  while (z > a && (isspace((unsigned char)z[-1]) || z[-1] == '-'))
    z--;
  snprintf(inner, len, "%.*s", (int)(z - a), a);
  *next = end + 2;
  return true;
}

/* Renders tmpl up to its matching {{end}} (or its end at depth 0) with dot as ".";
 * {{range .Path}}...{{end}} renders its body once per element of a list or value of a map
 * (keys sorted, as Go's range), with that as dot. *rest gets where the block ended. */
static int render_block(buf *b, const char *tmpl, json_t *dot, int depth, const char **rest, const char **error) {
  for (const char *p = tmpl; *p;) {
    if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
      put(b, p[1] == 't' ? "\t" : "\n", 1);
      p += 2;
      continue;
    }
    if (p[0] != '{' || p[1] != '{') {
      put(b, p, 1);
      p++;
      continue;
    }
    char inner[512];
    const char *next;
    if (!action_at(p, inner, sizeof(inner), &next)) {
      *error = "unclosed action in template";
      return -1;
    }
    if (strcmp(inner, "end") == 0) {
      if (depth == 0) {
        *error = "unexpected {{end}}";
        return -1;
      }
      *rest = next;
      return 0;
    }
    bool is_range = strncmp(inner, "range ", 6) == 0;
    const char *what = is_range ? inner + 6 + strspn(inner + 6, " ") : "";
    if (is_range && what[0] == '.' && depth < 8) {
      json_t *over = lookup(dot, what);
      size_t n = json_is_array(over) ? json_array_size(over) : json_is_object(over) ? json_object_size(over) : 0;
      cleanup_free const char **keys = json_is_object(over) ? calloc(n ? n : 1, sizeof(char *)) : NULL;
      size_t k = 0;
      const char *key;
      json_t *x;
      if (keys) {
        json_object_foreach(over, key, x) keys[k++] = key;
        qsort(keys, k, sizeof(char *), key_cmp);
      }
      /* The body is walked once even for nothing, to find its {{end}} (into a scratch buffer). */
      buf scratch = {0};
      const char *after = NULL;
      int r = render_block(&scratch, next, NULL, depth + 1, &after, error);
      free(scratch.s);
      for (size_t i = 0; r == 0 && i < n; i++)
        r = render_block(b, next, keys ? json_object_get(over, keys[i]) : json_array_get(over, i), depth + 1, &after,
                         error);
      if (r < 0)
        return -1;
      p = after;
      continue;
    }
    if (render_action(b, inner, dot) < 0) {
      *error = "unsupported template action (only {{.Field}}, {{.A.B}}, {{json ...}}, {{index ...}} and {{range}})";
      return -1;
    }
    p = next;
  }
  if (depth > 0) {
    *error = "unexpected EOF: {{range}} without {{end}}";
    return -1;
  }
  *rest = tmpl + strlen(tmpl);
  return 0;
}

char *hull_template_render(const char *tmpl, json_t *obj, const char **error) {
  buf b = {0};
  put(&b, "", 0);
  const char *rest = NULL;
  if (render_block(&b, tmpl, obj, 0, &rest, error) < 0) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

static int header_action(buf *b, const char *inner, void *ctx) {
  const char *const *titles = ctx;
  const char *field = inner[0] == '.' ? inner + 1 : inner;
  for (size_t i = 0; titles && titles[i]; i += 2)
    if (strcmp(titles[i], field) == 0) {
      put(b, titles[i + 1], strlen(titles[i + 1]));
      return 0;
    }
  for (const char *p = field; *p; p++) {
    char c = (char)toupper((unsigned char)*p);
    put(b, &c, 1);
  }
  return 0;
}

char *hull_template_header(const char *tmpl, const char *const *titles) {
  const char *error = NULL;
  return walk(tmpl, header_action, (void *)titles, &error);
}
