/* Registry credentials, kept where Docker and Podman keep them: a JSON file whose "auths"
 * object maps a registry ("127.0.0.1:5000", "https://index.docker.io/v1/") to
 * {"auth": base64("user:password")}. `hull login` writes $DOCKER_CONFIG/config.json (or
 * ~/.docker/config.json), or the file --authfile / REGISTRY_AUTH_FILE names (Podman's
 * auth.json has the same format); pull and push read that file first, then Docker's. The
 * file is created 0600 and replaced atomically, so other keys in it (Docker's "proxies", ...)
 * survive and a crash never leaves half a file. A file that names a credential helper for a
 * registry ("credHelpers": {"REGISTRY": "NAME"}, or "credsStore": "NAME" for all) keeps no
 * secret for it: get, set and remove ask docker-credential-NAME (image/credhelper.h). */
#ifndef HULL_IMAGE_AUTH_H
#define HULL_IMAGE_AUTH_H

#include "common/error.h"

/* The file login writes: authfile if given, else $REGISTRY_AUTH_FILE, else
 * $DOCKER_CONFIG/config.json, else $HOME/.docker/config.json. */
char *hull_auth_path(const char *authfile, hull_err *err) __attribute__((warn_unused_result));

/* The credentials stored for domain (as hull_ref parses it, "docker.io" for Docker Hub):
 * 1 and *user, *pass (the caller's) if found, 0 if none, -1 on an unreadable file. */
int hull_auth_get(const char *authfile, const char *domain, char **user, char **pass, hull_err *err)
    __attribute__((warn_unused_result));
/* Stores the credentials: 0 if written to the file, 1 if given to the file's credential helper
 * (nothing written then). A user of "<token>" makes pass an identity token. */
int hull_auth_set(const char *path, const char *domain, const char *user, const char *pass, hull_err *err)
    __attribute__((warn_unused_result));
/* 1 if credentials for domain were there (in the file or its helper) and are gone, 0 if there
 * were none. */
int hull_auth_remove(const char *path, const char *domain, hull_err *err) __attribute__((warn_unused_result));

/* "http://host:5000/v2/" -> "host:5000"; the Docker Hub's names -> "docker.io". A new
 * string. */
char *hull_auth_normalize(const char *server);

#endif
