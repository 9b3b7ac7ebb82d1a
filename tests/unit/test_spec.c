#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "runtime/spec.h"
#include "tap.h"

static const char *err_of(const char *json) {
  static char buf[512];
  struct hull_spec *s = NULL;
  hull_err e = NULL;
  buf[0] = '\0';
  if (hull_spec_parse(json, strlen(json), "/", &s, &e) < 0) {
    snprintf(buf, sizeof(buf), "%s", e->msg);
    hull_error_release(&e);
    return buf;
  }
  hull_spec_free(s);
  return NULL;
}

/* Configs that must be refused, and what the error must say (the JSON path, the value). */
static const struct {
  const char *what, *word, *word2, *json;
} refusals[] = {
    {"malformed JSON", "malformed JSON", NULL, "{"},
    {"unsupported major", "ociVersion", "2.0.0", "{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"/\"}}"},
    {"missing rootfs named", "/nonexistent-hull", NULL,
     "{\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"/nonexistent-hull\"}}"},
    {"empty args", "process.args", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"process\":{\"args\":[],\"cwd\":\"/\"}}"},
    {"relative cwd", "process.cwd", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"process\":{\"args\":[\"a\"],\"cwd\":\"rel\"}}"},
    {"relative mount destination", "mounts[0].destination", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"mounts\":[{\"destination\":\"x\"}]}"},
    {"unknown namespace", "linux.namespaces[0].type", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"linux\":{\"namespaces\":[{\"type\":\"foo\"}]}}"},
    {"unknown capability", "CAP_NOPE", "bounding[0]",
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"process\":{\"args\":[\"a\"],\"cwd\":\"/\","
     "\"capabilities\":{\"bounding\":[\"CAP_NOPE\"]}}}"},
    {"mappings without userns", "user namespace", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"linux\":{\"uidMappings\":[{\"containerID\":0,"
     "\"hostID\":1000,\"size\":1}]}}"},
    {"idmap on a tmpfs", "mounts[0]", "bind mount",
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"mounts\":[{\"destination\":\"/x\","
     "\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"idmap\"]}]}"},
    {"idmapped mount with uidMappings only", "gidMappings", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"mounts\":[{\"destination\":\"/x\","
     "\"type\":\"bind\",\"source\":\"/\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1,\"size\":1}]}]}"},
    {"mount mapping without size", "mounts[0].uidMappings[0]", NULL,
     "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"mounts\":[{\"destination\":\"/x\","
     "\"type\":\"bind\",\"source\":\"/\",\"uidMappings\":[{\"containerID\":0,\"hostID\":1}]}]}"},
};

int main(void) {
  json_t *d = hull_spec_default(false);
  json_object_set_new(json_object_get(d, "root"), "path", json_string("/"));
  char *text = json_dumps(d, 0);
  struct hull_spec *s = NULL;
  hull_err e = NULL;
  ok(hull_spec_parse(text, strlen(text), "/", &s, &e) == 0, "default spec parses");
  ok(s && s->ns_present[HULL_NS_PID] && !s->ns_present[HULL_NS_CGROUP] && !s->ns_present[HULL_NS_USER],
     "default namespaces");
  ok(s && s->n_mounts == 7, "seven default mounts");
  ok(s && s->process.caps.set && s->process.caps.bounding == ((1ULL << 29) | (1ULL << 5) | (1ULL << 10)),
     "default capabilities");
  ok(s && s->process.n_rlimits == 1 && s->process.rlimits[0].soft == 1024, "rlimit NOFILE 1024");
  ok(s && s->root_readonly, "readonly root");
  hull_spec_free(s);
  free(text);
  json_decref(d);

  const char *m;
  for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
    m = err_of(refusals[i].json);
    ok(m && strstr(m, refusals[i].word) && (refusals[i].word2 == NULL || strstr(m, refusals[i].word2)), "%s: %s",
       refusals[i].what, m ? m : "");
  }
  m = err_of("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"unknownField\":{\"x\":1},"
             "\"annotations\":{\"a\":\"b\"}}");
  ok(m == NULL, "unknown properties are ignored");
  const char *idm = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"mounts\":[{\"destination\":\"/x\","
                    "\"type\":\"bind\",\"source\":\"/\",\"options\":[\"rbind\",\"ridmap\"]},"
                    "{\"destination\":\"/y\",\"type\":\"bind\",\"source\":\"/\","
                    "\"uidMappings\":[{\"containerID\":0,\"hostID\":5,\"size\":2}],"
                    "\"gidMappings\":[{\"containerID\":0,\"hostID\":7,\"size\":3}]}]}";
  s = NULL;
  ok(hull_spec_parse(idm, strlen(idm), "/", &s, &e) == 0 && s->n_mounts == 2, "idmapped mounts parse");
  ok(s && s->mounts[0].idmap && s->mounts[0].n_uid_map == 0 && (!s->mounts[0].data || !*s->mounts[0].data),
     "ridmap: idmapped with the container's maps, not passed on as data");
  ok(s && s->mounts[1].idmap && s->mounts[1].n_uid_map == 1 && s->mounts[1].uid_map[0].host_id == 5 &&
         s->mounts[1].gid_map[0].size == 3,
     "a mount's own uidMappings and gidMappings");
  hull_spec_free(s);
  hull_error_release(&e);

  /* Found by fuzz/fuzz_spec.c: without fileMode, file_mode was an uninitialized value. */
  const char *dev = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"linux\":{\"devices\":["
                    "{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229},"
                    "{\"path\":\"/dev/null2\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":438}]}}";
  s = NULL;
  ok(hull_spec_parse(dev, strlen(dev), "/", &s, &e) == 0 && s->n_devices == 2, "devices parse");
  ok(s && !s->devices[0].has_mode && s->devices[0].file_mode == 0, "device without fileMode: mode 0, not set");
  ok(s && s->devices[1].has_mode && s->devices[1].file_mode == 0666, "device with fileMode 0666");
  hull_spec_free(s);
  hull_error_release(&e);

  /* Issue 17 §4: a namespace joined by path that is the runtime's own. This process's
   * namespace files stand in for the host's (opening them needs no privilege). */
  const char *joined = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/\"},\"linux\":{\"namespaces\":["
                       "{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"},{\"type\":\"ipc\"},"
                       "{\"type\":\"uts\",\"path\":\"/proc/self/ns/uts\"},{\"type\":\"mount\"}],"
                       "\"sysctl\":{\"kernel.shmmni\":\"1\",\"net.ipv4.tcp_fin_timeout\":\"33\"}}}";
  s = NULL;
  ok(hull_spec_parse(joined, strlen(joined), "/", &s, &e) == 0, "sysctls of listed namespaces parse");
  int fds[HULL_NS_COUNT];
  for (int t = 0; t < HULL_NS_COUNT; t++)
    fds[t] = -1;
  ok(s && hull_spec_check_joined_ns(s, fds, &e) == 0, "new namespaces: sysctls allowed");
  fds[HULL_NS_NET] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ok(s && hull_spec_check_joined_ns(s, fds, &e) < 0 && e && strstr(e->msg, "net.ipv4.tcp_fin_timeout") &&
         strstr(e->msg, "/proc/self/ns/net"),
     "the runtime's own network namespace: refused (%s)", e ? e->msg : "");
  hull_error_release(&e);
  close(fds[HULL_NS_NET]);
  fds[HULL_NS_NET] = -1;
  fds[HULL_NS_UTS] = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
  ok(s && hull_spec_check_joined_ns(s, fds, &e) == 0, "the runtime's own uts namespace without uts sysctls: allowed");
  hull_error_release(&e);
  ok(s && s->hostname == NULL, "no hostname");
  if (s)
    s->hostname = strdup("x");
  ok(s && hull_spec_check_joined_ns(s, fds, &e) < 0 && e && strstr(e->msg, "hostname"),
     "hostname in the runtime's own uts namespace: refused (%s)", e ? e->msg : "");
  hull_error_release(&e);
  close(fds[HULL_NS_UTS]);
  hull_spec_free(s);
  return tap_done();
}
