/*
 * cmd_int.h: the commands of api-issuer, private to the tool. main.c holds
 * the command table (each command's options, handler and usage lines) and
 * parses the command line into an iss_opts; the handlers live by job:
 *
 *   cmd_keys.c    init, rotate-key, info: the issuer's folder and its key
 *   cmd_issue.c   issue, show: holder data in, QR texts, images, links out
 *   cmd_status.c  revoke, supersede, suspend, resume, extend, renew-pending,
 *                 list: the statuses of the registry
 *   cmd_feed.c    publish, serve: the signed status feed
 *   cmd_clients.c clients add, list, revoke, rotate: the admin API's clients
 *   cmd_backup.c  backup, restore: the folder in one file, and back with a
 *                 new feed epoch; adopt: an attestation issued after the
 *                 backup given back to the registry
 *   cmd.c         what several handlers share: a required option, an input
 *                 file, a path in the folder, its configuration, key and
 *                 registry
 *
 * A handler takes the parsed options (as const void *, the table's type)
 * and returns one of the exit codes below; it stops on an error with
 * cli_fail and one of them.
 */
#ifndef API_ISSUER_CMD_INT_H
#define API_ISSUER_CMD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/cli.h"
#include "http/clientaddr.h"
#include "issuer/issuer.h"
#include "issuer/registry.h"
#include "qr/render.h"

/*
 * The exit codes of api-issuer, in the words of its man page's EXIT STATUS
 * (the usage text ends with them too):
 *   0  success;
 *   1  issue --csv rejected some rows; every other row was issued and
 *      written (or adopt refused some QR texts; every other one was given
 *      back);
 *   2  usage error (unknown command or option, an option that does not
 *      apply to the command, a required option missing, a bad option
 *      value, an invalid API_NOW), invalid input (an unreadable or invalid
 *      JSON or CSV file, a CSV file whose rows were all rejected, a damaged
 *      ISS/issuer.json, a QR text that show cannot read or render, a file
 *      whose QR texts adopt all refused), an
 *      attestation id that is not in the registry, a change that the rules
 *      forbid, or an address that serve cannot listen on: nothing was
 *      issued, and no status changed;
 *   3  key or passphrase error: no passphrase available, a wrong
 *      passphrase or a damaged key file, a file that is not an issuer key,
 *      an issuer.key that does not match issuer.pub, a damaged issuer.pub;
 *      for a key in a security module: no PIN, a wrong or locked PIN, a
 *      module that cannot be loaded, no token with the label, a key or
 *      secret missing from the token, a token key that does not match
 *      issuer.pub or whose signature does not verify, a token that fails
 *      (nothing was issued, published or written);
 *   4  file-system or registry error: a folder or file that cannot be
 *      created or written, init over an existing key, ISS without an
 *      issuer.json, a registry that cannot be opened, read or written, a
 *      full status list, an attestation counted as failed, a feed that
 *      cannot be signed or stored, no memory.
 * The codes whose meaning every tool shares are common/cli.h's, which its
 * helpers exit with; 1 is the issuer's own.
 */
enum {
    ISS_EXIT_OK = CLI_OK,       /* 0 */
    ISS_EXIT_PARTIAL = 1,       /* 1 */
    ISS_EXIT_USAGE = CLI_USAGE, /* 2 */
    ISS_EXIT_KEY = CLI_KEY,     /* 3 */
    ISS_EXIT_IO = CLI_IO,       /* 4 */
};

#define ISS_MAX_RECOVER           16                  /* restore: --recover-from sources */
#define ISS_MAX_INPUT             (64u * 1024 * 1024) /* bytes of a JSON, CSV or QR-text input file */
#define ISS_SERVE_THREADS         64                  /* connections the feed server serves at once */
#define ISS_SERVE_REQUEST_TIMEOUT 10                  /* seconds */

/* The command line, parsed (main.c); what a command does not take stays at its default. */
typedef struct {
    const char *dir, *id, *name, *feed, *json, *csv, *out, *file, *png, *svg, *passphrase_file, *kdf,
        *formats;
    const char *replaces, *reason, *decision, *until, *within, *by, *status, *listen, *holder_base;
    const char *verify_base, *pdf, *pdf_batch;          /* the PDF attestation (cmd_issue.c) */
    const char *pkcs11_module, *token_label, *pin_file; /* a key in a security module (cmd.c, cmd_keys.c) */
    const char *admin_listen, *audit_log;               /* serve's issuance API (cmd_feed.c) */
    int64_t keep_files;                                 /* seconds the API keeps an attestation's files */
    render_opts render;
    int terminal, invert, json_out, holder_qr;
    long heartbeat, threads, request_timeout, max_per_address;
    const char *proxies[CLIENTADDR_MAX_TRUSTED];
    size_t n_proxies;
    const char *role, *expires, *overlap; /* clients (cmd_clients.c) */
    long rate;                            /* clients add: -1 when not given */
    const char *from;                     /* restore: the backup file (cmd_backup.c) */
    const char *recover[ISS_MAX_RECOVER]; /* restore: --recover-from sources */
    size_t n_recover;
} iss_opts;

/* The handlers of the command table (opts is a const iss_opts *). */
int iss_cmd_init(const void *opts);
int iss_cmd_rotate_key(const void *opts);
int iss_cmd_info(const void *opts);
int iss_cmd_issue(const void *opts);
int iss_cmd_show(const void *opts);
int iss_cmd_revoke(const void *opts);
int iss_cmd_supersede(const void *opts);
int iss_cmd_suspend(const void *opts);
int iss_cmd_resume(const void *opts);
int iss_cmd_extend(const void *opts);
int iss_cmd_renew_pending(const void *opts);
int iss_cmd_list(const void *opts);
int iss_cmd_publish(const void *opts);
int iss_cmd_serve(const void *opts);
int iss_cmd_clients_add(const void *opts);
int iss_cmd_clients_list(const void *opts);
int iss_cmd_clients_revoke(const void *opts);
int iss_cmd_clients_rotate(const void *opts);
int iss_cmd_backup(const void *opts);
int iss_cmd_restore(const void *opts);
int iss_cmd_adopt(const void *opts);

/* Exits unless the option was given ("--dir is required (try --help)"). */
void iss_require(const char *value, const char *option);

/* The whole of the input file path (- for standard input, at most ISS_MAX_INPUT bytes), or exits. */
uint8_t *iss_read_input(const char *path, size_t *len);

/* dir/name into out, or exits. */
void iss_path(char *out, size_t cap, const char *dir, const char *name);

/* Reads ISS/issuer.json and ISS/issuer.pub, or exits saying what is wrong. */
void iss_load_config(issuer_config *cfg, const char *dir);

/* Opens the registry of o->dir (a folder with its configuration) or exits. */
registry *iss_open_registry(const iss_opts *o);

/* Exits unless holder_base (may be NULL) is an http:// or https:// URL without '#', at most 512 bytes. */
void iss_check_holder_base(const char *holder_base);

/*
 * The issuer's key unlocked (issuer.h: a file key read with the passphrase,
 * or a key in a security module opened with its PIN), checked against
 * issuer.pub, in locked memory; or exits (ISS_EXIT_KEY). Any thread may
 * sign with k->sign once it is made.
 */
issuer_key *iss_unlock(const iss_opts *o, const issuer_config *cfg);

/* Wipes and frees what iss_unlock made, and closes its token (NULL is fine). */
void iss_lock(issuer_key *k);

/*
 * The token named by the options, else by cfg (NULL for a new issuer),
 * opened with the PIN (--pin-file or API_PKCS11_PIN); or exits with
 * ISS_EXIT_KEY. *ref gets the module and label used.
 */
p11_token *iss_open_token(p11_ref *ref, const iss_opts *o, const issuer_config *cfg);

#endif
