/* Docker's credential helpers: `docker-credential-NAME ACTION` on PATH, named by a config
 * file's "credsStore" (every registry) or "credHelpers" (one registry). The protocol is the
 * one docker-credential-helpers speaks: the request on stdin, the answer on stdout, exit 0.
 *   get    stdin: the server ("127.0.0.1:5000")  stdout: {"ServerURL","Username","Secret"}
 *   store  stdin: {"ServerURL","Username","Secret"}
 *   erase  stdin: the server
 * A secret travels only through the pipes, never in argv, the environment or a log. A
 * Username of "<token>" says that Secret is an identity token (an OAuth2 refresh token). */
#ifndef HULL_IMAGE_CREDHELPER_H
#define HULL_IMAGE_CREDHELPER_H

#include "common/error.h"

#define HULL_IDENTITY_TOKEN_USER "<token>"

/* 1 and *user, *secret (the caller's; wipe the secret) if the helper has credentials for
 * server, 0 if it has none ("credentials not found"), -1 if it is missing or fails. */
int hull_credhelper_get(const char *helper, const char *server, char **user, char **secret, hull_err *err)
    __attribute__((warn_unused_result));
int hull_credhelper_store(const char *helper, const char *server, const char *user, const char *secret, hull_err *err)
    __attribute__((warn_unused_result));
/* 1 if erased, 0 if the helper had nothing for server. */
int hull_credhelper_erase(const char *helper, const char *server, hull_err *err) __attribute__((warn_unused_result));

#endif
