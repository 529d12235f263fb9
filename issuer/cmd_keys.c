/*
 * cmd_keys.c: api-issuer's init, rotate-key and info (cmd_int.h): the
 * issuer's folder and its signing key.
 *
 * ISS/issuer.key holds the Ed25519 secret key and the status-index seed,
 * encrypted with the passphrase (common/keyfile), 0600; ISS/issuer.pub the
 * public key the federation admits; ISS/issuer.json the id, name and feed
 * (issuer/issuer.h). init refuses a folder that already holds a key;
 * rotate-key replaces the signing key and keeps the seed, so the registry
 * and the status list carry on. Secrets are wiped once used; only public
 * keys and kids are printed.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/b64url.h"
#include "common/cli.h"
#include "common/fs.h"
#include "common/keyfile.h"
#include "issuer/cmd_int.h"
#include "issuer/issuer.h"
#include "issuer/registry.h"
#include "qr/claims.h"
#include "qr/cose.h"

int iss_cmd_init(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    iss_require(o->id, "--id");
    iss_require(o->name, "--name");
    keyfile_kdf kdf;
    if (keyfile_kdf_parse(&kdf, o->kdf) != 0)
        cli_fail(ISS_EXIT_USAGE, "--kdf: expected interactive, moderate or sensitive");
    issuer_config cfg;
    memset(&cfg, 0, sizeof cfg);
    if (strlen(o->id) >= sizeof cfg.id || strlen(o->name) >= sizeof cfg.name ||
        (o->feed && strlen(o->feed) >= sizeof cfg.feed))
        cli_fail(ISS_EXIT_USAGE, "--id, --name or --feed is too long");
    strcpy(cfg.id, o->id);
    strcpy(cfg.name, o->name);
    if (o->feed) strcpy(cfg.feed, o->feed);
    if (o->verify_base) { /* printed on the PDF attestations (issuer.h) */
        const char *why = issuer_verify_base_problem(o->verify_base);
        if (why) cli_fail(ISS_EXIT_USAGE, "--verify-base: %s", why);
        strcpy(cfg.verify_base, o->verify_base);
    }
    if (!claims_iss_valid(cfg.id, strlen(cfg.id))) /* the grammar of the trust list */
        cli_fail(ISS_EXIT_USAGE, "--id: expected 2 to 31 characters A-Z, 0-9 and '-', such as FR-75");

    char key_path[4096], pub_path[4096];
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    iss_path(pub_path, sizeof pub_path, o->dir, "issuer.pub");
    if (fs_mkdirs(o->dir, 0700) != API_OK) cli_fail(ISS_EXIT_IO, "cannot create %s", o->dir);
    if (access(key_path, F_OK) == 0)
        cli_fail(ISS_EXIT_IO, "%s already holds an issuer key: refusing to overwrite", o->dir);

    uint8_t secret[ISSUER_SECRET_LEN];
    crypto_sign_keypair(cfg.pk, secret);
    randombytes_buf(secret + COSE_SK_LEN, IDXPERM_SEED_LEN);
    cli_write_secret(key_path, secret, sizeof secret, o->passphrase_file, kdf);
    sodium_memzero(secret, sizeof secret);
    cli_write_public_key(pub_path, cfg.pk);
    api_err e = issuer_config_save(&cfg, o->dir);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot write issuer.json: %s", api_strerror(e));
    registry *reg;
    e = registry_open(&reg, o->dir);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot create the registry: %s", api_strerror(e));
    registry_close(reg);
    uint8_t kid[COSE_KID_LEN];
    char kid_hex[17];
    cose_kid(kid, cfg.pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    printf("issuer %s created in %s\n  public key: %s (kid %s): give it to the federation\n  secret key: %s "
           "(encrypted)\n",
           cfg.id, o->dir, pub_path, kid_hex, key_path);
    return ISS_EXIT_OK;
}

/*
 * Key rotation: a new signing key, the same index seed and registry. The
 * old public key is kept (issuer-<kid>.pub) for the record; the old secret
 * key is replaced, so nothing can be signed with it any more, not even with
 * a back-dated iat. Order: the new key files are written first, then the
 * public key moves, then the secret key; after a crash between the two
 * moves, issuer.key and issuer.pub disagree and every command says so.
 */
int iss_cmd_rotate_key(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    keyfile_kdf kdf;
    if (keyfile_kdf_parse(&kdf, o->kdf) != 0)
        cli_fail(ISS_EXIT_USAGE, "--kdf: expected interactive, moderate or sensitive");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    uint8_t fresh[ISSUER_SECRET_LEN], pk[COSE_PK_LEN];
    issuer_key *key = iss_unlock(o, &cfg);
    crypto_sign_keypair(pk, fresh);
    memcpy(fresh + COSE_SK_LEN, key->seed, IDXPERM_SEED_LEN); /* the same index seed */
    iss_lock(key);

    uint8_t old_kid[COSE_KID_LEN], new_kid[COSE_KID_LEN];
    char old_hex[17], new_hex[17], key_path[4096], key_new[4096], pub_path[4096], pub_new[4096],
        pub_old[4096], name[64];
    cose_kid(old_kid, cfg.pk);
    cose_kid(new_kid, pk);
    sodium_bin2hex(old_hex, sizeof old_hex, old_kid, sizeof old_kid);
    sodium_bin2hex(new_hex, sizeof new_hex, new_kid, sizeof new_kid);
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    iss_path(key_new, sizeof key_new, o->dir, "issuer.key.new");
    iss_path(pub_path, sizeof pub_path, o->dir, "issuer.pub");
    iss_path(pub_new, sizeof pub_new, o->dir, "issuer.pub.new");
    snprintf(name, sizeof name, "issuer-%s.pub", old_hex);
    iss_path(pub_old, sizeof pub_old, o->dir, name);
    unlink(key_new); /* leftovers of an interrupted rotation */
    unlink(pub_new);
    cli_write_secret(key_new, fresh, sizeof fresh, o->passphrase_file, kdf);
    sodium_memzero(fresh, sizeof fresh);
    cli_write_public_key(pub_new, pk);
    if (link(pub_path, pub_old) != 0 && errno != EEXIST)
        cli_fail(ISS_EXIT_IO, "cannot keep the old public key as %s", pub_old);
    if (rename(pub_new, pub_path) != 0 || rename(key_new, key_path) != 0 || fs_sync_folder(o->dir) != API_OK)
        cli_fail(ISS_EXIT_IO,
                 "the rotation was interrupted: check %s (issuer.key, issuer.pub and their .new files)",
                 o->dir);
    printf("new signing key for %s: kid %s (%s)\n"
           "the old key %s is destroyed; its public key is kept in %s\n"
           "next, at the federation: add-issuer --id %s --pub %s, retire --kid %s, publish;\n"
           "then restart 'serve' so that the feed is signed with the new key\n",
           cfg.id, new_hex, pub_path, old_hex, pub_old, cfg.id, pub_path, old_hex);
    return ISS_EXIT_OK;
}

int iss_cmd_info(const void *opts)
{
    const iss_opts *o = opts;
    iss_require(o->dir, "--dir");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    registry *reg = iss_open_registry(o);
    uint64_t count = 0;
    api_err e = registry_count(reg, &count);
    registry_close(reg);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot read the registry: %s", api_strerror(e));
    uint8_t kid[COSE_KID_LEN];
    char kid_hex[17], pub[64];
    cose_kid(kid, cfg.pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    b64url_encode(pub, sizeof pub, cfg.pk, sizeof cfg.pk);
    printf("id: %s\nname: %s\nkid: %s\npublic key: %s\nfeed: %s\nstatus uri: %s\nattestations: %llu\n",
           cfg.id, cfg.name, kid_hex, pub, cfg.feed[0] ? cfg.feed : "(none)", cfg.status_uri,
           (unsigned long long)count);
    return ISS_EXIT_OK;
}
