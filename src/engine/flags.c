#include "engine/flags.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/userns.h"

enum {
  O_ENV_FILE = 256,
  O_HOSTNAME,
  O_ENTRYPOINT,
  O_MEMORY_SWAP,
  O_MEMORY_RES,
  O_CPUS,
  O_CPU_QUOTA,
  O_CPU_PERIOD,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_PIDS_LIMIT,
  O_ULIMIT,
  O_BLKIO_WEIGHT,
  O_SHM_SIZE,
  O_OOM_SCORE_ADJ,
  O_MOUNT,
  O_TMPFS,
  O_READ_ONLY,
  O_CAP_ADD,
  O_CAP_DROP,
  O_PRIVILEGED,
  O_SECURITY_OPT,
  O_DEVICE,
  O_GROUP_ADD,
  O_SYSCTL,
  O_PID,
  O_IPC,
  O_UTS,
  O_NETWORK,
  O_INIT,
  O_RESTART,
  O_STOP_SIGNAL,
  O_STOP_TIMEOUT,
  O_HEALTH_CMD,
  O_HEALTH_INTERVAL,
  O_HEALTH_RETRIES,
  O_HEALTH_TIMEOUT,
  O_HEALTH_START,
  O_NO_HEALTHCHECK,
  O_NAME,
  O_RM,
  O_USERNS,
  O_LOG_OPT,
  O_SIG_PROXY,
  O_DETACH_KEYS,
  O_LABEL_FILE,
  O_EXPOSE,
  O_IP,
  O_IP6,
  O_ADD_HOST,
  O_DNS,
  O_DNS_SEARCH,
  O_DNS_OPTION,
  O_NET_ALIAS,
  O_UIDMAP,
  O_GIDMAP,
};

static const struct option run_options[] = {
    {"detach", no_argument, NULL, 'd'},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, O_ENV_FILE},
    {"label", required_argument, NULL, 'l'},
    {"label-file", required_argument, NULL, O_LABEL_FILE},
    {"hostname", required_argument, NULL, O_HOSTNAME},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"entrypoint", required_argument, NULL, O_ENTRYPOINT},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, O_MEMORY_SWAP},
    {"memory-reservation", required_argument, NULL, O_MEMORY_RES},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpu-shares", required_argument, NULL, 'c'},
    {"cpu-quota", required_argument, NULL, O_CPU_QUOTA},
    {"cpu-period", required_argument, NULL, O_CPU_PERIOD},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS},
    {"cpuset-mems", required_argument, NULL, O_CPUSET_MEMS},
    {"pids-limit", required_argument, NULL, O_PIDS_LIMIT},
    {"ulimit", required_argument, NULL, O_ULIMIT},
    {"blkio-weight", required_argument, NULL, O_BLKIO_WEIGHT},
    {"shm-size", required_argument, NULL, O_SHM_SIZE},
    {"oom-score-adj", required_argument, NULL, O_OOM_SCORE_ADJ},
    {"volume", required_argument, NULL, 'v'},
    {"mount", required_argument, NULL, O_MOUNT},
    {"tmpfs", required_argument, NULL, O_TMPFS},
    {"read-only", no_argument, NULL, O_READ_ONLY},
    {"cap-add", required_argument, NULL, O_CAP_ADD},
    {"cap-drop", required_argument, NULL, O_CAP_DROP},
    {"privileged", no_argument, NULL, O_PRIVILEGED},
    {"security-opt", required_argument, NULL, O_SECURITY_OPT},
    {"device", required_argument, NULL, O_DEVICE},
    {"group-add", required_argument, NULL, O_GROUP_ADD},
    {"sysctl", required_argument, NULL, O_SYSCTL},
    {"pid", required_argument, NULL, O_PID},
    {"ipc", required_argument, NULL, O_IPC},
    {"uts", required_argument, NULL, O_UTS},
    {"userns", required_argument, NULL, O_USERNS},
    {"uidmap", required_argument, NULL, O_UIDMAP},
    {"gidmap", required_argument, NULL, O_GIDMAP},
    {"network", required_argument, NULL, O_NETWORK},
    {"net", required_argument, NULL, O_NETWORK},
    {"init", no_argument, NULL, O_INIT},
    {"restart", required_argument, NULL, O_RESTART},
    {"stop-signal", required_argument, NULL, O_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, O_STOP_TIMEOUT},
    {"health-cmd", required_argument, NULL, O_HEALTH_CMD},
    {"health-interval", required_argument, NULL, O_HEALTH_INTERVAL},
    {"health-retries", required_argument, NULL, O_HEALTH_RETRIES},
    {"health-timeout", required_argument, NULL, O_HEALTH_TIMEOUT},
    {"health-start-period", required_argument, NULL, O_HEALTH_START},
    {"no-healthcheck", no_argument, NULL, O_NO_HEALTHCHECK},
    {"name", required_argument, NULL, O_NAME},
    {"rm", no_argument, NULL, O_RM},
    {"log-opt", required_argument, NULL, O_LOG_OPT},
    {"sig-proxy", optional_argument, NULL, O_SIG_PROXY},
    {"detach-keys", required_argument, NULL, O_DETACH_KEYS},
    {"publish", required_argument, NULL, 'p'},
    {"publish-all", no_argument, NULL, 'P'},
    {"expose", required_argument, NULL, O_EXPOSE},
    {"ip", required_argument, NULL, O_IP},
    {"ip6", required_argument, NULL, O_IP6},
    {"add-host", required_argument, NULL, O_ADD_HOST},
    {"dns", required_argument, NULL, O_DNS},
    {"dns-search", required_argument, NULL, O_DNS_SEARCH},
    {"dns-option", required_argument, NULL, O_DNS_OPTION},
    {"network-alias", required_argument, NULL, O_NET_ALIAS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "[OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
    "Options:\n"
    "      --add-host list              Add a custom host-to-IP mapping (host:ip)\n"
    "      --blkio-weight uint16        Block IO weight (10-1000, 0 to disable)\n"
    "      --cap-add list               Add Linux capabilities\n"
    "      --cap-drop list              Drop Linux capabilities\n"
    "      --cpu-period int             Limit CPU CFS period\n"
    "      --cpu-quota int              Limit CPU CFS quota\n"
    "  -c, --cpu-shares int             CPU shares (relative weight)\n"
    "      --cpus decimal               Number of CPUs\n"
    "      --cpuset-cpus string         CPUs in which to allow execution (0-3, 0,1)\n"
    "      --cpuset-mems string         MEMs in which to allow execution (0-3, 0,1)\n"
    "  -d, --detach                     Run container in background and print container ID\n"
    "      --detach-keys string         Override the key sequence for detaching a container\n"
    "      --device list                Add a host device to the container\n"
    "      --dns list                   Set custom DNS servers\n"
    "      --dns-option list            Set DNS options\n"
    "      --dns-search list            Set custom DNS search domains\n"
    "      --entrypoint string          Overwrite the default ENTRYPOINT of the image\n"
    "  -e, --env list                   Set environment variables\n"
    "      --env-file list              Read in a file of environment variables\n"
    "      --expose list                Expose a port or a range of ports\n"
    "      --gidmap CONTAINER:HOST:SIZE Map group ids into a user namespace (repeatable; default: as --uidmap)\n"
    "      --group-add list             Add additional groups to join\n"
    "      --health-cmd string          Command to run to check health\n"
    "      --health-interval duration   Time between running the check (ms|s|m|h)\n"
    "      --health-retries int         Consecutive failures needed to report unhealthy\n"
    "      --health-start-period duration  Start period for the container to initialize\n"
    "      --health-timeout duration    Maximum time to allow one check to run (ms|s|m|h)\n"
    "      --hostname string            Container host name\n"
    "      --ip string                  IPv4 address (e.g., 172.30.100.104)\n"
    "      --ip6 string                 IPv6 address (e.g., 2001:db8::33)\n"
    "      --init                       Run an init inside the container that reaps processes\n"
    "  -i, --interactive                Keep STDIN open even if not attached\n"
    "      --ipc string                 IPC mode to use: private (default), shareable, none, host or\n"
    "                                   container:NAME (of a shareable container)\n"
    "  -l, --label list                 Set meta data on a container\n"
    "      --label-file list            Read in a line delimited file of labels\n"
    "      --log-opt list               Log driver options: max-size=SIZE (decimal units), max-file=N\n"
    "  -m, --memory bytes               Memory limit\n"
    "      --memory-reservation bytes   Memory soft limit\n"
    "      --memory-swap bytes          Swap limit equal to memory plus swap: -1 for unlimited\n"
    "      --mount mount                Attach a filesystem mount to the container\n"
    "      --name string                Assign a name to the container\n"
    "      --network string             Connect a container to a network: bridge (default), a network's\n"
    "                                   name, none, host or container:NAME\n"
    "      --network-alias list         Add network-scoped alias for the container\n"
    "      --no-healthcheck             Disable any container-specified HEALTHCHECK\n"
    "      --oom-score-adj int          Tune host's OOM preferences (-1000 to 1000)\n"
    "      --pid string                 PID namespace to use: host or container:NAME\n"
    "      --pids-limit int             Tune container pids limit (-1 for unlimited)\n"
    "      --privileged                 Give extended privileges to this container\n"
    "  -p, --publish list               Publish a container's port(s) to the host\n"
    "                                   ([HOST_IP:][HOST_PORT:]PORT[/tcp|udp])\n"
    "  -P, --publish-all                Publish all exposed ports to random ports\n"
    "      --read-only                  Mount the container's root filesystem as read only\n"
    "      --restart string             Restart policy to apply when a container exits (default \"no\")\n"
    "      --rm                         Automatically remove the container when it exits\n"
    "      --security-opt list          Security Options\n"
    "      --shm-size bytes             Size of /dev/shm\n"
    "      --sig-proxy                  Proxy received signals to the process (default true)\n"
    "      --stop-signal string         Signal to stop the container\n"
    "      --stop-timeout int           Timeout (in seconds) to stop a container\n"
    "      --sysctl map                 Sysctl options\n"
    "      --tmpfs list                 Mount a tmpfs directory\n"
    "  -t, --tty                        Allocate a pseudo-TTY\n"
    "      --ulimit ulimit              Ulimit options\n"
    "  -u, --user string                Username or UID (format: <name|uid>[:<group|gid>])\n"
    "      --uidmap CONTAINER:HOST:SIZE Map user ids into a user namespace (repeatable)\n"
    "      --userns string              User namespace to use: host (default), auto[:size=N] (a free range of\n"
    "                                   ids of user containers in /etc/subuid), ns:PATH\n"
    "      --uts string                 UTS namespace to use\n"
    "  -v, --volume list                Bind mount a volume\n"
    "  -w, --workdir string             Working directory inside the container\n";

const char *hull_run_usage(void) { return usage_text; }

/* ---- value parsers ---- */

int hull_parse_size(const char *s, int64_t *out) {
  char *end = NULL;
  if (s == NULL || !isdigit((unsigned char)s[0]))
    return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s)
    return -1;
  if (*end == ' ')
    end++;
  double mul = 1;
  switch (tolower((unsigned char)*end)) {
  case 'k':
    mul = 1024.0;
    break;
  case 'm':
    mul = 1024.0 * 1024;
    break;
  case 'g':
    mul = 1024.0 * 1024 * 1024;
    break;
  case 't':
    mul = 1024.0 * 1024 * 1024 * 1024;
    break;
  case 'p':
    mul = 1024.0 * 1024 * 1024 * 1024 * 1024;
    break;
  default:
    break;
  }
  if (mul != 1)
    end++;
  if (mul != 1 && tolower((unsigned char)*end) == 'i')
    end++;
  if (tolower((unsigned char)*end) == 'b')
    end++;
  if (*end != '\0')
    return -1;
  double r = v * mul;
  if (r >= 9.2e18)
    return -1;
  *out = (int64_t)r;
  return 0;
}

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int hull_parse_signal(const char *s) {
  int64_t n;
  if (s == NULL || *s == '\0')
    return -1;
  if (hull_parse_int64(s, &n) == 0)
    return n > 0 && n < 65 ? (int)n : -1;
  if (strncasecmp(s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
    if (strcasecmp(s, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp(s, "RTMIN+", 6) == 0 && hull_parse_int64(s + 6, &n) == 0 && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
    return SIGRTMIN + (int)n;
  return -1;
}

/* ---- helpers building the JSON ---- */

/* The command whose flags are being parsed (argv[0] of hull_run_opts_parse: run, create or
 * update), named in a bad value's "See 'hull CMD --help'." as Docker names its own. getopt
 * keeps its state in globals too: the parser is not reentrant either way. */
static const char *parsing_cmd = "run";

static int bad_value(hull_err *err, const char *flag, const char *value, const char *why) {
  hull_error_code(err, EINVAL, "invalid argument \"%s\" for \"%s\" flag: %s\nSee 'hull %s --help'.", value, flag, why,
                  parsing_cmd);
  (*err)->status = 125;
  return -1;
}

static int append_str(json_t *obj, const char *key, const char *value) {
  json_t *arr = json_object_get(obj, key);
  if (!json_is_array(arr)) {
    arr = json_array();
    json_object_set_new(obj, key, arr);
  }
  return json_array_append_new(arr, json_string(value));
}

static int set_int(json_t *obj, const char *key, int64_t v) { return json_object_set_new(obj, key, json_integer(v)); }

static int size_flag(json_t *hc, const char *key, const char *flag, const char *v, bool allow_minus_one,
                     hull_err *err) {
  int64_t n;
  if (allow_minus_one && strcmp(v, "-1") == 0)
    return set_int(hc, key, -1);
  if (hull_parse_size(v, &n) < 0) {
    char why[160];
    snprintf(why, sizeof(why), "invalid size: '%s'", v);
    return bad_value(err, flag, v, why);
  }
  return set_int(hc, key, n);
}

static int int_flag(json_t *obj, const char *key, const char *flag, const char *v, int64_t min, int64_t max,
                    hull_err *err) {
  int64_t n;
  if (hull_parse_int64(v, &n) < 0)
    return bad_value(err, flag, v, "invalid syntax");
  if (n < min || n > max) {
    char why[120];
    snprintf(why, sizeof(why), "value out of range (%lld to %lld)", (long long)min, (long long)max);
    return bad_value(err, flag, v, why);
  }
  return set_int(obj, key, n);
}

/* -e KEY=VALUE, or -e KEY: the value is taken from hull's own environment (left out if unset). */
static void add_env(json_t *config, const char *v) {
  if (strchr(v, '=') == NULL) {
    const char *val = getenv(v);
    if (val == NULL)
      return;
    cleanup_free char *kv = NULL;
    if (asprintf(&kv, "%s=%s", v, val) >= 0)
      append_str(config, "Env", kv);
    return;
  }
  append_str(config, "Env", v);
}

static int env_file(json_t *config, const char *path, hull_err *err) {
  cleanup_file FILE *f = fopen(path, "re");
  if (f == NULL)
    return hull_error_sys(err, "open env file %s", path);
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
      line[--n] = '\0';
    const char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0' || *p == '#')
      continue;
    if (*p == '=')
      return hull_error_code(err, EINVAL, "invalid environment variable in %s: %s", path, p);
    add_env(config, p);
  }
  return 0;
}

static int set_label(json_t *config, const char *v) {
  json_t *labels = json_object_get(config, "Labels");
  cleanup_free char *k = strdup(v);
  if (k == NULL)
    return -1;
  char *eq = strchr(k, '=');
  const char *val = "";
  if (eq) {
    *eq = '\0';
    val = eq + 1;
  }
  return json_object_set_new(labels, k, json_string(val));
}

static int ulimit_flag(json_t *hc, const char *v, hull_err *err) {
  const char *eq = strchr(v, '=');
  if (eq == NULL || eq == v)
    return bad_value(err, "--ulimit", v, "invalid ulimit argument");
  cleanup_free char *name = strndup(v, (size_t)(eq - v));
  int64_t soft, hard;
  const char *colon = strchr(eq + 1, ':');
  cleanup_free char *s1 = colon ? strndup(eq + 1, (size_t)(colon - eq - 1)) : strdup(eq + 1);
  if (name == NULL || s1 == NULL || hull_parse_int64(s1, &soft) < 0)
    return bad_value(err, "--ulimit", v, "invalid ulimit argument");
  if (colon) {
    if (hull_parse_int64(colon + 1, &hard) < 0)
      return bad_value(err, "--ulimit", v, "invalid ulimit argument");
  } else {
    hard = soft;
  }
  char why[160];
  if (soft > hard && hard != -1) {
    snprintf(why, sizeof(why), "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
             (long long)soft, (long long)hard);
    return bad_value(err, "--ulimit", v, why);
  }
  static const char *const known[] = {"core",     "cpu",        "data",   "fsize", "locks", "memlock",
                                      "msgqueue", "nice",       "nofile", "nproc", "rss",   "rtprio",
                                      "rttime",   "sigpending", "stack",  "as",    NULL};
  bool ok = false;
  for (const char *const *k = known; *k; k++)
    ok = ok || strcmp(*k, name) == 0;
  if (!ok) {
    snprintf(why, sizeof(why), "invalid ulimit type: %.64s", name);
    return bad_value(err, "--ulimit", v, why);
  }
  json_t *arr = json_object_get(hc, "Ulimits");
  if (!json_is_array(arr)) {
    arr = json_array();
    json_object_set_new(hc, "Ulimits", arr);
  }
  return json_array_append_new(
      arr, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft", (json_int_t)soft, "Hard", (json_int_t)hard));
}

static int restart_flag(json_t *hc, const char *v, hull_err *err) {
  const char *colon = strchr(v, ':');
  size_t n = colon ? (size_t)(colon - v) : strlen(v);
  int64_t max = 0;
  bool on_failure = n == 10 && strncmp(v, "on-failure", 10) == 0;
  if (colon && (!on_failure || hull_parse_int64(colon + 1, &max) < 0 || max < 0))
    return bad_value(err, "--restart", v, "invalid restart policy format");
  if (!on_failure && strcmp(v, "no") != 0 && strcmp(v, "always") != 0 && strcmp(v, "unless-stopped") != 0)
    return bad_value(err, "--restart", v, "invalid restart policy format");
  return json_object_set_new(hc, "RestartPolicy",
                             json_pack("{s:s%, s:I}", "Name", v, n, "MaximumRetryCount", (json_int_t)max));
}

/* -v SRC:DST[:OPTS] (bind when SRC is a path, a named volume otherwise) or -v DST (anonymous). */
static int volume_flag(json_t *hc, json_t *config, const char *v, hull_err *err) {
  cleanup_free char *copy = strdup(v);
  if (copy == NULL)
    return hull_error(err, ENOMEM, "--volume");
  char *parts[4] = {NULL};
  size_t n = 0;
  for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
    if (n == 3)
      return bad_value(err, "-v, --volume", v, "invalid volume specification");
    parts[n++] = tok;
  }
  if (n == 0)
    return bad_value(err, "-v, --volume", v, "invalid volume specification");
  if (n == 1) {
    if (parts[0][0] != '/')
      return bad_value(err, "-v, --volume", v, "invalid volume specification: the mount point must be absolute");
    json_t *vols = json_object_get(config, "Volumes");
    return json_object_set_new(vols, parts[0], json_object());
  }
  if (parts[1][0] != '/')
    return bad_value(err, "-v, --volume", v, "invalid volume specification: the mount point must be absolute");
  if (n == 3) {
    cleanup_free char *o = strdup(parts[2]);
    for (char *save = NULL, *tok = strtok_r(o, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
      static const char *const okv[] = {"ro",       "rw",         "z",       "Z",         "private",
                                        "rprivate", "shared",     "rshared", "slave",     "rslave",
                                        "nocopy",   "consistent", "cached",  "delegated", NULL};
      bool ok = false;
      for (const char *const *k = okv; *k; k++)
        ok = ok || strcmp(*k, tok) == 0;
      if (!ok)
        return bad_value(err, "-v, --volume", v, "invalid mode");
    }
  }
  return append_str(hc, "Binds", v);
}

/* --mount type=bind|volume|tmpfs,source=..,target=..,readonly,tmpfs-size=..,tmpfs-mode=.. */
static int mount_flag(json_t *hc, const char *v, hull_err *err) {
  cleanup_free char *copy = strdup(v);
  cleanup_json json_t *m = json_pack("{s:s}", "Type", "volume");
  if (copy == NULL || m == NULL)
    return hull_error(err, ENOMEM, "--mount");
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    const char *val = eq ? eq + 1 : "true";
    if (eq)
      *eq = '\0';
    if (strcmp(tok, "type") == 0) {
      if (strcmp(val, "bind") != 0 && strcmp(val, "volume") != 0 && strcmp(val, "tmpfs") != 0)
        return bad_value(err, "--mount", v, "invalid mount type");
      json_object_set_new(m, "Type", json_string(val));
    } else if (strcmp(tok, "source") == 0 || strcmp(tok, "src") == 0) {
      json_object_set_new(m, "Source", json_string(val));
    } else if (strcmp(tok, "target") == 0 || strcmp(tok, "destination") == 0 || strcmp(tok, "dst") == 0) {
      json_object_set_new(m, "Target", json_string(val));
    } else if (strcmp(tok, "readonly") == 0 || strcmp(tok, "ro") == 0) {
      json_object_set_new(m, "ReadOnly", json_boolean(strcmp(val, "true") == 0 || strcmp(val, "1") == 0));
    } else if (strcmp(tok, "tmpfs-size") == 0) {
      int64_t sz;
      if (hull_parse_size(val, &sz) < 0)
        return bad_value(err, "--mount", v, "invalid tmpfs-size");
      json_t *t = json_object_get(m, "TmpfsOptions");
      if (!json_is_object(t))
        json_object_set_new(m, "TmpfsOptions", t = json_object());
      json_object_set_new(t, "SizeBytes", json_integer(sz));
    } else if (strcmp(tok, "tmpfs-mode") == 0) {
      /* Octal as chmod's, kept as Docker's FileMode (an integer). */
      char *end = NULL;
      errno = 0;
      unsigned long mode = strtoul(val, &end, 8);
      if (end == val || *end != '\0' || errno != 0 || mode > 07777)
        return bad_value(err, "--mount", v, "invalid tmpfs-mode");
      json_t *t = json_object_get(m, "TmpfsOptions");
      if (!json_is_object(t))
        json_object_set_new(m, "TmpfsOptions", t = json_object());
      json_object_set_new(t, "Mode", json_integer((json_int_t)mode));
    } else if (strcmp(tok, "bind-propagation") == 0 || strcmp(tok, "volume-nocopy") == 0 ||
               strcmp(tok, "consistency") == 0) {
      continue; /* accepted; the defaults apply */
    } else {
      cleanup_free char *msg = NULL;
      if (asprintf(&msg, "unexpected key '%s' in '%s%s%s'", tok, tok, eq ? "=" : "", eq ? val : "") < 0)
        return hull_error(err, ENOMEM, "--mount");
      return bad_value(err, "--mount", v, msg);
    }
  }
  const char *target = json_string_value(json_object_get(m, "Target"));
  if (target == NULL || target[0] != '/')
    return bad_value(err, "--mount", v, "target is required and must be absolute");
  if (strcmp(json_string_value(json_object_get(m, "Type")), "bind") == 0 &&
      json_string_value(json_object_get(m, "Source")) == NULL)
    return bad_value(err, "--mount", v, "source is required when specifying bind mount");
  json_t *arr = json_object_get(hc, "Mounts");
  if (!json_is_array(arr)) {
    arr = json_array();
    json_object_set_new(hc, "Mounts", arr);
  }
  return json_array_append_new(arr, steal_pointer(&m));
}

static int device_flag(json_t *hc, const char *v, hull_err *err) {
  cleanup_free char *copy = strdup(v);
  char *parts[3] = {NULL};
  size_t n = 0;
  for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
    if (n == 3)
      return bad_value(err, "--device", v, "invalid device specification");
    parts[n++] = tok;
  }
  if (n == 0 || parts[0][0] != '/')
    return bad_value(err, "--device", v, "invalid device specification");
  const char *dst = parts[0], *perm = "rwm";
  if (n >= 2) {
    if (parts[1][0] == '/')
      dst = parts[1];
    else
      perm = parts[1];
  }
  if (n == 3)
    perm = parts[2];
  if (strspn(perm, "rwm") != strlen(perm) || *perm == '\0')
    return bad_value(err, "--device", v, "invalid device mode");
  json_t *arr = json_object_get(hc, "Devices");
  return json_array_append_new(
      arr, json_pack("{s:s, s:s, s:s}", "PathOnHost", parts[0], "PathInContainer", dst, "CgroupPermissions", perm));
}

static int namespace_flag(json_t *hc, const char *key, const char *flag, const char *v, const char *const *ok,
                          hull_err *err) {
  bool good = strncmp(v, "container:", 10) == 0 && v[10] != '\0';
  for (const char *const *k = ok; *k && !good; k++)
    good = strcmp(*k, v) == 0;
  if (!good)
    return bad_value(err, flag, v, "invalid mode");
  return json_object_set_new(hc, key, json_string(v));
}

static json_t *health(json_t *config) {
  json_t *h = json_object_get(config, "Healthcheck");
  if (h == NULL) {
    h = json_object();
    json_object_set_new(config, "Healthcheck", h);
  }
  return h;
}

static int duration_flag(json_t *obj, const char *key, const char *flag, const char *v, hull_err *err) {
  int64_t ns;
  if (hull_parse_duration_ns(v, &ns) < 0)
    return bad_value(err, flag, v, "time: invalid duration");
  return set_int(obj, key, ns);
}

static void init_opts(hull_run_opts *o) {
  memset(o, 0, sizeof(*o));
  o->config = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:[], s:n, s:s, s:{}, s:s, s:n, s:{}}",
                        "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0, "AttachStdout", 1,
                        "AttachStderr", 1, "Tty", 0, "OpenStdin", 0, "StdinOnce", 0, "Env", "Cmd", "Image", "",
                        "Volumes", "WorkingDir", "", "Entrypoint", "Labels");
  o->host_config = json_pack(
      "{s:[], s:s, s:{s:s, s:i}, s:b, s:[], s:[], s:[], s:s, s:i, s:s, s:b, s:b, s:[], s:s, s:s, s:I, s:{},"
      " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:n, s:[], s:i, s:[], s:[], s:n, s:s}",
      "Binds", "NetworkMode", "bridge", "RestartPolicy", "Name", "no", "MaximumRetryCount", 0, "AutoRemove", 0,
      "CapAdd", "CapDrop", "GroupAdd", "IpcMode", "private", "OomScoreAdj", 0, "PidMode", "", "Privileged", 0,
      "ReadonlyRootfs", 0, "SecurityOpt", "UTSMode", "", "UsernsMode", "", "ShmSize", (json_int_t)64 << 20, "Sysctls",
      "Memory", (json_int_t)0, "MemoryReservation", (json_int_t)0, "MemorySwap", (json_int_t)0, "NanoCpus",
      (json_int_t)0, "CpuShares", (json_int_t)0, "CpuPeriod", (json_int_t)0, "CpuQuota", (json_int_t)0, "CpusetCpus",
      "", "CpusetMems", "", "PidsLimit", "Ulimits", "BlkioWeight", 0, "Devices", "Mounts", "Init", "Runtime", "hull");
  json_object_set_new(o->host_config, "Tmpfs", json_object());
  json_object_set_new(o->host_config, "LogConfig", json_pack("{s:s, s:{}}", "Type", "json-file", "Config"));
}

void hull_run_opts_free(hull_run_opts *o) {
  json_decref(o->config);
  json_decref(o->host_config);
  free(o->image);
  free(o->name);
  free(o->detach_keys);
  memset(o, 0, sizeof(*o));
}

static int security_opt(json_t *hc, const char *v, hull_err *err) {
  const char *eq = strchr(v, '=');
  const char *colon = strchr(v, ':');
  const char *sep = eq ? eq : colon;
  size_t kn = sep ? (size_t)(sep - v) : strlen(v);
  static const char *const keys[] = {"seccomp", "no-new-privileges", "apparmor", "label", "systempaths", NULL};
  bool ok = false;
  for (const char *const *k = keys; *k; k++)
    ok = ok || (strlen(*k) == kn && strncmp(*k, v, kn) == 0);
  if (!ok || (kn == 7 && sep == NULL))
    return bad_value(err, "--security-opt", v, "invalid --security-opt");
  return append_str(hc, "SecurityOpt", v);
}

/* A range "A-B" (or one port "A") in lo..hi; false for anything else. */
static bool port_range(const char *s, long *lo, long *hi) {
  char *end = NULL;
  errno = 0;
  *lo = strtol(s, &end, 10);
  *hi = *lo;
  if (end != s && *end == '-') {
    const char *h = end + 1;
    *hi = strtol(h, &end, 10);
    if (end == h)
      return false;
  }
  return end != s && *end == '\0' && errno == 0 && *lo >= 1 && *hi <= 65535 && *lo <= *hi;
}

/* -p [IP:][HOST_RANGE:]CTR_RANGE[/PROTO] as Docker's: a range of container ports is one
 * spec per port, paired with a host range of the same length, or each with a free host
 * port when none is given. Other specs are kept whole for the engine to check. */
static int publish(json_t *hc, const char *v, hull_err *err) {
  char buf[256];
  if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
    return bad_value(err, "--publish", v, "too long");
  char *slash = strrchr(buf, '/');
  const char *proto = "";
  if (slash) {
    proto = v + (slash - buf);
    *slash = '\0';
  }
  char *last = strrchr(buf, ':');
  const char *ctr = last ? last + 1 : buf;
  long c1, c2, h1 = 0, h2 = 0;
  if (strchr(ctr, '-') == NULL || !port_range(ctr, &c1, &c2))
    return append_str(hc, "PortSpecs", v);
  /* What precedes the container ports: "", "HOST", "IP:HOST" or "IP:" ("[v6]:HOST"). */
  char ip[260] = "";
  const char *host = "";
  if (last) {
    *last = '\0';
    char *hsep = strrchr(buf, ':');
    if (hsep && buf[strlen(buf) - 1] != ']') {
      host = hsep + 1;
      snprintf(ip, sizeof(ip), "%.*s:", (int)(hsep - buf), buf);
    } else if (hsep || buf[0] == '[') {
      snprintf(ip, sizeof(ip), "%s:", buf); /* "[::]" alone, never a port */
    } else {
      host = buf;
    }
  }
  if (*host && !port_range(host, &h1, &h2))
    return bad_value(err, "--publish", v, "invalid hostPort range");
  if (*host && h2 - h1 != c2 - c1)
    return bad_value(err, "--publish", v, "invalid ranges specified for container and host Ports");
  if (c2 - c1 >= 1024)
    return bad_value(err, "--publish", v, "a range of more than 1024 ports");
  for (long k = 0; k <= c2 - c1; k++) {
    char one[300], hp[8] = "";
    if (*host)
      snprintf(hp, sizeof(hp), "%ld", h1 + k);
    if (*ip || *host)
      snprintf(one, sizeof(one), "%s%s:%ld%s", ip, hp, c1 + k, proto);
    else
      snprintf(one, sizeof(one), "%ld%s", c1 + k, proto);
    if (append_str(hc, "PortSpecs", one) < 0)
      return hull_error(err, ENOMEM, "--publish");
  }
  return 0;
}

/* The network flags that need more than a string in a list. -p is kept as written (a
 * range as one entry per port, publish()) in HostConfig.PortSpecs (hull's own key) and
 * parsed with the network library when the
 * container is created, which also fills Docker's PortBindings and ExposedPorts; --ip and
 * --network-alias go to NetworkingConfig (Docker keeps them per network endpoint). */
static int net_option(hull_run_opts *o, int c, const char *v, hull_err *err) {
  json_t *hc = o->host_config;
  json_t *nc = json_object_get(hc, "NetworkingConfig");
  if (nc == NULL) {
    nc = json_object();
    json_object_set_new(hc, "NetworkingConfig", nc);
  }
  switch (c) {
  case 'p':
    return publish(hc, v, err);
  case 'P':
    return json_object_set_new(hc, "PublishAllPorts", json_true());
  case O_EXPOSE: {
    /* PORT[-PORT][/PROTO], as Docker's. */
    char key[64], ports[32];
    const char *slash = strchr(v, '/');
    const char *proto = slash ? slash : "/tcp";
    long lo, hi;
    snprintf(ports, sizeof(ports), "%.*s", slash ? (int)(slash - v) : (int)strlen(v), v);
    if (!port_range(ports, &lo, &hi) || hi - lo >= 1024 || (strcmp(proto, "/tcp") != 0 && strcmp(proto, "/udp") != 0))
      return bad_value(err, "--expose", v, "invalid port");
    json_t *ep = json_object_get(o->config, "ExposedPorts");
    if (!json_is_object(ep)) {
      ep = json_object();
      json_object_set_new(o->config, "ExposedPorts", ep);
    }
    for (long p = lo; p <= hi; p++) {
      snprintf(key, sizeof(key), "%ld%s", p, proto);
      if (json_object_set_new(ep, key, json_object()) < 0)
        return hull_error(err, ENOMEM, "--expose");
    }
    return 0;
  }
  case O_IP:
    return json_object_set_new(nc, "IPv4Address", json_string(v));
  case O_IP6:
    return json_object_set_new(nc, "IPv6Address", json_string(v));
  case O_NET_ALIAS:
    return append_str(nc, "Aliases", v);
  default:
    return 0;
  }
}

/* The flags whose handling is one of a few shapes, by table rather than a case each: a
 * string, a list entry, true, a size, an integer in a range or a duration, set at key in
 * the config, its host config or its health check. */
enum flag_shape { F_STRING, F_LIST, F_TRUE, F_SIZE, F_SIZE_OR_UNLIMITED, F_INT, F_DURATION };
enum flag_object { IN_CONFIG, IN_HOST_CONFIG, IN_HEALTH };

static const struct simple_flag {
  int opt;
  enum flag_shape shape;
  enum flag_object in;
  const char *key;
  const char *flag; /* as Docker names it in an error */
  int64_t min, max; /* F_INT */
} simple_flags[] = {
    {O_HOSTNAME, F_STRING, IN_CONFIG, "Hostname", NULL, 0, 0},
    {'u', F_STRING, IN_CONFIG, "User", NULL, 0, 0},
    {'m', F_SIZE, IN_HOST_CONFIG, "Memory", "-m, --memory", 0, 0},
    {O_MEMORY_SWAP, F_SIZE_OR_UNLIMITED, IN_HOST_CONFIG, "MemorySwap", "--memory-swap", 0, 0},
    {O_MEMORY_RES, F_SIZE, IN_HOST_CONFIG, "MemoryReservation", "--memory-reservation", 0, 0},
    {O_SHM_SIZE, F_SIZE, IN_HOST_CONFIG, "ShmSize", "--shm-size", 0, 0},
    {'c', F_INT, IN_HOST_CONFIG, "CpuShares", "-c, --cpu-shares", 0, 262144},
    {O_CPU_QUOTA, F_INT, IN_HOST_CONFIG, "CpuQuota", "--cpu-quota", -1, INT64_MAX / 2},
    {O_CPU_PERIOD, F_INT, IN_HOST_CONFIG, "CpuPeriod", "--cpu-period", 0,
     INT64_MAX / 2}, /* dockerd: 1000..1000000 (verify.c) */
    {O_PIDS_LIMIT, F_INT, IN_HOST_CONFIG, "PidsLimit", "--pids-limit", -1, INT64_MAX / 2},
    {O_OOM_SCORE_ADJ, F_INT, IN_HOST_CONFIG, "OomScoreAdj", "--oom-score-adj", INT32_MIN,
     INT32_MAX}, /* dockerd: verify.c */
    {O_STOP_TIMEOUT, F_INT, IN_CONFIG, "StopTimeout", "--stop-timeout", -1, INT32_MAX},
    {O_HEALTH_RETRIES, F_INT, IN_HEALTH, "Retries", "--health-retries", 0, INT32_MAX},
    {O_HEALTH_INTERVAL, F_DURATION, IN_HEALTH, "Interval", "--health-interval", 0, 0},
    {O_HEALTH_TIMEOUT, F_DURATION, IN_HEALTH, "Timeout", "--health-timeout", 0, 0},
    {O_HEALTH_START, F_DURATION, IN_HEALTH, "StartPeriod", "--health-start-period", 0, 0},
    {O_READ_ONLY, F_TRUE, IN_HOST_CONFIG, "ReadonlyRootfs", NULL, 0, 0},
    {O_PRIVILEGED, F_TRUE, IN_HOST_CONFIG, "Privileged", NULL, 0, 0},
    {O_INIT, F_TRUE, IN_HOST_CONFIG, "Init", NULL, 0, 0},
    {O_CAP_ADD, F_LIST, IN_HOST_CONFIG, "CapAdd", NULL, 0, 0},
    {O_CAP_DROP, F_LIST, IN_HOST_CONFIG, "CapDrop", NULL, 0, 0},
    {O_GROUP_ADD, F_LIST, IN_HOST_CONFIG, "GroupAdd", NULL, 0, 0},
    {O_DNS, F_LIST, IN_HOST_CONFIG, "Dns", NULL, 0, 0},
    {O_DNS_SEARCH, F_LIST, IN_HOST_CONFIG, "DnsSearch", NULL, 0, 0},
    {O_DNS_OPTION, F_LIST, IN_HOST_CONFIG, "DnsOptions", NULL, 0, 0},
};

static const struct simple_flag *find_simple_flag(int c) {
  for (size_t i = 0; i < sizeof(simple_flags) / sizeof(simple_flags[0]); i++)
    if (simple_flags[i].opt == c)
      return &simple_flags[i];
  return NULL;
}

static int simple_option(hull_run_opts *o, const struct simple_flag *f, const char *v, hull_err *err) {
  json_t *obj = f->in == IN_CONFIG ? o->config : f->in == IN_HOST_CONFIG ? o->host_config : health(o->config);
  switch (f->shape) {
  case F_STRING:
    return json_object_set_new(obj, f->key, json_string(v));
  case F_LIST:
    return append_str(obj, f->key, v);
  case F_TRUE:
    return json_object_set_new(obj, f->key, json_true());
  case F_SIZE:
  case F_SIZE_OR_UNLIMITED:
    return size_flag(obj, f->key, f->flag, v, f->shape == F_SIZE_OR_UNLIMITED, err);
  case F_INT:
    return int_flag(obj, f->key, f->flag, v, f->min, f->max, err);
  case F_DURATION:
    return duration_flag(obj, f->key, f->flag, v, err);
  default:
    return 0;
  }
}

/* go-units FromHumanSize, which Docker's json-file driver uses for max-size: decimal units
 * ("10m" is 10,000,000 bytes), unlike -m's binary ones. */
static int decimal_size(const char *v, int64_t *out) {
  char *end = NULL;
  errno = 0;
  double d = strtod(v, &end);
  if (end == v || errno || d < 0 || isnan(d))
    return -1;
  static const char units[] = "kmgtp";
  double mult = 1;
  if (*end) {
    const char *u = strchr(units, tolower((unsigned char)*end));
    if (u == NULL)
      return -1;
    for (const char *k = units; k <= u; k++)
      mult *= 1000;
    end++;
    if (tolower((unsigned char)*end) == 'b')
      end++;
  }
  if (*end || d * mult > (double)INT64_MAX / 2)
    return -1;
  *out = (int64_t)(d * mult);
  return 0;
}

/* --log-opt KEY=VALUE of the json-file driver, kept as Docker shows it in
 * HostConfig.LogConfig.Config (strings); the monitor gets the parsed values at start. Any
 * other key is refused at create, as dockerd's ValidateLogOpt does, rather than ignored. */
static int log_opt_flag(json_t *hc, const char *v, hull_err *err) {
  const char *eq = strchr(v, '=');
  if (eq == NULL)
    return bad_value(err, "--log-opt", v, "invalid log opt, expected KEY=VALUE");
  cleanup_free char *key = strndup(v, (size_t)(eq - v));
  if (key == NULL)
    return hull_error(err, ENOMEM, "--log-opt");
  int64_t n;
  if (strcmp(key, "max-size") == 0) {
    if (decimal_size(eq + 1, &n) < 0 || n < 1)
      return bad_value(err, "--log-opt", v, "max-size must be a positive size, e.g. 10m");
  } else if (strcmp(key, "max-file") == 0) {
    if (hull_parse_int64(eq + 1, &n) < 0 || n < 1 || n > 1000)
      return bad_value(err, "--log-opt", v, "max-file must be a number from 1 to 1000");
  } else {
    char why[160];
    snprintf(why, sizeof(why), "unknown log opt '%s' for json-file log driver", key);
    return bad_value(err, "--log-opt", v, why);
  }
  json_t *cfg = json_object_get(json_object_get(hc, "LogConfig"), "Config");
  return json_object_set_new(cfg, key, json_string(eq + 1));
}

int hull_log_max_size(const json_t *host_config, int64_t *out) {
  const char *v = json_string_value(
      json_object_get(json_object_get(json_object_get(host_config, "LogConfig"), "Config"), "max-size"));
  *out = 0;
  return v ? decimal_size(v, out) : 0;
}

/* One option; separate from the parse loop to keep both short. */
static int one_option(hull_run_opts *o, int c, const char *v, hull_err *err) {
  json_t *cf = o->config, *hc = o->host_config;
  const struct simple_flag *f = find_simple_flag(c);
  if (f)
    return simple_option(o, f, v, err);
  switch (c) {
  case 'd':
    o->detach = true;
    return 0;
  case 'i':
    o->interactive = true;
    return 0;
  case 't':
    o->tty = true;
    return 0;
  case 'e':
    add_env(cf, v);
    return 0;
  case O_ENV_FILE:
    return env_file(cf, v, err);
  case 'l':
    return set_label(cf, v);
  case O_LABEL_FILE:
    return 0;
  case 'w':
    if (v[0] != '/')
      return bad_value(err, "-w, --workdir", v, "the working directory must be an absolute path");
    return json_object_set_new(cf, "WorkingDir", json_string(v));
  case O_ENTRYPOINT:
    o->entrypoint_set = true;
    return json_object_set_new(cf, "Entrypoint", v[0] ? json_pack("[s]", v) : json_array());
  case O_CPUS: {
    char *end = NULL;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || d < 0 || d > 1024 || isnan(d))
      return bad_value(err, "--cpus", v, "invalid syntax");
    return set_int(hc, "NanoCpus", (int64_t)llround(d * 1e9));
  }
  case O_CPUSET_CPUS:
  case O_CPUSET_MEMS:
    if (strspn(v, "0123456789,-") != strlen(v))
      return bad_value(err, c == O_CPUSET_CPUS ? "--cpuset-cpus" : "--cpuset-mems", v, "invalid list");
    return json_object_set_new(hc, c == O_CPUSET_CPUS ? "CpusetCpus" : "CpusetMems", json_string(v));
  case O_ULIMIT:
    return ulimit_flag(hc, v, err);
  case O_BLKIO_WEIGHT: {
    int64_t w;
    if (hull_parse_int64(v, &w) < 0 || (w != 0 && (w < 10 || w > 1000)))
      return bad_value(err, "--blkio-weight", v, "range of blkio weight is from 10 to 1000");
    return set_int(hc, "BlkioWeight", w);
  }
  case 'v':
    return volume_flag(hc, cf, v, err);
  case O_MOUNT:
    return mount_flag(hc, v, err);
  case O_TMPFS: {
    if (v[0] != '/')
      return bad_value(err, "--tmpfs", v, "the mount point must be absolute");
    const char *colon = strchr(v, ':');
    cleanup_free char *path = colon ? strndup(v, (size_t)(colon - v)) : strdup(v);
    return json_object_set_new(json_object_get(hc, "Tmpfs"), path, json_string(colon ? colon + 1 : ""));
  }
  case O_SECURITY_OPT:
    return security_opt(hc, v, err);
  case O_DEVICE:
    return device_flag(hc, v, err);
  case O_SYSCTL: {
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v)
      return bad_value(err, "--sysctl", v, "sysctl must be KEY=VALUE");
    cleanup_free char *k = strndup(v, (size_t)(eq - v));
    return json_object_set_new(json_object_get(hc, "Sysctls"), k, json_string(eq + 1));
  }
  case O_PID: {
    static const char *const ok[] = {"", "host", NULL};
    return namespace_flag(hc, "PidMode", "--pid", v, ok, err);
  }
  case O_IPC: {
    static const char *const ok[] = {"", "host", "private", "shareable", "none", NULL};
    return namespace_flag(hc, "IpcMode", "--ipc", v, ok, err);
  }
  case O_UTS: {
    static const char *const ok[] = {"", "host", NULL};
    return namespace_flag(hc, "UTSMode", "--uts", v, ok, err);
  }
  case O_USERNS:
    if (!hull_userns_mode_valid(v))
      return bad_value(err, "--userns", v, "invalid mode (host, auto[:size=N] or ns:PATH)");
    return json_object_set_new(hc, "UsernsMode", json_string(v));
  case O_UIDMAP:
  case O_GIDMAP: {
    hull_idmap m;
    const char *flag = c == O_UIDMAP ? "--uidmap" : "--gidmap";
    if (hull_idmap_parse(v, &m) < 0)
      return bad_value(err, flag, v, "invalid mapping (CONTAINER:HOST:SIZE, SIZE > 0)");
    json_t *arr = json_object_get(hc, c == O_UIDMAP ? "UidMaps" : "GidMaps");
    if (json_array_size(arr) >= HULL_IDMAP_MAX)
      return bad_value(err, flag, v, "too many mappings");
    return append_str(hc, c == O_UIDMAP ? "UidMaps" : "GidMaps", v);
  }
  case O_NETWORK:
    /* bridge (the default network), none, host, container:NAME or a network's name or id;
     * a name is looked up when the container is created (engine/network.c). */
    if (v[0] == '\0' || strcmp(v, "container:") == 0)
      return bad_value(err, "--network", v, "invalid mode");
    return json_object_set_new(hc, "NetworkMode", json_string(strcmp(v, "default") == 0 ? "bridge" : v));
  case 'p':
  case O_EXPOSE:
  case O_IP:
  case O_IP6:
  case O_NET_ALIAS:
  case 'P':
    return net_option(o, c, v, err);
  case O_ADD_HOST:
    if (strchr(v, ':') == NULL || v[0] == ':')
      return bad_value(err, "--add-host", v, "invalid argument (expected host:ip)");
    return append_str(hc, "ExtraHosts", v);
  case O_RESTART:
    return restart_flag(hc, v, err);
  case O_STOP_SIGNAL:
    if (hull_parse_signal(v) < 0)
      return bad_value(err, "--stop-signal", v, "invalid signal");
    return json_object_set_new(cf, "StopSignal", json_string(v));
  case O_HEALTH_CMD:
    return json_object_set_new(health(cf), "Test", json_pack("[s, s]", "CMD-SHELL", v));
  case O_NO_HEALTHCHECK:
    return json_object_set_new(health(cf), "Test", json_pack("[s]", "NONE"));
  case O_NAME:
    free(o->name);
    o->name = strdup(v);
    return 0;
  case O_RM:
    o->rm = true;
    return json_object_set_new(hc, "AutoRemove", json_true());
  case O_SIG_PROXY:
    o->no_sig_proxy = v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0);
    return 0;
  case O_DETACH_KEYS:
    free(o->detach_keys);
    o->detach_keys = strdup(v);
    return o->detach_keys ? 0 : hull_error(err, ENOMEM, "--detach-keys");
  case O_LOG_OPT:
    return log_opt_flag(hc, v, err);
  default:
    return 0;
  }
}

int hull_run_opts_parse(int argc, char **argv, hull_run_opts *o, hull_err *err) {
  init_opts(o);
  if (o->config == NULL || o->host_config == NULL)
    return hull_error(err, ENOMEM, "parse flags");
  const char *cmd = argv[0];
  parsing_cmd = cmd;
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+:dite:l:w:u:m:c:v:p:Ph", run_options, NULL)) != -1) {
    if (c == 'h') {
      o->help = true;
      return 0;
    }
    if (c == '?' || c == ':') {
      const char *bad = argv[optind - 1] ? argv[optind - 1] : "";
      hull_error_code(err, EINVAL, "%s: %s\nSee 'hull %s --help'.",
                      c == ':' ? "flag needs an argument" : "unknown flag", bad, cmd);
      (*err)->status = 125;
      return -1;
    }
    if (one_option(o, c, optarg, err) < 0) {
      if (*err == NULL)
        hull_error(err, ENOMEM, "parse flags");
      return -1;
    }
  }
  if (optind >= argc) {
    hull_error_code(err, EINVAL, "\"hull %s\" requires at least 1 argument.\nSee 'hull %s --help'.", cmd, cmd);
    (*err)->status = 1; /* Docker's client: a missing argument is no flag error (125) */
    return -1;
  }
  o->image = strdup(argv[optind++]);
  json_object_set_new(o->config, "Image", json_string(o->image));
  if (optind < argc) {
    json_t *c2 = json_array();
    for (int i = optind; i < argc; i++)
      json_array_append_new(c2, json_string(argv[i]));
    json_object_set_new(o->config, "Cmd", c2);
  }
  json_object_set_new(o->config, "Tty", json_boolean(o->tty));
  json_object_set_new(o->config, "OpenStdin", json_boolean(o->interactive));
  json_object_set_new(o->config, "AttachStdin", json_boolean(o->interactive && !o->detach));
  json_object_set_new(o->config, "StdinOnce", json_boolean(o->interactive && !o->detach));
  json_object_set_new(o->config, "AttachStdout", json_boolean(!o->detach));
  json_object_set_new(o->config, "AttachStderr", json_boolean(!o->detach));
  if (o->name && o->name[0] == '/')
    memmove(o->name, o->name + 1, strlen(o->name));
  if (o->name) {
    /* Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
    size_t n = strlen(o->name);
    bool ok = n >= 1 && isalnum((unsigned char)o->name[0]);
    for (size_t i = 1; i < n && ok; i++)
      ok = isalnum((unsigned char)o->name[i]) || strchr("_.-", o->name[i]) != NULL;
    if (!ok) {
      hull_error_code(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o->name);
      (*err)->status = 125;
      return -1;
    }
  }
  const char *userns = json_string_value(json_object_get(o->host_config, "UsernsMode")) ?: "";
  if (*userns && (json_object_get(o->host_config, "UidMaps") || json_object_get(o->host_config, "GidMaps"))) {
    hull_error_code(err, EINVAL, "--userns=%s and --uidmap/--gidmap are mutually exclusive", userns);
    (*err)->status = 125;
    return -1;
  }
  if (o->rm &&
      strcmp(json_string_value(json_object_get(json_object_get(o->host_config, "RestartPolicy"), "Name")), "no") != 0) {
    hull_error_code(err, EINVAL, "Conflicting options: --restart and --rm");
    (*err)->status = 125;
    return -1;
  }
  return 0;
}
