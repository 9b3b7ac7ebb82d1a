/* The command line as data: every command, its options and its help text. --help, the man
 * pages (`hull-runtime help --man`) and the bash completion (`help --completion bash`) are
 * printed from these tables, and cli_getopt builds each command's getopt loop from them. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Options shared by several commands, one per line. */
// clang-format off
#define END {NULL, 0, NULL, NULL}

#define BUNDLE {"bundle", 'b', "DIR", "The bundle directory (config.json and the root file system); default: the current directory."}
#define CONFIG {"config", 'f', "FILE", "Read the configuration from FILE instead of BUNDLE/config.json (as crun); a relative FILE is taken from the current directory."}
#define CONSOLE {"console-socket", OPT_CONSOLE, "SOCKET", "An AF_UNIX socket that receives the pseudo-terminal's master end (SCM_RIGHTS) when process.terminal is true."}
#define PID_FILE {"pid-file", OPT_PID_FILE, "FILE", "Write the container process's host pid to FILE."}
#define NO_PIVOT {"no-pivot", OPT_NO_PIVOT, NULL, "Do not use pivot_root (for a root file system on a ramdisk): move the rootfs onto / and chroot."}
#define NO_KEYRING {"no-new-keyring", OPT_NO_KEYRING, NULL, "Do not create a new session keyring: the container keeps the caller's."}
#define PRESERVE {"preserve-fds", OPT_PRESERVE, "N", "Pass N file descriptors after stdio (3 to 3+N-1) to the process; default 0."}
#define NO_SUBREAPER {"no-subreaper", OPT_NO_SUBREAPER, NULL, "Accepted for compatibility: hull-runtime never makes itself a child subreaper, so there is nothing to disable."}
// clang-format on

static const struct cli_opt create_opts[] = {BUNDLE,     CONFIG,   CONSOLE,      PID_FILE, NO_PIVOT,
                                             NO_KEYRING, PRESERVE, NO_SUBREAPER, END};
static const struct cli_opt run_opts[] = {
    BUNDLE,
    CONFIG,
    CONSOLE,
    {"detach", 'd', NULL, "Return once the container runs, instead of waiting for it and passing on its exit status."},
    {"keep", OPT_KEEP, NULL, "Do not delete the container when it exits (foreground run only)."},
    PID_FILE,
    NO_PIVOT,
    NO_KEYRING,
    PRESERVE,
    NO_SUBREAPER,
    END};
static const struct cli_opt kill_opts[] = {
    {"all", 'a', NULL, "Send the signal to every process of the container (through its cgroup), not only the init."},
    {"regex", 'r', NULL,
     "ID is an extended regular expression: signal every container whose whole id matches (as crun)."},
    END};
static const struct cli_opt delete_opts[] = {
    {"force", 'f', NULL,
     "Delete a running container too: kill every process of it with SIGKILL first. A container that does not exist is "
     "not an error."},
    {"regex", 'r', NULL,
     "ID is an extended regular expression: delete every container whose whole id matches (as crun)."},
    END};
static const struct cli_opt list_opts[] = {
    {"format", 'f', "FORMAT", "table (default) or json."}, {"quiet", 'q', NULL, "Print only the container ids."}, END};
static const struct cli_opt ps_opts[] = {{"format", 'f', "FORMAT",
                                          "table (default: runs ps(1) with PS_ARGS, default -ef, and keeps the "
                                          "container's lines) or json (an array of host pids)."},
                                         END};
static const struct cli_opt exec_opts[] = {
    {"process", 'p', "FILE",
     "A process JSON (the \"process\" object of config.json) that describes the whole process; the flags below then "
     "change it."},
    {"detach", 'd', NULL, "Return once the process runs."},
    {"tty", 't', NULL, "Allocate a pseudo-terminal."},
    CONSOLE,
    PID_FILE,
    {"cwd", OPT_CWD, "DIR", "The working directory in the container."},
    {"env", 'e', "NAME=VALUE", "Add an environment variable (repeatable)."},
    {"user", 'u', "UID[:GID]", "Run as this numeric user and group."},
    {"additional-gids", 'g', "GID[,GID...]", "Supplementary groups (repeatable)."},
    {"cap", 'c', "CAP", "Add a capability (CAP_NET_ADMIN) to every set of the process (repeatable)."},
    PRESERVE,
    {"no-new-privs", OPT_NNP, NULL, "Set no_new_privs for the process."},
    {"cgroup", OPT_CGROUP, "[CONTROLLER[,...]:]PATH",
     "Run the process in an existing sub-cgroup PATH of the container's cgroup (as runc): in every hierarchy, or with "
     "CONTROLLERs in the cgroup v1 hierarchies carrying them (repeatable)."},
    {"ignore-paused", OPT_IGNORE_PAUSED, NULL,
     "Allow exec into a paused container: the process starts once the container is resumed, and exec waits until "
     "then (as runc)."},
    {"apparmor", OPT_APPARMOR, "PROFILE",
     "The AppArmor profile of the process (overrides process.apparmorProfile; refused where the host has no "
     "AppArmor, as runc)."},
    {"process-label", OPT_LABEL, "LABEL",
     "The SELinux label of the process (overrides process.selinuxLabel; refused where the host has no SELinux, "
     "as runc)."},
    END};
static const struct cli_opt update_opts[] = {
    {"resources", 'r', "FILE",
     "A JSON file with an OCI linux.resources object, or - for the standard input; flags given as well override its "
     "values."},
    {"memory", OPT_MEMORY, "BYTES", "Memory limit (\"64m\", -1 for none)."},
    {"memory-reservation", OPT_MEMORY_RES, "BYTES", "Memory reservation (soft limit)."},
    {"memory-swap", OPT_MEMORY_SWAP, "BYTES", "Memory plus swap limit; -1 for unlimited swap."},
    {"kernel-memory", OPT_KERNEL, "BYTES", "Kernel memory limit (cgroup v1 only; deprecated by the kernel)."},
    {"kernel-memory-tcp", OPT_KERNEL_TCP, "BYTES", "Kernel TCP buffer memory limit (cgroup v1 only)."},
    {"cpu-share", OPT_CPU_SHARES, "N", "CPU shares (relative weight; converted to cpu.weight on cgroup v2)."},
    {"cpu-shares", OPT_CPU_SHARES, "N", "The same as --cpu-share."},
    {"cpu-quota", OPT_CPU_QUOTA, "USEC", "CFS quota: CPU time allowed per period, -1 for none."},
    {"cpu-period", OPT_CPU_PERIOD, "USEC", "CFS period."},
    {"cpu-rt-runtime", OPT_CPU_RT_RUNTIME, "USEC", "Real-time runtime per period (cgroup v1)."},
    {"cpu-rt-period", OPT_CPU_RT_PERIOD, "USEC", "Real-time period (cgroup v1)."},
    {"cpuset-cpus", OPT_CPUSET_CPUS, "LIST", "CPUs to run on (\"0-2,4\")."},
    {"cpuset-mems", OPT_CPUSET_MEMS, "LIST", "Memory nodes to allocate from."},
    {"pids-limit", OPT_PIDS, "N", "Maximum number of tasks, -1 for none."},
    {"blkio-weight", OPT_BLKIO_WEIGHT, "N", "Block I/O weight, 10 to 1000."},
    {"l3-cache-schema", OPT_L3, "SCHEMA",
     "Intel RDT L3 cache schema. Refused: hull-runtime does not support Intel RDT."},
    {"mem-bw-schema", OPT_MEM_BW, "SCHEMA",
     "Intel RDT memory bandwidth schema. Refused: hull-runtime does not support Intel RDT."},
    END};
static const struct cli_opt events_opts[] = {
    {"stats", OPT_STATS, NULL, "Print one stats line and exit."},
    {"interval", OPT_INTERVAL, "DURATION",
     "Time between two stats lines, a Go duration (\"5s\", \"500ms\"); default 5s."},
    END};
static const struct cli_opt spec_opts[] = {
    {"bundle", 'b', "DIR", "Write DIR/config.json instead of ./config.json."},
    {"file", 'f', "FILE", "Write FILE instead of BUNDLE/config.json (as crun); - for the standard output."},
    {"rootless", OPT_ROOTLESS, NULL,
     "A configuration for a user namespace that maps root to the caller, without a network namespace or cgroup "
     "limits."},
    END};

const struct cli_opt cli_global_opts[] = {
    {"root", 0, "DIR", "The state directory; default /run/hull-runtime."},
    {"log", 0, "FILE", "Append log messages to FILE instead of writing them to the standard error."},
    {"log-format", 0, "FORMAT", "text (default) or json (one object per line with level, msg and time)."},
    {"log-level", 0, "LEVEL", "debug, info, warning (default) or error: the least severe messages written (as crun)."},
    {"debug", 0, NULL, "Log debug messages too (the same as --log-level debug)."},
    {"cgroup-manager", 0, "MANAGER",
     "cgroupfs (default) or systemd (a transient systemd scope per container, created over D-Bus; needs systemd as "
     "PID 1 and pure cgroup v2); disabled is refused."},
    {"systemd-cgroup", 0, NULL, "The same as --cgroup-manager systemd."},
    {"rootless", 0, "VALUE", "auto (default) or false; true is refused, hull-runtime has no rootless mode yet."},
    {"criu", 0, "PATH", "runc's path to criu. Refused: checkpoint and restore are not implemented."},
    {"version", 'v', NULL, "Print the version, the commit and the OCI spec version."},
    {"help", 'h', NULL, "Print this help."},
    END};

#define ID_TEXT "ID is the container's id: unique under the state directory, made of letters, digits and \"_+-.\"."

const struct cli_command cli_commands[] = {
    {"create", cmd_create, "ID", "create a container",
     "Create the container ID from a bundle: its namespaces, cgroup, mounts and root file system are set up and "
     "its process waits, before executing the user's program, for `start`.\n\n" ID_TEXT
     "\n\nThe process's standard input, output and error are those of hull-runtime (or, with process.terminal, a "
     "pseudo-terminal passed to --console-socket). Exit status 0 once the container is created.",
     create_opts, true},
    {"start", cmd_start, "ID", "start a created container",
     "Run the user's program in the created container ID (its process executes process.args).", NULL},
    {"run", cmd_run, "ID", "create and start a container",
     "Create and start the container ID. Without --detach, hull-runtime waits for the container's process, "
     "passes on signals to it, deletes the container when it exits (unless --keep) and exits with its status "
     "(128+N when killed by signal N).",
     run_opts, true, true},
    {"state", cmd_state, "ID", "output the state of a container",
     "Print the OCI state of the container ID as JSON: ociVersion, id, pid, status (creating, created, running, "
     "paused or stopped), bundle, rootfs, created, owner and annotations.",
     NULL},
    {"kill", cmd_kill, "ID [SIGNAL]", "send a signal to the container's init process",
     "Send SIGNAL (default SIGTERM; a name as KILL or SIGKILL, or a number) to the process of the container ID.",
     kill_opts},
    {"delete", cmd_delete, "ID...", "delete a container",
     "Delete the stopped containers named: their cgroups, mounts and state; the poststop hooks run.", delete_opts},
    {"list", cmd_list, "", "list containers",
     "List the containers under the state directory: ID, PID, STATUS, BUNDLE, CREATED and OWNER columns as "
     "runc prints them, or a JSON array with --format json.",
     list_opts},
    {"ps", cmd_ps, "ID [PS_ARGS...]", "list processes of a container",
     "Show the processes of the container ID (every process in its cgroup).", ps_opts},
    {"exec", cmd_exec, "ID [COMMAND [ARG...]]", "run a process in a running container",
     "Run a new process in the namespaces, cgroup and security context of the running container ID: COMMAND "
     "with ARGs, or the process described by --process. Exits with the process's status, as run does; when "
     "the process cannot be started the status is 255 (as runc).",
     exec_opts, true},
    {"pause", cmd_pause, "ID", "suspend every process of a container",
     "Freeze every process of the container ID through the cgroup freezer.", NULL},
    {"resume", cmd_resume, "ID", "resume a paused container", "Thaw the processes of the paused container ID.", NULL},
    {"update", cmd_update, "ID", "update the resource limits of a container",
     "Change the resource limits of the running container ID: the values given with the flags, or an OCI "
     "linux.resources object read with --resources.",
     update_opts},
    {"events", cmd_events, "ID", "display container events (stats, OOM) as JSON lines",
     "Print events of the running container ID as JSON lines until it stops: {\"type\":\"stats\",...} every "
     "--interval and {\"type\":\"oom\"} when the kernel's OOM killer kills one of its processes. With --stats, "
     "print one stats line (cpu, memory, pids, blkio, hugetlb in runc's shape) and exit.",
     events_opts},
    {"spec", cmd_spec, "", "write a default config.json",
     "Write a default configuration (process sh with a terminal, the usual namespaces, mounts, masked paths and "
     "capabilities) for a root file system in ./rootfs. Refuses to overwrite an existing file.",
     spec_opts},
    {"features", cmd_features, "", "show the features of this runtime",
     "Print what this runtime supports (OCI versions, hooks, mount options, namespaces, capabilities, cgroup "
     "drivers, seccomp actions) as the JSON of the runtime-spec's features document.",
     NULL},
    {"help", cmd_help, "[COMMAND]", "show the help of hull-runtime or of a command",
     "Print the help of COMMAND, or of hull-runtime. `help --man [COMMAND]` prints a man page (roff) and `help "
     "--completion bash` the bash completion script; `make install` installs both.",
     NULL},
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct cli_command *cli_command_find(const char *name) {
  for (size_t i = 0; i < cli_ncommands; i++)
    if (strcmp(cli_commands[i].name, name) == 0)
      return &cli_commands[i];
  return NULL;
}
