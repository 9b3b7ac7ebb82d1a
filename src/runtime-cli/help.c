/* Everything printed from the command table (commands.c): getopt's option arrays, --help,
 * the man pages and the bash completion. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hull-config.h"

#define MAX_OPTS 40

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len) {
  for (const struct cli_opt *o = opts; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
      return o;
  return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, int c) {
  for (const struct cli_opt *o = opts; o && o->name; o++)
    if (o->val == c)
      return o;
  return NULL;
}

static bool has_short(const struct cli_opt *o) { return o->val > 0 && o->val < 256 && isalnum(o->val); }

int cli_getopt(struct cli_globals *g, int argc, char **argv) {
  /* One command runs per process: the arrays are built on the first call. */
  static struct option longs[MAX_OPTS + 1];
  static char shorts[2 * MAX_OPTS + 3];
  static const struct cli_command *built;
  if (built != g->cmd) {
    size_t n = 0, s = 0;
    memset(longs, 0, sizeof(longs));
    shorts[s++] = '+'; /* stop at the first operand: the rest belongs to the container's command */
    shorts[s++] = ':'; /* a missing value is ':', told apart from an unknown option */
    for (const struct cli_opt *o = g->cmd->opts; o && o->name && n < MAX_OPTS; o++, n++) {
      longs[n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->val};
      if (has_short(o) && !strchr(shorts, o->val)) {
        shorts[s++] = (char)o->val;
        if (o->arg)
          shorts[s++] = ':';
      }
    }
    shorts[s] = '\0';
    built = g->cmd;
    optind = 0;
  }
  opterr = 0;
  return getopt_long(argc, argv, shorts, longs, NULL);
}

int cli_bad_option(const struct cli_command *c, int argc, char **argv, hull_err *err) {
  const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
  char letter[3] = {'-', (char)optopt, '\0'};
  /* For a short option inside a cluster ("-xd"), name the letter, not the cluster. */
  if (optopt > 0 && optopt < 256 && strncmp(arg, "--", 2) != 0)
    arg = letter;
  const struct cli_opt *o = optopt > 0 ? find_short(c->opts, optopt) : NULL;
  if (o == NULL && strncmp(arg, "--", 2) == 0) {
    const char *eq = strchr(arg + 2, '=');
    o = find_long(c->opts, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
  }
  if (o != NULL && o->arg != NULL)
    return hull_error(err, 0, "%s: option %s needs a value (%s)", c->name, arg, o->arg);
  if (o != NULL)
    return hull_error(err, 0, "%s: option %s takes no value", c->name, arg);
  return hull_error(err, 0, "%s: unknown option %s (see hull-runtime %s --help)", c->name, arg, c->name);
}

bool cli_help_wanted(const struct cli_command *c, int argc, char **argv, bool *usage_only) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
      return false;
    if (a[1] == '-') {
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      if ((len == 4 && strncmp(a + 2, "help", 4) == 0) || (len == 5 && strncmp(a + 2, "usage", 5) == 0)) {
        *usage_only = a[2] == 'u';
        return true;
      }
      const struct cli_opt *o = find_long(c->opts, a + 2, len);
      if (o && o->arg && !eq)
        i++;
      continue;
    }
    for (const char *p = a + 1; *p; p++) {
      if (*p == 'h' && find_short(c->opts, 'h') == NULL) {
        *usage_only = false;
        return true;
      }
      const struct cli_opt *o = find_short(c->opts, *p);
      if (o && o->arg) {
        if (p[1] == '\0')
          i++;
        break;
      }
    }
  }
  return false;
}

/* Prints text wrapped at 100 columns from column col (where the cursor is), continuation
 * lines indented by indent. */
static void wrap(FILE *f, const char *text, int col, int indent) {
  bool line_start = true;
  const char *p = text;
  while (*p) {
    if (*p == '\n') {
      fputc('\n', f);
      p++;
      fprintf(f, "%*s", indent, "");
      col = indent;
      line_start = true;
      continue;
    }
    size_t w = strcspn(p, " \n");
    if (!line_start && col + 1 + (int)w > 100) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
      line_start = true;
    }
    if (!line_start) {
      fputc(' ', f);
      col++;
    }
    fwrite(p, 1, w, f);
    col += (int)w;
    line_start = false;
    p += w;
    while (*p == ' ')
      p++;
  }
  fputc('\n', f);
}

static void print_opts(FILE *f, const struct cli_opt *opts) {
  for (const struct cli_opt *o = opts; o && o->name; o++) {
    char head[96];
    if (has_short(o))
      snprintf(head, sizeof(head), "-%c, --%s%s%s", o->val, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    else
      snprintf(head, sizeof(head), "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    if (strlen(head) > 26) {
      fprintf(f, "  %s\n%30s", head, "");
      wrap(f, o->help, 30, 30);
    } else {
      fprintf(f, "  %-27s ", head);
      wrap(f, o->help, 30, 30);
    }
  }
}

void cli_print_usage(FILE *f) {
  fprintf(f, "usage: hull-runtime [global options] COMMAND [options] [arguments]\n\n"
             "hull-runtime is an OCI runtime with runc's and crun's command line.\n\nCommands:\n");
  for (size_t i = 0; i < cli_ncommands; i++)
    fprintf(f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
  fprintf(f, "\nGlobal options (before the command):\n");
  print_opts(f, cli_global_opts);
  fprintf(f, "\nRun 'hull-runtime COMMAND --help' for a command's options; man hull-runtime-COMMAND.\n");
}

void cli_print_command_help(FILE *f, const struct cli_command *c, bool usage_only) {
  fprintf(f, "usage: hull-runtime [global options] %s%s%s%s\n", c->name, c->opts ? " [options]" : "",
          *c->args ? " " : "", c->args);
  if (usage_only)
    return;
  fprintf(f, "\n");
  for (const char *p = c->text; *p;) {
    const char *end = strstr(p, "\n\n");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *para = strndup(p, len);
    if (para)
      wrap(f, para, 0, 0);
    free(para);
    p += len;
    if (*p) {
      fputc('\n', f);
      p += 2;
    }
  }
  fprintf(f, "\nOptions:\n");
  print_opts(f, c->opts);
  fprintf(f, "  -h, --help                  Print this help.\n");
}

/* Text for roff: backslashes and dashes escaped, and a line never starts with a control
 * character. */
static void roff(FILE *f, const char *s) {
  if (*s == '.' || *s == '\'')
    fputs("\\&", f);
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\e", f);
    else if (*s == '-')
      fputs("\\-", f);
    else
      fputc(*s, f);
  }
}

static void man_opts(FILE *f, const struct cli_opt *opts) {
  for (const struct cli_opt *o = opts; o && o->name; o++) {
    fputs(".TP\n", f);
    if (has_short(o))
      fprintf(f, "\\fB\\-%c\\fR, ", o->val);
    fputs("\\fB\\-\\-", f);
    roff(f, o->name);
    fputs("\\fR", f);
    if (o->arg) {
      fputs(" \\fI", f);
      roff(f, o->arg);
      fputs("\\fR", f);
    }
    fputc('\n', f);
    roff(f, o->help);
    fputc('\n', f);
  }
}

static void man_text(FILE *f, const char *text) {
  for (const char *p = text; *p;) {
    const char *end = strstr(p, "\n\n");
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *para = strndup(p, len);
    fputs(".PP\n", f);
    if (para)
      roff(f, para);
    fputc('\n', f);
    free(para);
    p += len;
    if (*p)
      p += 2;
  }
}

void cli_print_man(FILE *f, const struct cli_command *c) {
  if (c == NULL) {
    fprintf(f, ".TH HULL\\-RUNTIME 8 \"\" \"hull %s\" \"hull-runtime manual\"\n.SH NAME\n", HULL_VERSION);
    fputs("hull\\-runtime \\- an OCI container runtime with runc's and crun's command line\n.SH SYNOPSIS\n"
          "\\fBhull\\-runtime\\fR [\\fIglobal options\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]\n"
          ".SH DESCRIPTION\n.PP\nhull\\-runtime creates and runs containers from OCI bundles (a config.json and a "
          "root file system), as runc and crun do: containerd, Podman and Docker can use it in their place.\n"
          ".SH COMMANDS\n",
          f);
    for (size_t i = 0; i < cli_ncommands; i++) {
      fprintf(f, ".TP\n\\fB%s\\fR\n", cli_commands[i].name);
      roff(f, cli_commands[i].summary);
      fprintf(f, "; see \\fBhull\\-runtime\\-%s\\fR(8).\n", cli_commands[i].name);
    }
    fputs(".SH GLOBAL OPTIONS\n", f);
    man_opts(f, cli_global_opts);
    fputs(".SH EXIT STATUS\n.PP\n0 on success; 1 on an error (the message is on the standard error and in the "
          "\\-\\-log file); 3 for an unknown command (as runc). \\fBrun\\fR and \\fBexec\\fR exit with the status of "
          "the container's process (128+N when signal N killed it); \\fBexec\\fR exits with 255 when the "
          "process could not be started (as runc).\n.SH FILES\n.TP\n/run/hull\\-runtime\nThe default state "
          "directory: one directory per container.\n.SH SEE ALSO\n\\fBrunc\\fR(8), \\fBcrun\\fR(1)\n",
          f);
    return;
  }
  char upper[64];
  size_t i = 0;
  for (; c->name[i] && i + 1 < sizeof(upper); i++)
    upper[i] = (char)toupper((unsigned char)c->name[i]);
  upper[i] = '\0';
  fprintf(f, ".TH HULL\\-RUNTIME\\-%s 8 \"\" \"hull %s\" \"hull-runtime manual\"\n.SH NAME\n", upper, HULL_VERSION);
  fprintf(f, "hull\\-runtime\\-%s \\- ", c->name);
  roff(f, c->summary);
  fprintf(f, "\n.SH SYNOPSIS\n\\fBhull\\-runtime\\fR [\\fIglobal options\\fR] \\fB%s\\fR%s", c->name,
          c->opts ? " [\\fIoptions\\fR]" : "");
  if (*c->args) {
    fputs(" \\fI", f);
    roff(f, c->args);
    fputs("\\fR", f);
  }
  fputs("\n.SH DESCRIPTION\n", f);
  man_text(f, c->text);
  fputs(".SH OPTIONS\n", f);
  man_opts(f, c->opts);
  fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint the help of the command.\n", f);
  fputs(".SH SEE ALSO\n\\fBhull\\-runtime\\fR(8)\n", f);
}

/* The words of an option table: "--name -x ..." (all), or only those taking a value. */
static void opt_words(FILE *f, const struct cli_opt *opts, bool with_value) {
  for (const struct cli_opt *o = opts; o && o->name; o++) {
    if (with_value && o->arg == NULL)
      continue;
    fprintf(f, " --%s", o->name);
    if (has_short(o))
      fprintf(f, " -%c", o->val);
  }
}

void cli_print_completion(FILE *f) {
  fputs("# bash completion for hull-runtime, generated by `hull-runtime help --completion bash`.\n"
        "_hull_runtime() {\n"
        "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
        "\tlocal i cmd='' root=() takes opts values\n"
        "\tlocal gtakes='",
        f);
  opt_words(f, cli_global_opts, true);
  fputs(" '\n\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
        "\t\tcase ${COMP_WORDS[i]} in\n"
        "\t\t--root) root=(--root \"${COMP_WORDS[i + 1]}\") ;;\n"
        "\t\tesac\n"
        "\t\tif [[ -z $cmd && ${COMP_WORDS[i]} != -* ]]; then\n"
        "\t\t\tcase \" $gtakes \" in *\" ${COMP_WORDS[i - 1]} \"*) [[ ${COMP_WORDS[i - 1]} == -* ]] && continue ;; "
        "esac\n"
        "\t\t\tcmd=${COMP_WORDS[i]}\n"
        "\t\tfi\n"
        "\tdone\n"
        "\tif [[ -z $cmd ]]; then\n"
        "\t\tcase \" $gtakes \" in *\" $prev \"*) [[ $prev == -* ]] && { COMPREPLY=($(compgen -f -- \"$cur\")); "
        "return; } ;; esac\n"
        "\t\tif [[ $cur == -* ]]; then\n\t\t\tCOMPREPLY=($(compgen -W '",
        f);
  opt_words(f, cli_global_opts, false);
  fputs("' -- \"$cur\"))\n\t\telse\n\t\t\tCOMPREPLY=($(compgen -W '", f);
  for (size_t i = 0; i < cli_ncommands; i++)
    fprintf(f, " %s", cli_commands[i].name);
  fputs("' -- \"$cur\"))\n\t\tfi\n\t\treturn\n\tfi\n\tcase $cmd in\n", f);
  for (size_t i = 0; i < cli_ncommands; i++) {
    const struct cli_command *c = &cli_commands[i];
    fprintf(f, "\t%s) opts='", c->name);
    opt_words(f, c->opts, false);
    fputs(" --help'; takes='", f);
    opt_words(f, c->opts, true);
    fputs(" ' ;;\n", f);
  }
  fputs("\t*) return ;;\n\tesac\n"
        "\tcase \" $takes \" in\n"
        "\t*\" $prev \"*)\n"
        "\t\tcase $prev in\n"
        "\t\t--format | -f) [[ $cmd == list || $cmd == ps ]] && COMPREPLY=($(compgen -W 'table json' -- \"$cur\")) "
        "&& return ;;\n"
        "\t\tesac\n"
        "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
        "\t\treturn\n"
        "\t\t;;\n"
        "\tesac\n"
        "\tif [[ $cur == -* ]]; then\n"
        "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
        "\t\treturn\n"
        "\tfi\n"
        "\tcase $cmd in\n"
        "\thelp) COMPREPLY=($(compgen -W '",
        f);
  for (size_t i = 0; i < cli_ncommands; i++)
    fprintf(f, " %s", cli_commands[i].name);
  fputs("' -- \"$cur\")) ;;\n"
        "\tspec | list | features) ;;\n"
        "\t*) COMPREPLY=($(compgen -W \"$(hull-runtime \"${root[@]}\" list -q 2>/dev/null)\" -- \"$cur\")) ;;\n"
        "\tesac\n"
        "}\n"
        "complete -F _hull_runtime hull-runtime\n",
        f);
}

int cmd_help(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  (void)g;
  bool man = false;
  const char *completion = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "--man") == 0)
      man = true;
    else if (strcmp(argv[i], "--completion") == 0 && i + 1 < argc)
      completion = argv[++i];
    else
      return hull_error(err, 0, "help: unknown option %s (want --man or --completion bash)", argv[i]);
  }
  if (completion) {
    if (strcmp(completion, "bash") != 0)
      return hull_error(err, 0, "help: --completion: only bash is supported, not \"%s\"", completion);
    cli_print_completion(stdout);
    return 0;
  }
  if (argc - i > 1)
    return hull_error(err, 0, "help: expected at most one command, got %d", argc - i);
  const struct cli_command *c = NULL;
  if (i < argc && (c = cli_command_find(argv[i])) == NULL) {
    hull_error(err, 0, "help: unknown command \"%s\" (see hull-runtime --help)", argv[i]);
    (*err)->status = 3;
    return -1;
  }
  if (man)
    cli_print_man(stdout, c);
  else if (c)
    cli_print_command_help(stdout, c, false);
  else
    cli_print_usage(stdout);
  return 0;
}
