/* hull login, hull logout: Docker's flags, prompts, messages and exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "image/auth.h"
#include "image/registry.h"

#define MAX_SECRET 4096

/* Secrets are wiped before their memory is freed. */
static void clear_freep(char **p) {
  if (*p)
    explicit_bzero(*p, strlen(*p));
  free(*p);
}
#define cleanup_secret __attribute__((cleanup(clear_freep)))

/* One line from stdin without its line break; echo off for a password on a terminal. */
static char *read_line(const char *prompt, bool secret, hull_err *err) {
  struct termios old, quiet;
  bool restore = false;
  fputs(prompt, stdout);
  fflush(stdout);
  if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (restore) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputs("\n", stdout);
  }
  if (n < 0) {
    free(line);
    hull_error(err, EINVAL, "no input");
    return NULL;
  }
  line[strcspn(line, "\r\n")] = '\0';
  return line;
}

/* --password-stdin: all of stdin, less the trailing line break (Docker's rule). */
static char *read_stdin_secret(hull_err *err) {
  char *buf = calloc(1, MAX_SECRET + 1);
  if (buf == NULL) {
    hull_error(err, ENOMEM, "password");
    return NULL;
  }
  size_t len = 0;
  ssize_t n;
  while (len < MAX_SECRET && (n = read(STDIN_FILENO, buf + len, MAX_SECRET - len)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      free(buf);
      hull_error_sys(err, "read password from stdin");
      return NULL;
    }
    len += (size_t)n;
  }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    buf[--len] = '\0';
  return buf;
}

typedef struct login_args {
  char *user, *pass;
  const char *authfile;
  bool password_stdin, insecure;
  const char *server;
} login_args;

static int parse_login(int argc, char **argv, login_args *a, hull_err *err) {
  static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
                                       {"password", required_argument, NULL, 'p'},
                                       {"password-stdin", no_argument, NULL, 's'},
                                       {"authfile", required_argument, NULL, 'A'},
                                       {"tls-verify", required_argument, NULL, 't'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":u:p:h", opts, NULL)) != -1) {
    if (c == 'u') {
      free(a->user);
      a->user = strdup(optarg);
    } else if (c == 'p') {
      clear_freep(&a->pass);
      a->pass = strdup(optarg);
      /* Out of `ps`: the argument's copy in this process's memory is wiped. */
      explicit_bzero(optarg, strlen(optarg));
    } else if (c == 's') {
      a->password_stdin = true;
    } else if (c == 'A') {
      a->authfile = optarg;
    } else if (c == 't') {
      if (hull_cli_tls_verify("login", optarg, &a->insecure, err) < 0)
        return -1;
    } else {
      int r = hull_cli_common_opt(c, "login", "login [OPTIONS] [SERVER]", argv, err);
      if (r != 0)
        return r;
    }
  }
  if (argc - optind > 1)
    return hull_args_error(err, "login", "\"hull login\" requires at most 1 argument.");
  a->server = optind < argc ? argv[optind] : "docker.io";
  if (a->pass && a->password_stdin)
    return hull_usage_error(err, "login", "--password and --password-stdin are mutually exclusive");
  if (a->password_stdin && a->user == NULL)
    return hull_usage_error(err, "login", "Must provide --username with --password-stdin");
  return 0;
}

/* The user name and password: from the flags, stdin, or prompts on a terminal. */
static int get_secret(login_args *a, hull_err *err) {
  if (a->pass) {
    fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  } else if (a->password_stdin) {
    a->pass = read_stdin_secret(err);
    if (a->pass == NULL)
      return -1;
  }
  if ((a->user == NULL || a->pass == NULL) && !isatty(STDIN_FILENO))
    return hull_error(err, ENOTTY, "Cannot perform an interactive login from a non TTY device");
  if (a->user == NULL && (a->user = read_line("Username: ", false, err)) == NULL)
    return -1;
  if (a->pass == NULL && (a->pass = read_line("Password: ", true, err)) == NULL)
    return -1;
  if (*a->user == '\0')
    return hull_error(err, EINVAL, "Username is required");
  if (*a->pass == '\0')
    return hull_error(err, EINVAL, "Password is required");
  return 0;
}

int cmd_login(hull_cli *g, int argc, char **argv, hull_err *err) {
  (void)g;
  login_args a = {0};
  cleanup_free char *user_owner = NULL;
  cleanup_secret char *pass_owner = NULL;
  int r = parse_login(argc, argv, &a, err);
  user_owner = a.user;
  pass_owner = a.pass;
  if (r != 0)
    return r < 0 ? -1 : 0;
  cleanup_free char *domain = hull_auth_normalize(a.server);
  cleanup_free char *path = hull_auth_path(a.authfile, err);
  if (domain == NULL || path == NULL)
    return domain ? -1 : hull_error(err, ENOMEM, "login");
  /* No user or password given: the stored ones, if any, are checked again (Docker's
   * "Authenticating with existing credentials"). */
  if (a.user == NULL && a.pass == NULL && !a.password_stdin) {
    char *u = NULL, *p = NULL;
    if (hull_auth_get(a.authfile, domain, &u, &p, err) < 0)
      return -1;
    if (u) {
      printf("Authenticating with existing credentials...\n");
      fflush(stdout);
      user_owner = a.user = u;
      pass_owner = a.pass = p;
    }
  }
  r = get_secret(&a, err);
  user_owner = a.user;
  pass_owner = a.pass;
  if (r < 0)
    return -1;
  hull_registry *reg = hull_registry_new_host(domain, a.insecure, err);
  if (reg == NULL)
    return -1;
  r = hull_registry_set_login(reg, a.user, a.pass, err);
  if (r == 0)
    r = hull_registry_login(reg, err);
  hull_registry_free(reg);
  if (r < 0)
    return hull_error_wrap(err, "login to %s", domain);
  r = hull_auth_set(path, domain, a.user, a.pass, err);
  if (r < 0)
    return -1;
  if (r == 0)
    fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s.\n", path);
  printf("Login Succeeded\n");
  return 0;
}

int cmd_logout(hull_cli *g, int argc, char **argv, hull_err *err) {
  (void)g;
  static const struct option opts[] = {
      {"authfile", required_argument, NULL, 'A'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  const char *authfile = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    if (c == 'A') {
      authfile = optarg;
    } else {
      int r = hull_cli_common_opt(c, "logout", "logout [SERVER]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind > 1)
    return hull_args_error(err, "logout", "\"hull logout\" requires at most 1 argument.");
  cleanup_free char *domain = hull_auth_normalize(optind < argc ? argv[optind] : "docker.io");
  cleanup_free char *path = hull_auth_path(authfile, err);
  if (domain == NULL || path == NULL)
    return domain ? -1 : hull_error(err, ENOMEM, "logout");
  int r = hull_auth_remove(path, domain, err);
  if (r < 0)
    return -1;
  if (r == 0)
    printf("Not logged in to %s\n", domain);
  else
    printf("Removing login credentials for %s\n", domain);
  return 0;
}
