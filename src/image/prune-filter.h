/* Docker's prune filters: the --filter KEY=VALUE of container, image, volume, network and
 * system prune, parsed once and matched the way dockerd matches them (moby daemon/prune.go,
 * daemon/images/image_prune.go, volume/service): every prune names the keys it accepts and
 * refuses any other with "invalid filter 'KEY'", so that a filter meant to spare something
 * is never silently ignored. */
#ifndef HULL_IMAGE_PRUNE_FILTER_H
#define HULL_IMAGE_PRUNE_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The keys a prune accepts (a bit set for hull_prune_filter_parse). */
#define HULL_PRUNE_LABEL 0x1u    /* label=K, label=K=V, label!=K, label!=K=V */
#define HULL_PRUNE_UNTIL 0x2u    /* until=TIMESTAMP|DURATION */
#define HULL_PRUNE_ALL 0x4u      /* volume prune's all=BOOL */
#define HULL_PRUNE_DANGLING 0x8u /* image prune's dangling=BOOL */

typedef struct hull_prune_filter {
  char **args; /* "key=value" as given, the key trimmed and lower-cased; NULL-terminated */
  size_t n_args;
  /* Set by hull_prune_filter_parse: */
  bool all;                       /* image: every unused image, not only dangling; volume: named ones too */
  bool has_until;                 /* only objects created at or before until */
  int64_t until;                  /* ns since the epoch */
  const char **labels, **nlabels; /* "K" or "K=V", pointing into args */
  size_t n_labels, n_nlabels;
} hull_prune_filter;

void hull_prune_filter_free(hull_prune_filter *f);
#define cleanup_prune_filter __attribute__((cleanup(hull_prune_filter_free)))

/* Keeps one --filter argument of command cmd ("container prune"); a value without '=' is
 * the flag error (125) Docker's client gives. */
int hull_prune_filter_add(hull_prune_filter *f, const char *cmd, const char *arg, hull_err *err)
    __attribute__((warn_unused_result));

/* Checks the filters given against the keys the command accepts and fills the parsed
 * fields; all_flag is the command's -a (image and volume prune). now_ns is the time a
 * duration counts back from. Errors are dockerd's (exit status 1). */
int hull_prune_filter_parse(hull_prune_filter *f, unsigned accepted, bool all_flag, int64_t now_ns, hull_err *err)
    __attribute__((warn_unused_result));

/* Parses an `until` value as Docker does: a Go duration before now ("10m", "1h30m"), Unix
 * seconds ("1700000000.5") or a date/time ("2006-01-02", RFC 3339), into ns. */
int hull_prune_parse_until(const char *v, int64_t now_ns, int64_t *out, hull_err *err)
    __attribute__((warn_unused_result));

/* A label filter's "key" matches when labels (a JSON object, or NULL) has the key,
 * "key=value" when it has that string value (one of filters.Args.MatchKVList's). */
bool hull_labels_match(json_t *labels, const char *want);

/* dockerd's matchLabels: every label= must be there, and the object is kept when every
 * label!= is there too (one that is missing lets it go, as Docker). labels is a JSON object
 * of strings or NULL. */
bool hull_prune_labels_match(const hull_prune_filter *f, json_t *labels);

/* The until filter: created (ns) is at or before until, or there is none. */
bool hull_prune_until_match(const hull_prune_filter *f, int64_t created_ns);

/* "label=a", "until=10m", ... as Docker's system prune prompt lists them, naturally sorted
 * (a NULL-terminated vector the caller frees; NULL on ENOMEM). */
char **hull_prune_filter_describe(const hull_prune_filter *f);

#endif
