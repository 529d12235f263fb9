/*
 * cmd.c: what several of api-issuer's commands share (cmd_int.h): an
 * option they require, a path inside the issuer's folder, the folder's
 * configuration, its signing key and its registry. Each helper succeeds or
 * exits with the tool's code and a message; none prints a secret.
 */
#include <sodium.h>
#include <string.h>

#include "common/cli.h"
#include "common/fs.h"
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

issuer_key *iss_unlock(const iss_opts *o, const issuer_config *cfg)
{
    issuer_key *k = sodium_malloc(sizeof *k); /* locked, guarded */
    if (!k) cli_fail(ISS_EXIT_IO, "out of memory");
    memset(k, 0, sizeof *k);
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
    sodium_free(k); /* wipes */
}
