#include "image/changes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

/* A JSON array is the exec form; anything else runs through the shell, as Docker does. */
static json_t *exec_form(const char *v) {
  json_error_t jerr;
  json_t *a = json_loads(v, 0, &jerr);
  if (json_is_array(a))
    return a;
  json_decref(a);
  return json_pack("[s, s, s]", "/bin/sh", "-c", v);
}

/* Sets KEY=VALUE in the Env list, replacing an earlier value of KEY. */
static void env_set(json_t *cfg, const char *pair) {
  json_t *env = json_object_get(cfg, "Env");
  if (!json_is_array(env))
    json_object_set_new(cfg, "Env", env = json_array());
  size_t klen = (size_t)(strchr(pair, '=') - pair);
  size_t i;
  json_t *v;
  json_array_foreach(env, i, v) {
    const char *s = json_string_value(v);
    if (s && strncmp(s, pair, klen) == 0 && s[klen] == '=') {
      json_array_set_new(env, i, json_string(pair));
      return;
    }
  }
  json_array_append_new(env, json_string(pair));
}

static json_t *object_field(json_t *cfg, const char *field) {
  json_t *o = json_object_get(cfg, field);
  if (!json_is_object(o))
    json_object_set_new(cfg, field, o = json_object());
  return o;
}

/* Removes one pair of surrounding double quotes. */
static void unquote(char *s) {
  size_t n = strlen(s);
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
    memmove(s, s + 1, n - 2);
    s[n - 2] = '\0';
  }
}

/* ENV and LABEL: "K V" (one pair) or "K=V K2=V2" (several, values maybe quoted). */
static int key_values(json_t *cfg, bool env, const char *v, const char *change, hull_err *err) {
  const char *eq = strchr(v, '='), *ws = strpbrk(v, " \t");
  if (eq == NULL || (ws && ws < eq)) {
    if (ws == NULL || ws == v)
      return hull_error(err, EINVAL, "invalid change \"%s\": want KEY=VALUE", change);
    cleanup_free char *pair = NULL;
    if (asprintf(&pair, "%.*s=%s", (int)(ws - v), v, ws + strspn(ws, " \t")) < 0)
      return hull_error(err, ENOMEM, "change");
    if (env) {
      env_set(cfg, pair);
    } else {
      char *e = strchr(pair, '=');
      *e = '\0';
      json_object_set_new(object_field(cfg, "Labels"), pair, json_string(e + 1));
    }
    return 0;
  }
  cleanup_free char *copy = strdup(v);
  if (copy == NULL)
    return hull_error(err, ENOMEM, "change");
  /* Splits at blanks outside double quotes. */
  for (char *p = copy; *p;) {
    p += strspn(p, " \t");
    if (*p == '\0')
      break;
    char *start = p;
    bool quoted = false;
    for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++)
      if (*p == '"')
        quoted = !quoted;
    if (*p)
      *p++ = '\0';
    char *e = strchr(start, '=');
    if (e == NULL || e == start)
      return hull_error(err, EINVAL, "invalid change \"%s\": want KEY=VALUE", change);
    *e = '\0';
    unquote(e + 1);
    if (env) {
      cleanup_free char *pair = NULL;
      if (asprintf(&pair, "%s=%s", start, e + 1) < 0)
        return hull_error(err, ENOMEM, "change");
      env_set(cfg, pair);
    } else {
      unquote(start);
      json_object_set_new(object_field(cfg, "Labels"), start, json_string(e + 1));
    }
  }
  return 0;
}

/* EXPOSE 80 443/udp, VOLUME /a /b or VOLUME ["/a", "/b"]. */
static int set_members(json_t *cfg, bool expose, const char *v, const char *change, hull_err *err) {
  json_t *o = object_field(cfg, expose ? "ExposedPorts" : "Volumes");
  json_error_t jerr;
  cleanup_json json_t *arr = expose ? NULL : json_loads(v, 0, &jerr);
  if (json_is_array(arr)) {
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
      if (!json_is_string(x))
        return hull_error(err, EINVAL, "invalid change \"%s\"", change);
      json_object_set_new(o, json_string_value(x), json_object());
    }
    return 0;
  }
  cleanup_free char *copy = strdup(v);
  if (copy == NULL)
    return hull_error(err, ENOMEM, "change");
  for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
    char name[256];
    snprintf(name, sizeof(name), "%s%s", w, expose && !strchr(w, '/') ? "/tcp" : "");
    json_object_set_new(o, name, json_object());
  }
  return 0;
}

int hull_config_apply_change(json_t *cfg, const char *change, hull_err *err) {
  const char *sp = strpbrk(change, " \t");
  if (sp == NULL)
    return hull_error(err, EINVAL, "invalid change \"%s\"", change);
  size_t kl = (size_t)(sp - change);
  const char *v = sp + strspn(sp, " \t");
  char key[16];
  if (kl >= sizeof(key) || *v == '\0')
    return hull_error(err, EINVAL, "invalid change \"%s\"", change);
  for (size_t i = 0; i < kl; i++)
    key[i] = (char)(change[i] >= 'a' && change[i] <= 'z' ? change[i] - 32 : change[i]);
  key[kl] = '\0';
  if (strcmp(key, "CMD") == 0 || strcmp(key, "ENTRYPOINT") == 0) {
    json_object_set_new(cfg, strcmp(key, "CMD") == 0 ? "Cmd" : "Entrypoint", exec_form(v));
  } else if (strcmp(key, "ENV") == 0 || strcmp(key, "LABEL") == 0) {
    return key_values(cfg, strcmp(key, "ENV") == 0, v, change, err);
  } else if (strcmp(key, "WORKDIR") == 0 || strcmp(key, "USER") == 0 || strcmp(key, "STOPSIGNAL") == 0) {
    json_object_set_new(cfg,
                        strcmp(key, "WORKDIR") == 0 ? "WorkingDir"
                        : strcmp(key, "USER") == 0  ? "User"
                                                    : "StopSignal",
                        json_string(v));
  } else if (strcmp(key, "EXPOSE") == 0 || strcmp(key, "VOLUME") == 0) {
    return set_members(cfg, strcmp(key, "EXPOSE") == 0, v, change, err);
  } else if (strcmp(key, "ONBUILD") == 0) {
    json_t *ob = json_object_get(cfg, "OnBuild");
    if (!json_is_array(ob))
      json_object_set_new(cfg, "OnBuild", ob = json_array());
    json_array_append_new(ob, json_string(v));
  } else {
    return hull_error(err, EINVAL, "invalid change \"%s\": %s is not supported", change, key);
  }
  return 0;
}

/* Appends the cleaned form of one absolute path to out (room for strlen(key) + 2). */
static void clean_path(const char *key, char *out) {
  size_t n = 0;
  const char *p = key;
  while (*p) {
    while (*p == '/')
      p++;
    const char *end = strchrnul(p, '/');
    size_t len = (size_t)(end - p);
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[n - 1] != '/')
        n--;
      if (n > 0)
        n--; /* the slash before the part removed */
    } else if (len > 0 && !(len == 1 && p[0] == '.')) {
      out[n++] = '/';
      memcpy(out + n, p, len);
      n += len;
    }
    p = end;
  }
  out[n] = '\0';
  if (n == 0)
    strcpy(out, "/");
}

char **hull_config_volumes(json_t *cfg, hull_err *err) {
  json_t *vols = json_object_get(cfg, "Volumes");
  size_t n = json_is_object(vols) ? json_object_size(vols) : 0, i = 0;
  cleanup_strv char **out = calloc(n + 1, sizeof(char *));
  if (out == NULL) {
    hull_error(err, ENOMEM, "image volumes");
    return NULL;
  }
  const char *key;
  json_t *v;
  json_object_foreach(vols, key, v) {
    /* jansson keys may hold a NUL (json_object_setn): the C string would then be cut. */
    if (key[0] != '/' || strlen(key) != json_object_iter_key_len(json_object_key_to_iter(key))) {
      hull_error(err, EINVAL, "image volume \"%s\": not an absolute path", key);
      return NULL;
    }
    out[i] = malloc(strlen(key) + 2);
    if (out[i] == NULL) {
      hull_error(err, ENOMEM, "image volumes");
      return NULL;
    }
    clean_path(key, out[i]);
    if (strcmp(out[i++], "/") == 0) {
      hull_error(err, EINVAL, "image volume \"%s\": is the root directory", key);
      return NULL;
    }
  }
  return steal_pointer(&out);
}
