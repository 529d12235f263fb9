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
 *
 * With --pkcs11-module and --token-label, the key lives in a security
 * module instead (common/p11.h, docs/deploy/hsm.md): init makes the
 * Ed25519 pair and the status-index secret in the token, writes no
 * issuer.key, and records in issuer.json the module, the token's label and
 * the objects' ids. The index seed is then HMAC-SHA-256, computed by the
 * token with that secret, of a fixed label: the secret never leaves the
 * token (it is not extractable), the seed is derived once per process and
 * kept in locked memory like a file key's, and idxperm's permutation is
 * the same construction over it. A token issuer's rotate-key makes the new
 * pair in the same token and keeps the secret, so the indices carry on.
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
#include "common/p11.h"
#include "issuer/cmd_int.h"
#include "issuer/issuer.h"
#include "issuer/registry.h"
#include "qr/claims.h"
#include "qr/cose.h"

/* The public key as issuer.pub writes it: base64url and a newline, exclusive; API_OK or the error. */
static api_err iss_write_pub(const char *path, const uint8_t pk[COSE_PK_LEN], int exclusive)
{
    char text[64];
    b64url_encode(text, sizeof text, pk, COSE_PK_LEN);
    size_t n = strlen(text);
    text[n++] = '\n';
    return fs_write_atomic(path, text, n, 0644, exclusive);
}

/* "api-issuer FR-75 <kid>": the label of an issuer's objects in the token, for people listing it. */
static void iss_token_label(char *out, size_t cap, const char *id, const char *what)
{
    snprintf(out, cap, "api-issuer %s %s", id, what);
}

/*
 * init with the key in a token: the key pair and the index secret are made
 * in the token, then issuer.pub, issuer.json and the registry are written;
 * when any step fails, what was made before is taken back (the token's
 * objects destroyed, the files removed), so a failed init leaves nothing.
 */
static int iss_init_token(const iss_opts *o, issuer_config *cfg, const char *pub_path)
{
    p11_token *t = iss_open_token(&cfg->token, o, NULL);
    char err[512] = "", label[96];
    iss_token_label(label, sizeof label, cfg->id, "signing key");
    api_err e = p11_ed25519_generate(t, label, cfg->token.key_id, cfg->pk, err, sizeof err);
    if (e != API_OK) {
        p11_close(t);
        cli_fail(ISS_EXIT_KEY, "%s", err);
    }
    iss_token_label(label, sizeof label, cfg->id, "status index secret");
    e = p11_secret_generate(t, label, cfg->token.seed_id, err, sizeof err);
    if (e != API_OK) {
        p11_destroy(t, cfg->token.key_id);
        p11_close(t);
        cli_fail(ISS_EXIT_KEY, "%s", err);
    }
    cfg->token.has_seed = 1;
    const char *step = NULL;
    int made_dir = access(o->dir, F_OK) != 0, wrote_pub = 0, wrote_json = 0;
    if (fs_mkdirs(o->dir, 0700) != API_OK) step = "cannot create the folder";
    if (!step && (e = iss_write_pub(pub_path, cfg->pk, 1)) != API_OK) step = "cannot write issuer.pub";
    wrote_pub = !step;
    if (!step && (e = issuer_config_save(cfg, o->dir)) != API_OK) step = "cannot write issuer.json";
    wrote_json = !step;
    registry *reg = NULL;
    if (!step && (e = registry_open(&reg, o->dir)) != API_OK) step = "cannot create the registry";
    if (reg) registry_close(reg);
    if (step) { /* take everything back */
        if (wrote_json) {
            char path[4096];
            iss_path(path, sizeof path, o->dir, "issuer.json");
            unlink(path);
        }
        if (wrote_pub) unlink(pub_path);
        if (made_dir) rmdir(o->dir);
        p11_destroy(t, cfg->token.key_id);
        p11_destroy(t, cfg->token.seed_id);
        p11_close(t);
        cli_fail(ISS_EXIT_IO, "%s in %s: %s (nothing was kept, in the folder or the token)", step, o->dir,
                 api_strerror(e));
    }
    p11_close(t);
    uint8_t kid[COSE_KID_LEN];
    char kid_hex[17], key_hex[2 * P11_ID_LEN + 1];
    cose_kid(kid, cfg->pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    sodium_bin2hex(key_hex, sizeof key_hex, cfg->token.key_id, P11_ID_LEN);
    printf(
        "issuer %s created in %s\n  public key: %s (kid %s): give it to the federation\n  secret key: in the "
        "token '%s' (key id %s), not extractable\n",
        cfg->id, o->dir, pub_path, kid_hex, cfg->token.token, key_hex);
    return ISS_EXIT_OK;
}

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

    char key_path[4096], pub_path[4096], json_path[4096];
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    iss_path(pub_path, sizeof pub_path, o->dir, "issuer.pub");
    iss_path(json_path, sizeof json_path, o->dir, "issuer.json");
    if (access(key_path, F_OK) == 0 || access(json_path, F_OK) == 0)
        cli_fail(ISS_EXIT_IO, "%s already holds an issuer key: refusing to overwrite", o->dir);
    if (o->pkcs11_module || o->token_label) return iss_init_token(o, &cfg, pub_path);
    if (fs_mkdirs(o->dir, 0700) != API_OK) cli_fail(ISS_EXIT_IO, "cannot create %s", o->dir);

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
 * rotate-key of a key in a token: the new pair is made in the same token
 * (the index secret stays), the old public key kept as issuer-<kid>.pub,
 * issuer.pub then issuer.json replaced, and only then the old pair
 * destroyed in the token. A failure before the two replacements destroys
 * the new pair and changes nothing; after a crash between them, issuer.pub
 * and the token's key named by issuer.json disagree and every command
 * says so.
 */
static int iss_rotate_token(const iss_opts *o, issuer_config *cfg)
{
    issuer_key *key = iss_unlock(o, cfg); /* the old key works, and the PIN is right */
    p11_token *t = key->token;
    uint8_t old_id[P11_ID_LEN], old_pk[COSE_PK_LEN];
    memcpy(old_id, cfg->token.key_id, P11_ID_LEN);
    memcpy(old_pk, cfg->pk, COSE_PK_LEN);
    if (o->pkcs11_module) snprintf(cfg->token.module, sizeof cfg->token.module, "%s", o->pkcs11_module);
    if (o->token_label) snprintf(cfg->token.token, sizeof cfg->token.token, "%s", o->token_label);
    char err[512] = "", label[96];
    iss_token_label(label, sizeof label, cfg->id, "signing key");
    api_err e = p11_ed25519_generate(t, label, cfg->token.key_id, cfg->pk, err, sizeof err);
    if (e != API_OK) {
        iss_lock(key);
        cli_fail(ISS_EXIT_KEY, "%s", err);
    }
    uint8_t old_kid[COSE_KID_LEN], new_kid[COSE_KID_LEN];
    char old_hex[17], new_hex[17], pub_path[4096], pub_new[4096], pub_old[4096], name[64];
    cose_kid(old_kid, old_pk);
    cose_kid(new_kid, cfg->pk);
    sodium_bin2hex(old_hex, sizeof old_hex, old_kid, sizeof old_kid);
    sodium_bin2hex(new_hex, sizeof new_hex, new_kid, sizeof new_kid);
    iss_path(pub_path, sizeof pub_path, o->dir, "issuer.pub");
    iss_path(pub_new, sizeof pub_new, o->dir, "issuer.pub.new");
    snprintf(name, sizeof name, "issuer-%s.pub", old_hex);
    iss_path(pub_old, sizeof pub_old, o->dir, name);
    unlink(pub_new); /* a leftover of an interrupted rotation */
    const char *step = NULL;
    if ((e = iss_write_pub(pub_new, cfg->pk, 1)) != API_OK) step = "cannot write issuer.pub.new";
    if (!step && link(pub_path, pub_old) != 0 && errno != EEXIST) {
        step = "cannot keep the old public key";
        e = API_ERR_IO;
    }
    if (step) {
        unlink(pub_new);
        p11_destroy(t, cfg->token.key_id);
        iss_lock(key);
        cli_fail(ISS_EXIT_IO, "%s in %s: %s (the old key stays in use)", step, o->dir, api_strerror(e));
    }
    if (rename(pub_new, pub_path) != 0 || issuer_config_replace(cfg, o->dir) != API_OK ||
        fs_sync_folder(o->dir) != API_OK) {
        iss_lock(key);
        cli_fail(
            ISS_EXIT_IO,
            "the rotation was interrupted: check %s (issuer.pub, issuer.pub.new and issuer.json's key_id)",
            o->dir);
    }
    e = p11_destroy(t, old_id);
    iss_lock(key);
    if (e != API_OK)
        cli_warn("the old key (kid %s) could not be destroyed in the token: remove it with the token's tools",
                 old_hex);
    printf("new signing key for %s: kid %s (%s), in the token '%s'\n"
           "the old key %s is destroyed in the token; its public key is kept in %s\n"
           "next, at the federation: add-issuer --id %s --pub %s, retire --kid %s, publish;\n"
           "then restart 'serve' so that the feed is signed with the new key\n",
           cfg->id, new_hex, pub_path, cfg->token.token, old_hex, pub_old, cfg->id, pub_path, old_hex);
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
    if (cfg.token.module[0]) return iss_rotate_token(o, &cfg);
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
    if (cfg.token.module[0]) {
        char key_hex[2 * P11_ID_LEN + 1];
        sodium_bin2hex(key_hex, sizeof key_hex, cfg.token.key_id, P11_ID_LEN);
        printf("key: in the security module, token '%s' (module %s, key id %s), not extractable\n",
               cfg.token.token, cfg.token.module, key_hex);
    } else
        printf("key: issuer.key (an encrypted file)\n");
    return ISS_EXIT_OK;
}
