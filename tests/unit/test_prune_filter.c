/* The prune filters (src/image/prune-filter.c): the client's trimming, each prune's keys,
 * image prune's dangling and volume prune's all as dockerd takes them, the matchers, and
 * the list system prune's prompt prints. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/image.h"
#include "image/prune-filter.h"
#include "tap.h"

#define NOW (int64_t)1700000000 * 1000000000

/* Parses args (NULL-terminated) for the keys given; returns the error message or "". */
static const char *parse(hull_prune_filter *f, unsigned keys, bool all, const char **args) {
  static char msg[512];
  hull_err e = NULL;
  *f = (hull_prune_filter){0};
  msg[0] = '\0';
  for (const char **a = args; *a && !e; a++)
    if (hull_prune_filter_add(f, "x prune", *a, &e) < 0)
      break;
  if (e || hull_prune_filter_parse(f, keys, all, NOW, &e) < 0)
    snprintf(msg, sizeof(msg), "%s", e->msg);
  hull_error_release(&e);
  return msg;
}

static json_t *labels(const char *text) { return json_loads(text, 0, NULL); }

int main(void) {
  hull_prune_filter f;
  const unsigned ctr = HULL_PRUNE_LABEL | HULL_PRUNE_UNTIL;

  ok(strcmp(parse(&f, ctr, false, (const char *[]){" Label = a=b ", NULL}), "") == 0 && f.n_labels == 1 &&
         strcmp(f.labels[0], "a=b") == 0,
     "the key is trimmed and lower-cased, the value trimmed");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"", NULL}), "") == 0 && f.n_args == 0,
     "an empty filter is skipped, as Docker's client does");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"label", NULL}),
            "invalid argument \"label\" for \"--filter\" flag: bad format of filter (expected name=value)\n"
            "See 'hull x prune --help'.") == 0,
     "a filter without '=' is a flag error");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"label=a", "dangling=true", NULL}), "invalid filter 'dangling'") ==
         0,
     "a key the prune does not take: dockerd's message");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, HULL_PRUNE_LABEL | HULL_PRUNE_ALL, false, (const char *[]){"until=1h", NULL}),
            "invalid filter 'until'") == 0,
     "volume prune takes no until");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"until=10m", NULL}), "") == 0 && f.has_until &&
         f.until == NOW - (int64_t)600 * 1000000000,
     "until=10m is ten minutes before now");
  ok(hull_prune_until_match(&f, f.until) && !hull_prune_until_match(&f, f.until + 1), "until keeps what is younger");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"until=1700000000.5", NULL}), "") == 0 && f.until == NOW + 500000000,
     "until as Unix seconds with a fraction");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"until=2023-11-14T22:13:20Z", NULL}), "") == 0 && f.until == NOW,
     "until as RFC 3339");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, ctr, false, (const char *[]){"until=1h", "until=2h", NULL}),
            "more than one until filter specified") == 0,
     "two untils are refused");
  hull_prune_filter_free(&f);

  /* The timestamps prune's until shares with events and logs --since/--until. */
  static const struct {
    const char *in;
    int64_t want; /* ns; -1: refused */
  } ts[] = {
      {"0", 0},
      {"10", (int64_t)10 * 1000000000},
      {"1h30m", NOW - (int64_t)5400 * 1000000000},
      {"1.5s", NOW - 1500000000},
      {"2023-11-14T22:13:20Z", NOW},
      {"2023-11-14T22:13:20.25Z", NOW + 250000000},
      {"2023-11-14T23:13:20+01:00", NOW},
      {"2023-11-14T21:13:20.5-01:00", NOW + 500000000},
      {"2023-11-14T22:13:20", NOW},
      {"2023-11-14", NOW - (int64_t)(22 * 3600 + 13 * 60 + 20) * 1000000000},
      {"yesterday", -1},
      {"10x", -1},
      {"2023-11-14T22:13:20Zx", -1},
      {"2023-11-14T22:13:20+01", -1},
      {"2023-11-14x", -1},
      {"", -1},
      /* Beyond int64 ns: a duration Go's ParseDuration refuses as too long, seconds that
       * strconv.ParseInt refuses, and times after 2262, which select everything. */
      {"3000000h", -1},
      {"99999999999999999999", -1},
      {"99999999999", INT64_MAX},
      {"3000-01-01", INT64_MAX},
      {"2500-01-01T00:00:00.5Z", INT64_MAX},
  };
  /* The table is in UTC; times without a zone are local time, checked below. */
  setenv("TZ", "UTC0", 1);
  tzset();
  for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
    int64_t got = -1;
    int rc = hull_parse_timestamp_ns(ts[i].in, NOW, &got);
    ok(ts[i].want < 0 ? rc < 0 : rc == 0 && got == ts[i].want, "timestamp \"%s\" -> %lld (got %lld, rc %d)", ts[i].in,
       (long long)ts[i].want, (long long)got, rc);
  }

  /* Docker's client reads a time without a zone in the local zone (TZ honoured), with the
   * offset the zone has at the reference time; a time with Z or an offset stays as written. */
  const int64_t H = (int64_t)3600 * 1000000000;
  static const struct {
    const char *tz, *in;
    int64_t now, want;
  } loc[] = {
      {"IST-05:30", "2023-11-14T22:13:20", NOW, NOW - 11 * H / 2},
      {"IST-05:30", "2023-11-14T22:13:20.25", NOW, NOW - 11 * H / 2 + 250000000},
      {"IST-05:30", "2023-11-14", NOW, NOW - 11 * H / 2 - (int64_t)(22 * 3600 + 13 * 60 + 20) * 1000000000},
      {"IST-05:30", "2023-11-14T22:13:20Z", NOW, NOW},
      {"IST-05:30", "2023-11-14T23:13:20+01:00", NOW, NOW},
      {"EST5EDT,M3.2.0,M11.1.0", "2023-11-14T22:13:20", NOW, NOW + 5 * H},
      /* In summer (EDT, -4) a November date is read with the summer offset, as Docker does. */
      {"EST5EDT,M3.2.0,M11.1.0", "2023-11-14T22:13:20", NOW - 120 * 24 * H, NOW + 4 * H},
  };
  for (size_t i = 0; i < sizeof(loc) / sizeof(loc[0]); i++) {
    setenv("TZ", loc[i].tz, 1);
    tzset();
    int64_t got = -1;
    int rc = hull_parse_timestamp_ns(loc[i].in, loc[i].now, &got);
    ok(rc == 0 && got == loc[i].want, "TZ=%s: \"%s\" -> %lld (got %lld, rc %d)", loc[i].tz, loc[i].in,
       (long long)loc[i].want, (long long)got, rc);
  }
  setenv("TZ", "UTC0", 1);
  tzset();

  const unsigned img = ctr | HULL_PRUNE_DANGLING;
  ok(strcmp(parse(&f, img, false, (const char *[]){"dangling=true", NULL}), "") == 0 && !f.all,
     "image prune: dangling=true is the default");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, img, true, (const char *[]){"dangling=false", NULL}), "") == 0 && f.all,
     "image prune -a with dangling=false");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, img, false, (const char *[]){"dangling=false", NULL}),
            "invalid filter 'dangling=[false true]'") == 0,
     "image prune: dangling=false without -a has two values");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, img, false, (const char *[]){"dangling=1", "dangling=x", NULL}), "") == 0 && !f.all,
     "image prune: dangling=1 with true beside it (and an unknown value) is true, as GetBoolOrDefault");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, img, true, (const char *[]){"dangling=x", NULL}), "") == 0 && f.all,
     "image prune -a: the added false decides");
  hull_prune_filter_free(&f);

  const unsigned vol = HULL_PRUNE_LABEL | HULL_PRUNE_ALL;
  ok(strcmp(parse(&f, vol, false, (const char *[]){"all=T", NULL}), "") == 0 && f.all, "volume prune: all=T");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, vol, true, (const char *[]){"all=true", NULL}),
            "conflicting options: cannot specify both --all and --filter all=1") == 0,
     "volume prune -a with all=: Docker's client refuses both");
  hull_prune_filter_free(&f);
  ok(strcmp(parse(&f, vol, false, (const char *[]){"all=true", "all=false", NULL}),
            "invalid filter 'all=[false true]': only one value is expected") == 0,
     "volume prune: two values of all");
  hull_prune_filter_free(&f);
  ok(strstr(parse(&f, vol, false, (const char *[]){"all=yes", NULL}), "strconv.ParseBool: parsing \"yes\""),
     "volume prune: all=yes is no Go bool");
  hull_prune_filter_free(&f);

  json_t *ab = labels("{\"a\": \"1\", \"b\": \"2\"}"), *a = labels("{\"a\": \"1\"}"), *none = labels("{}");
  parse(&f, ctr, false, (const char *[]){"label=a", "label=b=2", NULL});
  ok(hull_prune_labels_match(&f, ab) && !hull_prune_labels_match(&f, a) && !hull_prune_labels_match(&f, none) &&
         !hull_prune_labels_match(&f, NULL),
     "label=: every one must be there");
  hull_prune_filter_free(&f);
  parse(&f, ctr, false, (const char *[]){"label!=a", "label!=b", NULL});
  ok(!hull_prune_labels_match(&f, ab) && hull_prune_labels_match(&f, a) && hull_prune_labels_match(&f, none),
     "label!=: kept only with every one (dockerd's MatchKVList)");
  hull_prune_filter_free(&f);
  parse(&f, ctr, false, (const char *[]){"label!=a=2", NULL});
  json_t *a2 = labels("{\"a\": \"2\"}");
  ok(hull_prune_labels_match(&f, a) && !hull_prune_labels_match(&f, a2), "label!=K=V");
  json_decref(a2);
  hull_prune_filter_free(&f);

  parse(&f, ctr, false, (const char *[]){"until=10m", "label=x10", "label=x9", "label!=a", "label=x9", NULL});
  char **d = hull_prune_filter_describe(&f);
  ok(d && strcmp(d[0], "label!=a") == 0 && strcmp(d[1], "label=x9") == 0 && strcmp(d[2], "label=x10") == 0 &&
         strcmp(d[3], "until=10m") == 0 && d[4] == NULL,
     "system prune's list: distinct, naturally sorted");
  for (char **p = d; p && *p; p++)
    free(*p);
  free(d);
  hull_prune_filter_free(&f);
  json_decref(ab);
  json_decref(a);
  json_decref(none);
  return tap_done();
}
