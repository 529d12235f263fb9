/*
 * cmd.c: what several of api-issuer's commands share (cmd_int.h): an
 * option they require, an input file, a path inside the issuer's folder,
 * the folder's configuration, its signing key and its registry. Each helper succeeds or
 * exits with the tool's code and a message; none prints a secret.
 */
#include <sodium.h>
#include <string.h>

#include "common/cli.h"
#include "common/fs.h"
#include "common/p11.h"
#include "issuer/cmd_int.h"

void iss_require(const char *value, const char *option)
{
    if (!value) cli_fail(ISS_EXIT_USAGE, "%s is required (try --help)", option);
}

void iss_path(char *out, size_t cap, const char *dir, const char *name)
{
    if (fs_join(out, cap, dir, name) != 0) cli_fail(ISS_EXIT_USAGE, "path too long: %s", dir);
}

void iss_load_config(issuer_config *cfg, const char *dir)
{
    char err[512];
    api_err e = issuer_config_load(cfg, dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
}

registry *iss_open_registry(const iss_opts *o)
{
    iss_require(o->dir, "--dir");
    issuer_config cfg;
    iss_load_config(&cfg, o->dir);
    registry *reg;
    api_err e = registry_open(&reg, o->dir);
    if (e != API_OK) cli_fail(ISS_EXIT_IO, "cannot open the registry: %s", api_strerror(e));
    return reg;
}

p11_token *iss_open_token(p11_ref *ref, const iss_opts *o, const issuer_config *cfg)
{
    memset(ref, 0, sizeof *ref);
    if (cfg) *ref = cfg->token;
    const char *module = o->pkcs11_module ? o->pkcs11_module : ref->module;
    const char *label = o->token_label ? o->token_label : ref->token;
    if (!module[0] || !label[0])
        cli_fail(ISS_EXIT_USAGE, "a key in a token needs --pkcs11-module and --token-label");
    if (strlen(module) >= sizeof ref->module || strlen(label) >= sizeof ref->token)
        cli_fail(ISS_EXIT_USAGE,
                 "--pkcs11-module or --token-label is too long (a label has at most 32 bytes)");
    memmove(ref->module, module, strlen(module) + 1);
    memmove(ref->token, label, strlen(label) + 1);
    char pin[KEYFILE_PASSPHRASE_MAX + 1], err[512];
    size_t pin_len;
    api_err e = pin_get(pin, sizeof pin, &pin_len, o->pin_file);
    if (e != API_OK) {
        sodium_memzero(pin, sizeof pin);
        if (o->pin_file)
            cli_fail(ISS_EXIT_KEY, "cannot read the PIN from %s: %s", o->pin_file, api_strerror(e));
        cli_fail(ISS_EXIT_KEY, "no PIN for the token: give --pin-file FILE or set API_PKCS11_PIN");
    }
    p11_token *t;
    e = p11_open(&t, ref->module, ref->token, pin, pin_len, err, sizeof err);
    sodium_memzero(pin, sizeof pin);
    if (e != API_OK) cli_fail(cli_code_for(e) == ISS_EXIT_IO ? ISS_EXIT_IO : ISS_EXIT_KEY, "%s", err);
    return t;
}

/* The token's key and index secret, checked against issuer.pub with a signature that must verify. */
static void iss_unlock_token(issuer_key *k, const iss_opts *o, const issuer_config *cfg)
{
    p11_ref ref;
    k->token = iss_open_token(&ref, o, cfg);
    char err[512];
    uint8_t pk[COSE_PK_LEN];
    api_err e = p11_ed25519_find(&k->device, pk, k->token, ref.key_id, err, sizeof err);
    if (e == API_OK && memcmp(pk, cfg->pk, COSE_PK_LEN) != 0) {
        e = API_ERR_TOKEN;
        snprintf(err, sizeof err,
                 "the token's key does not match issuer.pub (an interrupted rotate-key? check %s)", o->dir);
    }
    if (e == API_OK) {
        signer_init_device(&k->sign, pk, p11_key_sign, &k->device);
        /* One signature first, verified: a token that signs wrongly stops here, before anything is written.
         */
        uint8_t sig[COSE_SIG_LEN];
        static const uint8_t probe[] = "api-issuer: the token signs with the key of issuer.pub";
        e = signer_sign(&k->sign, sig, probe, sizeof probe);
        if (e != API_OK)
            snprintf(err, sizeof err, "the token's signature does not verify with issuer.pub: %s",
                     api_strerror(e));
    }
    if (e == API_OK) {
        static const uint8_t label[] = "api-status-index seed";
        e = p11_hmac(k->seed, k->token, ref.seed_id, label, sizeof label - 1, err, sizeof err);
    }
    if (e != API_OK) {
        iss_lock(k);
        cli_fail(cli_code_for(e) == ISS_EXIT_IO ? ISS_EXIT_IO : ISS_EXIT_KEY, "%s", err);
    }
}

issuer_key *iss_unlock(const iss_opts *o, const issuer_config *cfg)
{
    issuer_key *k = sodium_malloc(sizeof *k); /* locked, guarded */
    if (!k) cli_fail(ISS_EXIT_IO, "out of memory");
    memset(k, 0, sizeof *k);
    if (cfg->token.module[0]) {
        iss_unlock_token(k, o, cfg);
        return k;
    }
    if (o->pkcs11_module || o->token_label)
        cli_fail(ISS_EXIT_USAGE, "this issuer's key is a file (issuer.key), not in a token: leave out "
                                 "--pkcs11-module and --token-label");
    char key_path[4096];
    iss_path(key_path, sizeof key_path, o->dir, "issuer.key");
    cli_read_secret(k->secret, ISSUER_SECRET_LEN, key_path, o->passphrase_file);
    if (memcmp(k->secret + 32, cfg->pk, COSE_PK_LEN) !=
        0) { /* an Ed25519 secret key ends with its public key */
        iss_lock(k);
        cli_fail(ISS_EXIT_KEY, "issuer.key does not match issuer.pub");
    }
    signer_init_key(&k->sign, k->secret);
    memcpy(k->seed, k->secret + COSE_SK_LEN, IDXPERM_SEED_LEN);
    return k;
}

void iss_lock(issuer_key *k)
{
    if (!k) return;
    p11_close(k->token);
    sodium_free(k); /* wipes */
}

uint8_t *iss_read_input(const char *path, size_t *len)
{
    uint8_t *data;
    api_err e = strcmp(path, "-") == 0 ? fs_read_stream(&data, len, 0, ISS_MAX_INPUT)
                                       : fs_read_file(&data, len, path, ISS_MAX_INPUT);
    if (e == API_ERR_TOO_LARGE) cli_fail(ISS_EXIT_USAGE, "%s: larger than %u bytes", path, ISS_MAX_INPUT);
    if (e != API_OK) cli_fail(ISS_EXIT_USAGE, "cannot read %s", path);
    return data;
}
