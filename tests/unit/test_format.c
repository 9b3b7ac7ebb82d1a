#include <stdlib.h>
#include <string.h>

#include "cli/format.h"
#include "image/prune-filter.h"
#include "tap.h"

static void size(uint64_t b, const char *want) {
  char out[32];
  hull_human_size(b, out, sizeof(out));
  ok(strcmp(out, want) == 0, "%llu bytes -> %s (got %s)", (unsigned long long)b, want, out);
}

static void dur(int64_t s, const char *want) {
  char out[64];
  hull_human_duration(s, out, sizeof(out));
  ok(strcmp(out, want) == 0, "%lld s -> %s (got %s)", (long long)s, want, out);
}

static void render(const char *tmpl, const char *json, const char *want) {
  json_t *o = json_loads(json, 0, NULL);
  const char *e = NULL;
  char *got = hull_template_render(tmpl, o, &e);
  ok(got && strcmp(got, want) == 0, "%s -> \"%s\" (got \"%s\")", tmpl, want, got ? got : e);
  free(got);
  json_decref(o);
}

int main(void) {
  /* go-units HumanSizeWithPrecision(size, 3), as `docker images` prints sizes. */
  size(0, "0B");
  size(999, "999B");
  size(1000, "1kB");
  size(4261000, "4.26MB");
  size(123456789, "123MB");
  size(1999999999, "2GB");
  /* go-units HumanDuration. */
  dur(0, "Less than a second");
  dur(1, "1 second");
  dur(59, "59 seconds");
  dur(60, "About a minute");
  dur(59 * 60, "59 minutes");
  dur(3600, "About an hour");
  dur(47 * 3600, "47 hours");
  dur(13 * 86400, "13 days");
  dur(15 * 86400, "2 weeks");
  dur(70 * 86400, "2 months");
  dur(800 * 86400, "2 years");
  render("{{.A}}", "{\"A\": \"x\"}", "x");
  render("{{ .A.B }}:{{.N}}", "{\"A\": {\"B\": \"y\"}, \"N\": 3}", "y:3");
  render("{{json .A}}", "{\"A\": [\"a\", 1]}", "[\"a\",1]");
  render("{{json .}}", "{\"A\":1}", "{\"A\":1}");
  render("{{.A}}\\t{{.Missing}}", "{\"A\": \"x\"}", "x\t<no value>");
  /* Go's text/template over decoded JSON, as a real dockerd's inspect printed them. */
  render("{{.C}}|{{.L}}|{{.E}}|{{.T}}|{{.R}}",
         "{\"C\": [\"sh\", \"-c\", \"exit 0\"], \"L\": {\"c\": \"d\", \"a\": \"b\"}, "
         "\"E\": null, \"T\": false, \"R\": {\"Name\": \"no\", \"MaximumRetryCount\": 0}}",
         "[sh -c exit 0]|map[a:b c:d]|<no value>|false|map[MaximumRetryCount:0 Name:no]");
  render("{{.A}}|{{.M}}|{{.N}}", "{\"A\": [], \"M\": {}, \"N\": [[1, true], {\"k\": null}]}",
         "[]|map[]|[[1 true] map[k:<no value>]]");
  /* index and range, the other forms Docker's users write most. */
  render("{{index .L \"com.x.y\"}}|{{index .C 1}}|{{index .C 9}}",
         "{\"L\": {\"com.x.y\": \"v\"}, \"C\": [\"a\", \"b\"]}", "v|b|<no value>");
  render("{{range .N}}<{{.IP}}>{{end}}|{{range .C}}{{.}},{{end}}|{{range .E}}x{{end}}.",
         "{\"N\": {\"b\": {\"IP\": \"2\"}, \"a\": {\"IP\": \"1\"}}, \"C\": [\"p\", \"q\"], \"E\": []}",
         "<1><2>|p,q,|.");
  render("{{range .O}}[{{range .I}}{{.}}{{end}}]{{end}}", "{\"O\": [{\"I\": [1, 2]}, {\"I\": [3]}]}", "[12][3]");
  json_t *o = json_object();
  const char *e = NULL;
  char *bad = hull_template_render("{{.A", o, &e);
  ok(bad == NULL && e != NULL, "unclosed action refused");
  bad = hull_template_render("{{range .}}", o, &e);
  ok(bad == NULL, "range without end refused");
  bad = hull_template_render("{{end}}", o, &e);
  ok(bad == NULL, "end without range refused");
  bad = hull_template_render("{{range $k, $v := .}}{{end}}", o, &e);
  ok(bad == NULL, "range with variables refused");
  bad = hull_template_render("{{printf \"%s\" .A}}", o, &e);
  ok(bad == NULL, "unsupported function refused");
  json_decref(o);
  const char *rest = NULL;
  ok(hull_template_is_table("table {{.A}}", &rest) && strcmp(rest, "{{.A}}") == 0, "table prefix");
  ok(!hull_template_is_table("tabled", &rest), "not a table");
  bool table = false;
  ok(strcmp(hull_template_choose(NULL, "{{.D}}", &table), "{{.D}}") == 0 && table, "choose: the default is a table");
  ok(strcmp(hull_template_choose("table {{.A}}", "{{.D}}", &table), "{{.A}}") == 0 && table, "choose: a table format");
  ok(strcmp(hull_template_choose("table", "{{.D}}", &table), "{{.D}}") == 0 && table,
     "choose: table alone is the default");
  ok(strcmp(hull_template_choose("table ", "{{.D}}", &table), "{{.D}}") == 0 && table, "choose: table and a blank");
  ok(strcmp(hull_template_choose("json", "{{.D}}", &table), "{{json .}}") == 0 && !table, "choose: json");
  ok(strcmp(hull_template_choose("{{.B}}", "{{.D}}", &table), "{{.B}}") == 0 && !table, "choose: a plain template");
  static const char *const titles[] = {"ID", "IMAGE ID", NULL};
  char *h = hull_template_header("{{.ID}}\\t{{.Size}}", titles);
  ok(h && strcmp(h, "IMAGE ID\tSIZE") == 0, "header titles (got %s)", h);
  free(h);
  /* Cells are as wide as their characters, as Go's tabwriter counts them: "…" is one. */
  hull_table t = {0};
  hull_table_add_tabbed(&t, "A\tB");
  hull_table_add_tabbed(&t, "abcdefghij\xe2\x80\xa6\tx");
  hull_table_add_tabbed(&t, "abcdefghijk\ty");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  hull_table_print(&t, f);
  fclose(f);
  ok(buf && strcmp(buf, "A             B\nabcdefghij\xe2\x80\xa6   x\nabcdefghijk   y\n") == 0,
     "utf-8 cells aligned (got \"%s\")", buf);
  free(buf);
  hull_table_free(&t);

  /* The shared pieces of the list and prune commands. */
  char sz[32];
  hull_human_size_digits(1234567, 4, sz, sizeof(sz));
  ok(strcmp(sz, "1.235MB") == 0, "4 significant digits, as prune's total (got %s)", sz);
  static const char *const keys[] = {"name", "label", NULL};
  ok(hull_filter_key_p("label=a=b", keys) && hull_filter_key_p("name=", keys), "filter keys known");
  ok(!hull_filter_key_p("labels=a", keys) && !hull_filter_key_p("lab=a", keys) && !hull_filter_key_p("name", keys),
     "filter keys unknown, and no '='");
  json_t *labels = json_loads("{\"a\": \"1\", \"b\": \"\", \"n\": 2}", 0, NULL);
  ok(hull_labels_match(labels, "a") && hull_labels_match(labels, "a=1") && hull_labels_match(labels, "b="),
     "labels: key, key=value, key= for an empty value");
  ok(!hull_labels_match(labels, "a=2") && !hull_labels_match(labels, "ab") && !hull_labels_match(labels, "n=2") &&
         !hull_labels_match(NULL, "a"),
     "labels: other value, other key, a value that is no string, no labels");
  json_decref(labels);
  return tap_done();
}
