/* libarchive and libcrypto, loaded on first use (dlopen) rather than linked: commands that
 * only read the database (images, image inspect, tag, rmi, system df) then start without
 * their ~15 libraries (libxml2, ICU, libstdc++, nettle, ...), which costs more than those
 * commands do. Files using them include this header after <archive.h>, <archive_entry.h>
 * and <openssl/evp.h>, and call hull_lazy_archive() / hull_lazy_crypto() before the first
 * call; the names below then go through the loaded libraries. Thread-safe (pthread_once).
 * libcurl has the same treatment in curl-lazy.h. */
#ifndef HULL_IMAGE_LAZY_H
#define HULL_IMAGE_LAZY_H

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "common/error.h"

#define HULL_ARCHIVE_SYMS(X)                                                                                           \
  X(archive_entry_atime)                                                                                               \
  X(archive_entry_atime_is_set)                                                                                        \
  X(archive_entry_atime_nsec)                                                                                          \
  X(archive_entry_filetype)                                                                                            \
  X(archive_entry_gid)                                                                                                 \
  X(archive_entry_hardlink)                                                                                            \
  X(archive_entry_mtime)                                                                                               \
  X(archive_entry_mtime_nsec)                                                                                          \
  X(archive_entry_pathname)                                                                                            \
  X(archive_entry_perm)                                                                                                \
  X(archive_entry_size)                                                                                                \
  X(archive_entry_symlink)                                                                                             \
  X(archive_entry_uid)                                                                                                 \
  X(archive_entry_xattr_next)                                                                                          \
  X(archive_entry_xattr_reset)                                                                                         \
  X(archive_errno)                                                                                                     \
  X(archive_error_string)                                                                                              \
  X(archive_filter_count)                                                                                              \
  X(archive_filter_name)                                                                                               \
  X(archive_read_data)                                                                                                 \
  X(archive_read_data_block)                                                                                           \
  X(archive_read_free)                                                                                                 \
  X(archive_read_new)                                                                                                  \
  X(archive_read_next_header)                                                                                          \
  X(archive_read_open)                                                                                                 \
  X(archive_read_open_fd)                                                                                              \
  X(archive_read_support_filter_gzip)                                                                                  \
  X(archive_read_support_filter_zstd)                                                                                  \
  X(archive_read_support_format_empty)                                                                                 \
  X(archive_read_support_format_gnutar)                                                                                \
  X(archive_read_support_format_raw)                                                                                   \
  X(archive_read_support_format_tar)                                                                                   \
  X(archive_set_error)

#define HULL_CRYPTO_SYMS(X)                                                                                            \
  X(EVP_MD_CTX_new)                                                                                                    \
  X(EVP_MD_CTX_free)                                                                                                   \
  X(EVP_DigestInit_ex)                                                                                                 \
  X(EVP_DigestUpdate)                                                                                                  \
  X(EVP_DigestFinal_ex)                                                                                                \
  X(EVP_EncodeBlock)                                                                                                   \
  X(EVP_DecodeBlock)                                                                                                   \
  X(EVP_sha256)

#define HULL_LAZY_FIELD(f) __typeof__(f) *f;
struct hull_archive_api {
  HULL_ARCHIVE_SYMS(HULL_LAZY_FIELD)
};
struct hull_crypto_api {
  HULL_CRYPTO_SYMS(HULL_LAZY_FIELD)
};
#undef HULL_LAZY_FIELD
extern struct hull_archive_api hull_archive_api;
extern struct hull_crypto_api hull_crypto_api;

int hull_lazy_archive(hull_err *err) __attribute__((warn_unused_result));
int hull_lazy_crypto(hull_err *err) __attribute__((warn_unused_result));

#ifndef HULL_LAZY_NO_MACROS
#define archive_entry_atime (hull_archive_api.archive_entry_atime)
#define archive_entry_atime_is_set (hull_archive_api.archive_entry_atime_is_set)
#define archive_entry_atime_nsec (hull_archive_api.archive_entry_atime_nsec)
#define archive_entry_filetype (hull_archive_api.archive_entry_filetype)
#define archive_entry_gid (hull_archive_api.archive_entry_gid)
#define archive_entry_hardlink (hull_archive_api.archive_entry_hardlink)
#define archive_entry_mtime (hull_archive_api.archive_entry_mtime)
#define archive_entry_mtime_nsec (hull_archive_api.archive_entry_mtime_nsec)
#define archive_entry_pathname (hull_archive_api.archive_entry_pathname)
#define archive_entry_perm (hull_archive_api.archive_entry_perm)
#define archive_entry_size (hull_archive_api.archive_entry_size)
#define archive_entry_symlink (hull_archive_api.archive_entry_symlink)
#define archive_entry_uid (hull_archive_api.archive_entry_uid)
#define archive_entry_xattr_next (hull_archive_api.archive_entry_xattr_next)
#define archive_entry_xattr_reset (hull_archive_api.archive_entry_xattr_reset)
#define archive_errno (hull_archive_api.archive_errno)
#define archive_error_string (hull_archive_api.archive_error_string)
#define archive_filter_count (hull_archive_api.archive_filter_count)
#define archive_filter_name (hull_archive_api.archive_filter_name)
#define archive_read_data (hull_archive_api.archive_read_data)
#define archive_read_data_block (hull_archive_api.archive_read_data_block)
#define archive_read_free (hull_archive_api.archive_read_free)
#define archive_read_new (hull_archive_api.archive_read_new)
#define archive_read_next_header (hull_archive_api.archive_read_next_header)
#define archive_read_open (hull_archive_api.archive_read_open)
#define archive_read_open_fd (hull_archive_api.archive_read_open_fd)
#define archive_read_support_filter_gzip (hull_archive_api.archive_read_support_filter_gzip)
#define archive_read_support_filter_zstd (hull_archive_api.archive_read_support_filter_zstd)
#define archive_read_support_format_empty (hull_archive_api.archive_read_support_format_empty)
#define archive_read_support_format_gnutar (hull_archive_api.archive_read_support_format_gnutar)
#define archive_read_support_format_raw (hull_archive_api.archive_read_support_format_raw)
#define archive_read_support_format_tar (hull_archive_api.archive_read_support_format_tar)
#define archive_set_error (hull_archive_api.archive_set_error)
#define EVP_MD_CTX_new (hull_crypto_api.EVP_MD_CTX_new)
#define EVP_MD_CTX_free (hull_crypto_api.EVP_MD_CTX_free)
#define EVP_DigestInit_ex (hull_crypto_api.EVP_DigestInit_ex)
#define EVP_DigestUpdate (hull_crypto_api.EVP_DigestUpdate)
#define EVP_DigestFinal_ex (hull_crypto_api.EVP_DigestFinal_ex)
#define EVP_sha256 (hull_crypto_api.EVP_sha256)
#define EVP_EncodeBlock (hull_crypto_api.EVP_EncodeBlock)
#define EVP_DecodeBlock (hull_crypto_api.EVP_DecodeBlock)
#endif

#endif
