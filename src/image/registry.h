/* A Distribution API v2 client (libcurl): manifests and blobs of one repository, with
 * basic auth and bearer tokens (the WWW-Authenticate flow registries use), anonymous or
 * with the user's credentials. Plain HTTP only for loopback registries (127.0.0.0/8, ::1,
 * localhost) or when insecure is asked for. */
#ifndef HULL_IMAGE_REGISTRY_H
#define HULL_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "image/reference.h"

typedef struct hull_registry hull_registry;

hull_registry *hull_registry_new(const hull_ref *ref, bool insecure, hull_err *err);
/* A client of the registry alone, for login (no repository). */
hull_registry *hull_registry_new_host(const char *domain, bool insecure, hull_err *err);
void hull_registry_free(hull_registry *r);

/* Credentials for the challenges to come: sent as basic auth to the registry's own host
 * when it asks for basic auth, or to the token server its bearer challenge names (HTTPS, or
 * plain HTTP on loopback or an insecure registry), never to a redirect's host. */
int hull_registry_set_login(hull_registry *r, const char *user, const char *pass, hull_err *err)
    __attribute__((warn_unused_result));
/* Uses the credentials stored for the registry (hull_auth_get), if any. */
int hull_registry_load_login(hull_registry *r, const char *authfile, hull_err *err) __attribute__((warn_unused_result));
/* GET /v2/ with the credentials, answering the registry's challenge: 0 if it lets us in,
 * -1 (EACCES) if the credentials are refused. */
int hull_registry_login(hull_registry *r, hull_err *err) __attribute__((warn_unused_result));

/* GETs a manifest or index by tag or digest; *media_type and *body are the caller's. A
 * manifest asked for by digest is checked against it. */
int hull_registry_manifest(hull_registry *r, const char *reference, char **body, size_t *len, char **media_type,
                           hull_err *err) __attribute__((warn_unused_result));
/* GETs a small blob (a config) and checks its digest. */
char *hull_registry_blob_small(hull_registry *r, const char *digest, size_t *len, hull_err *err);

/* The URL of a blob and the Authorization header to send (NULL without token): for the
 * parallel layer downloads, which run their own transfers. */
char *hull_registry_blob_url(hull_registry *r, const char *digest);
const char *hull_registry_auth_header(hull_registry *r);
/* The user said not to verify the registry's certificate (--tls-verify=false). */
bool hull_registry_insecure(hull_registry *r);
/* Push: 1 if the registry has the blob, 0 if not. */
int hull_registry_blob_exists(hull_registry *r, const char *digest, hull_err *err) __attribute__((warn_unused_result));
/* Puts the blob digest into the repository: mounted from the repository from of the same
 * registry if from is given and the registry agrees (1; a bearer token is asked for with
 * from's pull scope too), otherwise size bytes of fd uploaded in one request (0). */
int hull_registry_blob_upload(hull_registry *r, const char *digest, const char *from, int fd, size_t size,
                              hull_err *err) __attribute__((warn_unused_result));
int hull_registry_put_manifest(hull_registry *r, const char *reference, const char *media_type, const char *body,
                               size_t len, hull_err *err) __attribute__((warn_unused_result));

/* The registry's name as shown ("docker.io", "127.0.0.1:5000"). */
const char *hull_registry_domain(hull_registry *r);

#endif
