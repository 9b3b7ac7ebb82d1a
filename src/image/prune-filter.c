#include "image/prune-filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "image/image.h"

void hull_prune_filter_free(hull_prune_filter *f) {
  for (size_t i = 0; i < f->n_args; i++)
    free(f->args[i]);
  free(f->args);
  free(f->labels);
  free(f->nlabels);
  *f = (hull_prune_filter){0};
}

int hull_prune_filter_add(hull_prune_filter *f, const char *cmd, const char *arg, hull_err *err) {
  const char *eq = strchr(arg, '=');
  if (*arg == '\0')
    return 0; /* Docker's client skips an empty filter */
  if (eq == NULL) {
    hull_error(err, 0,
               "invalid argument \"%s\" for \"--filter\" flag: bad format of filter (expected name=value)\n"
               "See 'hull %s --help'.",
               arg, cmd);
    if (*err)
      (*err)->status = 125;
    return -1;
  }
  /* Docker's client trims both sides and lower-cases the name ("Label = a" is label=a). */
  const char *k = arg, *ke = eq, *v = eq + 1, *ve = arg + strlen(arg);
  while (k < ke && isspace((unsigned char)*k))
    k++;
  while (ke > k && isspace((unsigned char)ke[-1]))
    ke--;
  while (v < ve && isspace((unsigned char)*v))
    v++;
  while (ve > v && isspace((unsigned char)ve[-1]))
    ve--;
  char **nv = realloc(f->args, (f->n_args + 2) * sizeof(char *));
  if (nv == NULL)
    return hull_error(err, ENOMEM, "filter %s", arg);
  f->args = nv;
  char *s = NULL;
  if (asprintf(&s, "%.*s=%.*s", (int)(ke - k), k, (int)(ve - v), v) < 0)
    return hull_error(err, ENOMEM, "filter %s", arg);
  for (char *p = s; *p != '='; p++)
    *p = (char)tolower((unsigned char)*p);
  f->args[f->n_args++] = s;
  f->args[f->n_args] = NULL;
  return 0;
}

int hull_prune_parse_until(const char *v, int64_t now_ns, int64_t *out, hull_err *err) {
  if (hull_parse_timestamp_ns(v, now_ns, out) < 0)
    return hull_error(err, 0, "failed to parse value as time or duration: \"%s\"", v);
  return 0;
}

static const char *key_value(const char *arg, const char *key) {
  size_t l = strlen(key);
  return strncmp(arg, key, l) == 0 && arg[l] == '=' ? arg + l + 1 : NULL;
}

/* Go's strconv.ParseBool, which dockerd uses for all=. */
static int parse_bool(const char *v, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < 6; i++) {
    if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
      *out = strcmp(v, yes[i]) == 0;
      return 0;
    }
  }
  return -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The distinct values of one key, sorted (Docker keeps a set per key). */
static size_t values_of(const hull_prune_filter *f, const char *key, const char **out) {
  size_t n = 0;
  for (size_t i = 0; i < f->n_args; i++) {
    const char *v = key_value(f->args[i], key);
    bool seen = false;
    for (size_t j = 0; v && j < n; j++)
      seen = seen || strcmp(out[j], v) == 0;
    if (v && !seen)
      out[n++] = v;
  }
  qsort(out, n, sizeof(*out), cmp_str);
  return n;
}

/* Go's fmt of a []string: "[a b]". */
static void go_list(const char **v, size_t n, char *buf, size_t size) {
  size_t off = (size_t)snprintf(buf, size, "[");
  for (size_t i = 0; i < n && off < size; i++)
    off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? " " : "", v[i]);
  if (off < size)
    snprintf(buf + off, size - off, "]");
}

/* image prune's dangling: Docker's client adds dangling=true, or false with -a, to what was
 * given, and dockerd's GetBoolOrDefault wants the values to say true (1) or false (0), not
 * both and not neither. */
static int parse_dangling(hull_prune_filter *f, bool all_flag, const char **vals, hull_err *err) {
  size_t n = values_of(f, "dangling", vals);
  const char *implied = all_flag ? "false" : "true";
  bool seen = false, is_true = false, is_false = false;
  for (size_t i = 0; i < n; i++)
    seen = seen || strcmp(vals[i], implied) == 0;
  if (!seen) {
    vals[n++] = implied;
    qsort(vals, n, sizeof(*vals), cmp_str);
  }
  for (size_t i = 0; i < n; i++) {
    is_true = is_true || strcmp(vals[i], "true") == 0 || strcmp(vals[i], "1") == 0;
    is_false = is_false || strcmp(vals[i], "false") == 0 || strcmp(vals[i], "0") == 0;
  }
  if (is_true == is_false) {
    char list[512];
    go_list(vals, n, list, sizeof(list));
    return hull_error(err, 0, "invalid filter 'dangling=%s'", list);
  }
  f->all = is_false;
  return 0;
}

/* volume prune's all: -a or all=BOOL (dockerd, API 1.42 on, prunes anonymous volumes only
 * unless told all); Docker's client refuses both together. */
static int parse_all(hull_prune_filter *f, bool all_flag, const char **vals, hull_err *err) {
  size_t n = values_of(f, "all", vals);
  if (all_flag && n > 0)
    return hull_error(err, 0, "conflicting options: cannot specify both --all and --filter all=1");
  if (all_flag) {
    f->all = true;
    return 0;
  }
  if (n > 1) {
    char list[512];
    go_list(vals, n, list, sizeof(list));
    return hull_error(err, 0, "invalid filter 'all=%s': only one value is expected", list);
  }
  if (n == 1 && parse_bool(vals[0], &f->all) < 0)
    return hull_error(err, 0, "invalid filter 'all': strconv.ParseBool: parsing \"%s\": invalid syntax", vals[0]);
  return 0;
}

static bool accepted_key(const char *arg, unsigned accepted) {
  static const struct {
    const char *key;
    unsigned bit;
  } keys[] = {{"label", HULL_PRUNE_LABEL},
              {"label!", HULL_PRUNE_LABEL},
              {"until", HULL_PRUNE_UNTIL},
              {"all", HULL_PRUNE_ALL},
              {"dangling", HULL_PRUNE_DANGLING}};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    if ((accepted & keys[i].bit) && key_value(arg, keys[i].key))
      return true;
  return false;
}

int hull_prune_filter_parse(hull_prune_filter *f, unsigned accepted, bool all_flag, int64_t now_ns, hull_err *err) {
  for (size_t i = 0; i < f->n_args; i++)
    if (!accepted_key(f->args[i], accepted))
      return hull_error(err, 0, "invalid filter '%.*s'", (int)strcspn(f->args[i], "="), f->args[i]);
  cleanup_free const char **vals = calloc(f->n_args + 2, sizeof(char *));
  f->labels = calloc(f->n_args + 1, sizeof(char *));
  f->nlabels = calloc(f->n_args + 1, sizeof(char *));
  if (vals == NULL || f->labels == NULL || f->nlabels == NULL)
    return hull_error(err, ENOMEM, "filters");
  f->n_labels = values_of(f, "label", f->labels);
  f->n_nlabels = values_of(f, "label!", f->nlabels);
  f->all = all_flag;
  if ((accepted & HULL_PRUNE_DANGLING) && parse_dangling(f, all_flag, vals, err) < 0)
    return -1;
  if ((accepted & HULL_PRUNE_ALL) && parse_all(f, all_flag, vals, err) < 0)
    return -1;
  size_t n = values_of(f, "until", vals);
  if (n > 1)
    return hull_error(err, 0, "more than one until filter specified");
  if (n == 1 && hull_prune_parse_until(vals[0], now_ns, &f->until, err) < 0)
    return -1;
  f->has_until = n == 1;
  return 0;
}

bool hull_labels_match(json_t *labels, const char *want) {
  const char *eq = strchr(want, '=');
  size_t kl = eq ? (size_t)(eq - want) : strlen(want);
  const char *k;
  json_t *v;
  json_object_foreach(labels, k, v) {
    if (strlen(k) == kl && strncmp(k, want, kl) == 0)
      return eq == NULL || (json_is_string(v) && strcmp(json_string_value(v), eq + 1) == 0);
  }
  return false;
}

/* Go's filters.Args.MatchKVList: no filter matches anything; otherwise each "K" or "K=V"
 * must be among the labels. */
static bool kv_list_match(const char **want, size_t n, json_t *labels) {
  for (size_t i = 0; i < n; i++)
    if (!hull_labels_match(labels, want[i]))
      return false;
  return true;
}

bool hull_prune_labels_match(const hull_prune_filter *f, json_t *labels) {
  if (!kv_list_match(f->labels, f->n_labels, labels))
    return false;
  return f->n_nlabels == 0 || !kv_list_match(f->nlabels, f->n_nlabels, labels);
}

bool hull_prune_until_match(const hull_prune_filter *f, int64_t created_ns) {
  return !f->has_until || created_ns <= f->until;
}

static int natural_cmp(const void *a, const void *b) { return strverscmp(*(char *const *)a, *(char *const *)b); }

char **hull_prune_filter_describe(const hull_prune_filter *f) {
  cleanup_strv char **out = calloc(f->n_args + 1, sizeof(char *));
  size_t n = 0;
  if (out == NULL)
    return NULL;
  for (size_t i = 0; i < f->n_args; i++) {
    const char *a = f->args[i];
    if (!key_value(a, "label") && !key_value(a, "label!") && !key_value(a, "until"))
      continue;
    bool seen = false;
    for (size_t j = 0; j < n; j++)
      seen = seen || strcmp(out[j], a) == 0;
    if (!seen && (out[n++] = strdup(a)) == NULL)
      return NULL;
  }
  qsort(out, n, sizeof(*out), natural_cmp);
  return steal_pointer(&out);
}
