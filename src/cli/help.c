/* The hull command line as data: every command's usage, description and options, from which
 * `hull CMD --help`, the man pages (`hull help --man [CMD]`) and the bash completion
 * (`hull help --completion bash`) are printed, as src/runtime-cli does for hull-runtime.
 * Options are written one a line as Docker prints them ("  -a, --all   Show all ..."), so
 * one text serves the help and is parsed for the man pages and the completion.
 * tests/integration/engine-help.bats checks that every command of `hull --help` and of
 * every group has an entry, that each option listed is one its command accepts, and that
 * each option a command's getopt table accepts is listed (but those Docker hides itself). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/flags.h"
#include "hull-config.h"

// clang-format off
#define O_FORCE "  -f, --force   Do not prompt for confirmation\n"
#define O_FORMAT "      --format string   Format output using a custom template: 'json' or a Go template\n"
#define O_FORMAT_F "  -f, --format string   Format output using a custom template: 'json' or a Go template\n"
#define O_AUTHFILE "      --authfile string   Path of the authentication file (default ~/.docker/config.json)\n"
#define O_UNTIL "      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
#define O_FILTER "  -f, --filter filter   Filter output based on conditions provided\n"
#define O_QUIET "  -q, --quiet   Only display IDs\n"
#define O_NOTRUNC "      --no-trunc   Don't truncate output\n"

static const hull_help_entry entries[] = {
  {"attach", "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a running container",
   "      --detach-keys string   Override the key sequence for detaching a container\n"
   "      --no-stdin   Do not attach STDIN\n"
   "      --sig-proxy   Proxy all received signals to the process (default true)\n"},
  {"cp", "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n        hull cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
   "Copy files/folders between a container and the local filesystem",
   "  -a, --archive   Archive mode (copy all uid/gid information)\n"
   "  -L, --follow-link   Always follow symbol link in SRC_PATH\n"
   "  -q, --quiet   Suppress progress output during copy\n"},
  {"commit", "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", "Create a new image from a container's changes",
   "  -a, --author string   Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")\n"
   "  -c, --change list   Apply Dockerfile instruction to the created image\n"
   "  -m, --message string   Commit message\n"
   "  -p, --pause   Pause container during commit (default true)\n"},
  {"create", NULL, "Create a new container", NULL},
  {"diff", "CONTAINER", "Inspect changes to files or directories on a container's filesystem", ""},
  {"exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container",
   "  -d, --detach   Detached mode: run command in the background\n"
   "  -e, --env list   Set environment variables\n"
   "  -i, --interactive   Keep STDIN open even if not attached\n"
   "      --privileged   Give extended privileges to the command\n"
   "  -t, --tty   Allocate a pseudo-TTY\n"
   "  -u, --user string   Username or UID (format: \"<name|uid>[:<group|gid>]\")\n"
   "  -w, --workdir string   Working directory inside the container\n"},
  {"events", "[OPTIONS]", "Get real time events from the server",
   O_FILTER O_FORMAT
   "      --since string   Show all events created since timestamp\n"
   "      --until string   Stream events until this timestamp\n"},
  {"export", "[OPTIONS] CONTAINER", "Export a container's filesystem as a tar archive",
   "  -o, --output string   Write to a file, instead of STDOUT\n"},
  {"history", "[OPTIONS] IMAGE", "Show the history of an image",
   "  -H, --human   Print sizes and dates in human readable format (default true)\n"
   O_NOTRUNC O_FORMAT "  -q, --quiet   Only show image IDs\n"},
  {"images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images",
   "  -a, --all   Show all images\n      --digests   Show digests\n" O_FILTER O_FORMAT O_NOTRUNC O_QUIET},
  {"import", "[OPTIONS] file|- [REPOSITORY[:TAG]]", "Import the contents from a tarball to create a filesystem image",
   "  -c, --change list   Apply Dockerfile instruction to the created image\n"
   "  -m, --message string   Set commit message for imported image\n"
   "      --platform string   Set platform if server is multi-platform capable\n"},
  {"info", "[OPTIONS]", "Display system-wide information", O_FORMAT_F},
  {"inspect", "[OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on containers",
   "  -f, --format string   Format output using a custom template\n"
   "  -s, --size   Display total file sizes\n"
   "      --type string   Return JSON for specified type\n"},
  {"kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
   "  -s, --signal string   Signal to send to the container\n"},
  {"load", "[OPTIONS]", "Load an image from a tar archive",
   "  -i, --input string   Read from tar archive file, instead of STDIN\n  -q, --quiet          Suppress the load progress (the loaded images are still printed)\n"},
  {"login", "[OPTIONS] [SERVER]", "Log in to a registry",
   "      --authfile string   Path of the authentication file (default ~/.docker/config.json)\n"
   "  -p, --password string   Password\n"
   "      --password-stdin   Take the password from stdin\n"
   "      --tls-verify bool   Require HTTPS and verify certificates (default true)\n"
   "  -u, --username string   Username\n"},
  {"logout", "[OPTIONS] [SERVER]", "Log out from a registry",
   "      --authfile string   Path of the authentication file (default ~/.docker/config.json)\n"},
  {"logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container",
   "      --details   Show extra details provided to logs\n  -f, --follow   Follow log output\n"
   "      --since string   Show logs since timestamp or relative (e.g. 42m)\n"
   "  -n, --tail string   Number of lines to show from the end of the logs (default \"all\")\n"
   "  -t, --timestamps   Show timestamps\n"
   "      --until string   Show logs before a timestamp or relative (e.g. 42m)\n"},
  {"pause", "CONTAINER [CONTAINER...]", "Pause all processes within one or more containers", ""},
  {"port", "CONTAINER [PRIVATE_PORT[/PROTO]]", "List port mappings or a specific mapping for the container", ""},
  {"ps", "[OPTIONS]", "List containers",
   "  -a, --all   Show all containers (default shows just running)\n" O_FILTER O_FORMAT
   "  -n, --last int   Show n last created containers (includes all states)\n"
   "  -l, --latest   Show the latest created container (includes all states)\n" O_NOTRUNC O_QUIET
   "  -s, --size   Display total file sizes\n"},
  {"pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry",
   "  -a, --all-tags   Download all tagged images in the repository\n" O_AUTHFILE
   "      --platform string   Set platform if server is multi-platform capable\n"
   "  -q, --quiet   Suppress verbose output\n"
   "      --tls-verify bool   Require HTTPS and verify certificates (default true)\n"},
  {"push", "[OPTIONS] NAME[:TAG]", "Upload an image to a registry",
   "  -a, --all-tags   Push all tags of an image to the repository\n" O_AUTHFILE "  -q, --quiet   Suppress verbose output\n"
   "      --tls-verify bool   Require HTTPS and verify certificates (default true)\n"},
  {"rename", "CONTAINER NEW_NAME", "Rename a container", ""},
  {"restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
   "  -s, --signal string   Signal to send to the container\n"
   "  -t, --timeout int   Seconds to wait before killing the container\n"
   "      --time int   The same (its older name)\n"},
  {"rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
   "  -f, --force   Force the removal of a running container (uses SIGKILL)\n"
   "  -l, --link   Remove the specified link\n"
   "  -v, --volumes   Remove anonymous volumes associated with the container\n"},
  {"rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images",
   "  -f, --force   Force removal of the image\n      --no-prune   Do not delete untagged parents\n"},
  {"run", NULL, "Create and run a new container from an image", NULL},
  {"save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive (streamed to STDOUT by default)",
   "  -o, --output string   Write to a file, instead of STDOUT\n"
   "      --format string   docker (default) or oci\n"},
  {"start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
   "  -a, --attach   Attach STDOUT/STDERR and forward signals\n  -i, --interactive   Attach container's STDIN\n"},
  {"stats", "[OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage statistics",
   "  -a, --all   Show all containers (default shows just running)\n" O_FORMAT
   "      --no-stream   Disable streaming stats and only pull the first result\n" O_NOTRUNC},
  {"stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
   "  -s, --signal string   Signal to send to the container\n"
   "  -t, --timeout int   Seconds to wait before killing the container\n"
   "      --time int   The same (its older name)\n"},
  {"tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", ""},
  {"unpause", "CONTAINER [CONTAINER...]", "Unpause all processes within one or more containers", ""},
  {"update", "[OPTIONS] CONTAINER [CONTAINER...]", "Update configuration of one or more containers",
   "      --blkio-weight uint16   Block IO (relative weight), between 10 and 1000, or 0 to disable\n"
   "  -c, --cpu-shares int   CPU shares (relative weight)\n"
   "      --cpu-period int   Limit CPU CFS (Completely Fair Scheduler) period\n"
   "      --cpu-quota int   Limit CPU CFS (Completely Fair Scheduler) quota\n"
   "      --cpus decimal   Number of CPUs\n"
   "      --cpuset-cpus string   CPUs in which to allow execution (0-3, 0,1)\n"
   "      --cpuset-mems string   MEMs in which to allow execution (0-3, 0,1)\n"
   "  -m, --memory bytes   Memory limit\n"
   "      --memory-reservation bytes   Memory soft limit\n"
   "      --memory-swap bytes   Swap limit equal to memory plus swap: -1 to enable unlimited swap\n"
   "      --pids-limit int   Tune container pids limit (set -1 for unlimited)\n"
   "      --restart string   Restart policy to apply when a container exits\n"},
  {"version", "[OPTIONS]", "Show the hull version information", O_FORMAT_F},
  {"wait", "CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes", ""},
  {"container prune", "[OPTIONS]", "Remove all stopped containers", O_UNTIL O_FORCE},
  {"image prune", "[OPTIONS]", "Remove unused images",
   "  -a, --all   Remove all unused images, not just dangling ones\n" O_UNTIL O_FORCE},
  {"image inspect", "[OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images",
   "  -f, --format string   Format output using a custom template\n"},
  {"network connect", "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network",
   "      --alias strings   Add network-scoped alias for the container\n"
   "      --ip string   IPv4 address (e.g., 172.30.100.104)\n"
   "      --ip6 string  IPv6 address (e.g., 2001:db8::33)\n"},
  {"network create", "[OPTIONS] NETWORK", "Create a network",
   "  -d, --driver string   Driver to manage the Network (default \"bridge\", the only one)\n"
   "      --gateway strings   IPv4 or IPv6 Gateway for the master subnet\n"
   "      --internal   Restrict external access to the network\n"
   "      --ip-range strings   Allocate container ip from a sub-range\n"
   "      --ipv6   Enable IPv6 networking (accepted; an IPv6 --subnet enables it)\n"
   "      --label list   Set metadata on a network\n"
   "  -o, --opt map   Set driver specific options (mtu, bridge name)\n"
   "      --subnet strings   Subnet in CIDR format that represents a network segment\n"},
  {"network disconnect", "[OPTIONS] NETWORK CONTAINER", "Disconnect a container from a network",
   "  -f, --force   Force the container to disconnect (accepted; hull always disconnects)\n"},
  {"network inspect", "[OPTIONS] NETWORK [NETWORK...]", "Display detailed information on one or more networks",
   "  -f, --format string   Format output using a custom template\n"},
  {"network ls", "[OPTIONS]", "List networks",
   "  -f, --filter filter   Provide filter values (name, id, driver, label, scope, type, dangling)\n" O_FORMAT
   "      --no-trunc   Do not truncate the output\n"
   "  -q, --quiet   Only display network IDs\n"},
  {"network prune", "[OPTIONS]", "Remove all unused networks", O_UNTIL O_FORCE},
  {"network rm", "[OPTIONS] NETWORK [NETWORK...]", "Remove one or more networks",
   "  -f, --force   Do not error if the network does not exist\n"},
  {"system df", "[OPTIONS]", "Show disk usage", "  -v, --verbose   Show detailed information on space usage\n"},
  {"system check", "[OPTIONS]", "Check the store's consistency",
   "  -r, --repair   Remove what is inconsistent\n      --quick   Check the database only\n"},
  {"system prune", "[OPTIONS]", "Remove unused data",
   "  -a, --all   Remove all unused images not just dangling ones\n"
   "      --filter filter   Provide filter values (e.g. \"label=<key>=<value>\")\n" O_FORCE
   "      --volumes   Prune anonymous volumes\n"},
  {"top", "CONTAINER [ps OPTIONS]", "Display the running processes of a container", ""},
  {"volume create", "[OPTIONS] [VOLUME]", "Create a volume",
   "  -d, --driver string   Specify volume driver name (default \"local\")\n"
   "      --label list   Set metadata for a volume\n"
   "  -o, --opt map   Set driver specific options (the local driver of hull takes none)\n"},
  {"volume inspect", "[OPTIONS] VOLUME [VOLUME...]", "Display detailed information on one or more volumes",
   "  -f, --format string   Format output using a custom template\n"},
  {"volume ls", "[OPTIONS]", "List volumes",
   "  -f, --filter filter   Provide filter values (e.g. \"dangling=true\")\n" O_FORMAT
   "  -q, --quiet   Only display volume names\n"},
  {"volume prune", "[OPTIONS]", "Remove unused local volumes",
   "  -a, --all   Remove all unused volumes, not just anonymous ones\n"
   "      --filter filter   Provide filter values (e.g. \"label=<label>\")\n" O_FORCE},
  {"volume rm", "[OPTIONS] VOLUME [VOLUME...]", "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
   "  -f, --force   Force the removal of one or more volumes\n"},
  {NULL, NULL, NULL, NULL},
};
// clang-format on

/* Group subcommands that are another command under a second name. */
static const struct {
  const char *path, *same_as;
} aliases[] = {
    {"container commit", "commit"},
    {"container attach", "attach"},
    {"container cp", "cp"},
    {"container diff", "diff"},
    {"container export", "export"},
    {"container top", "top"},
    {"container create", "create"},
    {"container exec", "exec"},
    {"container inspect", "inspect"},
    {"container kill", "kill"},
    {"container logs", "logs"},
    {"container ls", "ps"},
    {"container list", "ps"},
    {"container ps", "ps"},
    {"container pause", "pause"},
    {"container port", "port"},
    {"container rename", "rename"},
    {"container restart", "restart"},
    {"container rm", "rm"},
    {"container run", "run"},
    {"container start", "start"},
    {"container stats", "stats"},
    {"container stop", "stop"},
    {"container unpause", "unpause"},
    {"container update", "update"},
    {"container wait", "wait"},
    {"image ls", "images"},
    {"image list", "images"},
    {"image history", "history"},
    {"image rm", "rmi"},
    {"image tag", "tag"},
    {"image load", "load"},
    {"image save", "save"},
    {"image import", "import"},
    {"image pull", "pull"},
    {"image push", "push"},
    {"network list", "network ls"},
    {"network remove", "network rm"},
    {"system events", "events"},
    {"system info", "info"},
    {"volume list", "volume ls"},
    {"volume remove", "volume rm"},
    {NULL, NULL},
};

const hull_help_entry *hull_help_entries(void) { return entries; }

const hull_help_entry *hull_help_find(const char *path) {
  for (size_t i = 0; aliases[i].path; i++)
    if (strcmp(aliases[i].path, path) == 0)
      path = aliases[i].same_as;
  for (const hull_help_entry *e = entries; e->name; e++)
    if (strcmp(e->name, path) == 0)
      return e;
  return NULL;
}

/* run and create share flags.c's text (its getopt table's companion). */
static const char *usage_args(const hull_help_entry *e) {
  if (e->args)
    return e->args;
  static char args[64];
  const char *u = hull_run_usage();
  snprintf(args, sizeof(args), "%.*s", (int)strcspn(u, "\n"), u);
  return args;
}

static const char *options_text(const hull_help_entry *e) {
  if (e->options)
    return e->options;
  const char *o = strstr(hull_run_usage(), "Options:\n");
  return o ? o + 9 : "";
}

/* One option line parsed: "  -a, --all string   Help". */
typedef struct opt_line {
  char shrt;
  char lng[40], arg[24];
  const char *help;
  size_t help_len;
} opt_line;

static const char *parse_opt(const char *p, opt_line *o) {
  memset(o, 0, sizeof(*o));
  const char *end = strchr(p, '\n');
  if (end == NULL)
    end = p + strlen(p);
  const char *q = p;
  while (*q == ' ')
    q++;
  if (q[0] == '-' && q[1] != '-') {
    o->shrt = q[1];
    q += 4; /* "-a, " */
  }
  if (q[0] == '-' && q[1] == '-') {
    q += 2;
    size_t n = strcspn(q, " \n");
    snprintf(o->lng, sizeof(o->lng), "%.*s", (int)n, q);
    q += n;
    if (q[0] == ' ' && q[1] != ' ' && q < end) {
      q++;
      n = strcspn(q, " \n");
      snprintf(o->arg, sizeof(o->arg), "%.*s", (int)n, q);
      q += n;
    }
  }
  while (*q == ' ')
    q++;
  o->help = q;
  o->help_len = q < end ? (size_t)(end - q) : 0;
  return *end ? end + 1 : end;
}

void hull_help_print(FILE *f, const hull_help_entry *e) {
  fprintf(f, "\nUsage:  hull %s %s\n\n%s\n", e->name, usage_args(e), e->desc);
  const char *opts = options_text(e);
  if (*opts == '\0')
    return;
  /* Aligned as Docker's: the option column as wide as its longest entry. */
  size_t width = 0;
  for (const char *p = opts; *p;) {
    opt_line o;
    p = parse_opt(p, &o);
    size_t w = strlen(o.lng) + (o.arg[0] ? strlen(o.arg) + 1 : 0);
    if (w > width)
      width = w;
  }
  fprintf(f, "\nOptions:\n");
  for (const char *p = opts; *p;) {
    opt_line o;
    p = parse_opt(p, &o);
    char col[80];
    snprintf(col, sizeof(col), "%s%s%s", o.lng, o.arg[0] ? " " : "", o.arg);
    if (o.shrt)
      fprintf(f, "  -%c, --%-*s   %.*s\n", o.shrt, (int)width, col, (int)o.help_len, o.help);
    else
      fprintf(f, "      --%-*s   %.*s\n", (int)width, col, (int)o.help_len, o.help);
  }
}

static void roff(FILE *f, const char *s, size_t n) {
  for (size_t i = 0; i < n && s[i]; i++) {
    if (s[i] == '\\')
      fputs("\\e", f);
    else if (s[i] == '-')
      fputs("\\-", f);
    else if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\''))
      fprintf(f, "\\&%c", s[i]);
    else
      fputc(s[i], f);
  }
}

static void man_page(FILE *f, const hull_help_entry *e) {
  char title[64];
  snprintf(title, sizeof(title), "hull-%s", e->name);
  for (char *p = title; *p; p++)
    *p = *p == ' ' ? '-' : (char)toupper((unsigned char)*p);
  fprintf(f, ".TH %s 1 \"\" \"hull %s\" \"hull Manual\"\n.SH NAME\n", title, HULL_VERSION);
  fputs("hull\\-", f);
  for (const char *p = e->name; *p; p++)
    fputs(*p == ' ' ? "\\-" : (char[]){*p, 0}, f);
  fputs(" \\- ", f);
  roff(f, e->desc, strlen(e->desc));
  fprintf(f, "\n.SH SYNOPSIS\n.B hull %s\n", e->name);
  roff(f, usage_args(e), strlen(usage_args(e)));
  fputs("\n.SH DESCRIPTION\n", f);
  roff(f, e->desc, strlen(e->desc));
  fputs(".\n", f);
  const char *opts = options_text(e);
  if (*opts)
    fputs(".SH OPTIONS\n", f);
  for (const char *p = opts; *p;) {
    opt_line o;
    p = parse_opt(p, &o);
    fputs(".TP\n", f);
    if (o.shrt)
      fprintf(f, "\\fB\\-%c\\fR, ", o.shrt);
    fputs("\\fB\\-\\-", f);
    roff(f, o.lng, strlen(o.lng));
    fputs("\\fR", f);
    if (o.arg[0])
      fprintf(f, " \\fI%s\\fR", o.arg);
    fputc('\n', f);
    roff(f, o.help, o.help_len);
    fputc('\n', f);
  }
  fputs(".SH SEE ALSO\n\\fBhull\\fR(1)\n", f);
}

static void man_main(FILE *f) {
  fprintf(f,
          ".TH HULL 1 \"\" \"hull %s\" \"hull Manual\"\n.SH NAME\nhull \\- a daemonless container engine\n"
          ".SH SYNOPSIS\n.B hull\n[\\fB\\-\\-root\\fR \\fIDIR\\fR] [\\fB\\-\\-runroot\\fR \\fIDIR\\fR] "
          "[\\fB\\-\\-log\\-level\\fR \\fILEVEL\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]\n"
          ".SH DESCRIPTION\nhull runs and manages containers with Docker's commands, flags, output and exit "
          "codes, without a daemon. Defaults for the global flags come from /etc/hull/hull.conf (or the file "
          "$HULL_CONFIG names): root, runroot, log\\-level and cgroup\\-driver, one \"key = value\" a line.\n"
          ".SH COMMANDS\n",
          HULL_VERSION);
  for (const hull_help_entry *e = entries; e->name; e++) {
    fputs(".TP\n\\fBhull\\-", f);
    for (const char *p = e->name; *p; p++)
      fputs(*p == ' ' ? "\\-" : (char[]){*p, 0}, f);
    fputs("\\fR(1)\n", f);
    roff(f, e->desc, strlen(e->desc));
    fputc('\n', f);
  }
}

/* A bash completion: commands, group subcommands, then the command's options. */
static void completion(FILE *f) {
  fputs("# bash completion for hull, generated by `hull help --completion bash`\n_hull() {\n"
        "  local cur=${COMP_WORDS[COMP_CWORD]} i w cmd= sub=\n"
        "  for ((i = 1; i < COMP_CWORD; i++)); do\n    w=${COMP_WORDS[i]}\n"
        "    case $w in --root|--runroot|--log-level) ((i++)); continue ;; -*) continue ;; esac\n"
        "    if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub && $cmd =~ ^(container|image|network|system|volume)$ ]]; "
        "then "
        "sub=$w; fi\n  done\n  local key=$cmd${sub:+ $sub} words=\n  case $key in\n",
        f);
  fputs("  '') words='--root --runroot --log-level --debug --help --version container image network system volume help",
        f);
  for (const hull_help_entry *e = entries; e->name; e++)
    if (strchr(e->name, ' ') == NULL)
      fprintf(f, " %s", e->name);
  fputs("' ;;\n", f);
  static const char *const groups[] = {"container", "image", "network", "system", "volume"};
  for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
    fprintf(f, "  %s) words='--help", groups[g]);
    size_t gl = strlen(groups[g]);
    for (const hull_help_entry *e = entries; e->name; e++)
      if (strncmp(e->name, groups[g], gl) == 0 && e->name[gl] == ' ')
        fprintf(f, " %s", e->name + gl + 1);
    for (size_t i = 0; aliases[i].path; i++)
      if (strncmp(aliases[i].path, groups[g], gl) == 0 && aliases[i].path[gl] == ' ')
        fprintf(f, " %s", aliases[i].path + gl + 1);
    fputs("' ;;\n", f);
  }
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; pass == 0 ? entries[i].name != NULL : aliases[i].path != NULL; i++) {
      const hull_help_entry *e = pass == 0 ? &entries[i] : hull_help_find(aliases[i].path);
      if (e == NULL)
        continue;
      fprintf(f, "  '%s') words='--help", pass == 0 ? e->name : aliases[i].path);
      for (const char *p = options_text(e); *p;) {
        opt_line o;
        p = parse_opt(p, &o);
        if (o.shrt)
          fprintf(f, " -%c", o.shrt);
        if (o.lng[0])
          fprintf(f, " --%s", o.lng);
      }
      fputs("' ;;\n", f);
    }
  }
  fputs("  esac\n  if [[ $cur != -* && -n $cmd && $key != container && $key != image && $key != network && "
        "$key != system && $key != volume ]]; then\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n    return\n  fi\n"
        "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}\ncomplete -F _hull hull\n",
        f);
}

/* `hull help --list`: every command path and its options, one "PATH<TAB>--LONG<TAB>ARG" a
 * line (ARG empty for a switch), for the tests that check the table against the commands. */
static void list_all(FILE *f) {
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; pass == 0 ? entries[i].name != NULL : aliases[i].path != NULL; i++) {
      const char *path = pass == 0 ? entries[i].name : aliases[i].path;
      const hull_help_entry *e = hull_help_find(path);
      fprintf(f, "%s\t\t\n", path);
      for (const char *p = options_text(e); *p;) {
        opt_line o;
        p = parse_opt(p, &o);
        if (o.lng[0])
          fprintf(f, "%s\t--%s\t%s\n", path, o.lng, o.arg);
      }
    }
}

int cmd_help(hull_cli *g, int argc, char **argv, hull_err *err) {
  (void)g;
  if (argc == 2 && strcmp(argv[1], "--list") == 0) {
    list_all(stdout);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "--completion") == 0) {
    if (argc != 3 || strcmp(argv[2], "bash") != 0)
      return hull_usage_error(err, "help", "--completion takes one shell: bash");
    completion(stdout);
    return 0;
  }
  bool man = argc >= 2 && strcmp(argv[1], "--man") == 0;
  int first = man ? 2 : 1;
  if (argc == first) {
    if (man)
      man_main(stdout);
    else
      hull_main_usage(stdout);
    return 0;
  }
  char path[64] = "";
  for (int i = first; i < argc; i++)
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s%s", i > first ? " " : "", argv[i]);
  const hull_help_entry *e = hull_help_find(path);
  if (e == NULL)
    return hull_usage_error(err, "help", "unknown help topic \"%s\"", path);
  if (man)
    man_page(stdout, e);
  else
    hull_help_print(stdout, e);
  return 0;
}
