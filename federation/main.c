/*
 * api-federation: the ministry's tool. It holds the root key and signs the
 * trust list of issuers (see docs/man/api-federation.1).
 *
 *   init        root key pair in FED (root.key encrypted, root.pub)
 *   add-issuer  admit an issuer's public key
 *   add-receipt-signer  list a verifier's receipt key (its receipts are then
 *               checkable against the root)
 *   retire      mark a key retired (attestations issued before stay valid;
 *               for a receipt signer, receipts signed before)
 *   compromise  mark a key compromised (nothing it signed verifies)
 *   set-epoch   record an issuer's new feed epoch (after a restore)
 *   publish     sign the trust list, sequence number + 1
 *   list        show the issuers
 *
 * The commands are one table (fed_commands: name, options, handler, lines
 * of the usage text), from which common/cli prints the usage, checks the
 * options and finds the handler; the exit codes are FED_EXIT_*, below.
 *
 * It never handles issuers' secrets, and it prints no secret.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/time.h"
#include "common/b64url.h"
#include "common/cli.h"
#include "federation/fedstate.h"
#include "common/fs.h"
#include "common/jsonfile.h"
#include "common/p11.h"
#include "common/signer.h"
#include "qr/trust.h"

/*
 * The exit codes of api-federation, in the words of its man page's EXIT
 * STATUS (the usage text ends with them too):
 *   0  success;
 *   2  usage error or invalid input: an unknown command or option, a
 *      missing --dir or other required option, a bad --kdf, --epoch, --at
 *      or --expires value, an identifier, name or feed URL that breaks the
 *      rules, a file that is not a public key, a key already admitted, a
 *      kid that is malformed or not in the federation, an attempt to
 *      retire a compromised key, a damaged FED/federation.json: nothing
 *      was changed;
 *   3  key or passphrase error: no passphrase available, a wrong
 *      passphrase or a damaged key file, a file that is not a root key;
 *      for a root key in a security module: no PIN, a wrong or locked
 *      PIN, a module that cannot be loaded, no token with the label, the
 *      key missing from the token or not matching root.pub, a signature
 *      of the token that does not verify (nothing was written);
 *   4  file-system error: a folder or file that cannot be created or
 *      written, init over an existing federation or key, FED without a
 *      federation.json, no memory.
 * It never exits with 1. Every code is common/cli.h's, which its helpers
 * exit with.
 */
enum {
    FED_EXIT_OK = CLI_OK,       /* 0 */
    FED_EXIT_USAGE = CLI_USAGE, /* 2 */
    FED_EXIT_KEY = CLI_KEY,     /* 3 */
    FED_EXIT_IO = CLI_IO,       /* 4 */
};

static const char usage_head[] = "Usage: api-federation COMMAND [OPTIONS]\n"
                                 "\n"
                                 "The federation root: signs the trust list of préfectures (issuers).\n"
                                 "\n"
                                 "Commands:\n";

static const char usage_tail[] =
    "\n"
    "Passphrase of the root key: --passphrase-file FILE, else the environment variable\n"
    "API_PASSPHRASE, else a prompt on the terminal. A root key in a security module\n"
    "(init --pkcs11-module PATH --token-label LABEL): its PIN from --pin-file FILE, else\n"
    "the environment variable API_PKCS11_PIN.\n"
    "\n"
    "Exit codes: 0 success; 2 usage error or invalid input; 3 key, passphrase or PIN error\n"
    "(also a token or a key missing from it);\n"
    "4 file-system error.\n";

typedef struct {
    const char *dir, *id, *name, *pub, *feed, *out, *expires, *kid, *at, *passphrase_file, *kdf;
    const char *pkcs11_module, *token_label, *pin_file; /* the root key in a security module */
    long epoch;
    int epoch_given;
} fed_opts;

static void fed_require(const char *value, const char *option)
{
    if (!value) cli_fail(FED_EXIT_USAGE, "%s is required (try --help)", option);
}

static void fed_path(char *out, size_t cap, const char *dir, const char *name)
{
    if (fs_join(out, cap, dir, name) != 0) cli_fail(FED_EXIT_USAGE, "path too long: %s", dir);
}

static void fed_load(trust_list *tl, const char *dir)
{
    char err[512];
    api_err e = fedstate_load(tl, dir, err, sizeof err);
    if (e != API_OK) cli_fail(cli_code_for(e), "%s", err);
}

static void fed_save(const trust_list *tl, const char *dir)
{
    api_err e = fedstate_save(tl, dir);
    if (e != API_OK) cli_fail(FED_EXIT_IO, "cannot save the federation state: %s", api_strerror(e));
}

/*
 * The root key in a security module (common/p11.h, docs/deploy/hsm.md):
 * init --pkcs11-module PATH --token-label LABEL makes the Ed25519 pair in
 * the token (not extractable) and writes FED/root-token.json (the module,
 * the token's label, the key's id: no secret) instead of FED/root.key;
 * publish then signs with the token, the PIN from --pin-file or
 * API_PKCS11_PIN, and checks the signature against root.pub first.
 */
#define FED_TOKEN_FILE "root-token.json"

static void fed_token_names(p11_ref *ref, const fed_opts *o)
{
    if (o->pkcs11_module) snprintf(ref->module, sizeof ref->module, "%s", o->pkcs11_module);
    if (o->token_label) snprintf(ref->token, sizeof ref->token, "%s", o->token_label);
    if (!ref->module[0] || !ref->token[0])
        cli_fail(FED_EXIT_USAGE, "a root key in a token needs --pkcs11-module and --token-label");
    if ((o->pkcs11_module && strlen(o->pkcs11_module) >= sizeof ref->module) ||
        (o->token_label && strlen(o->token_label) >= sizeof ref->token))
        cli_fail(FED_EXIT_USAGE,
                 "--pkcs11-module or --token-label is too long (a label has at most 32 bytes)");
}

static int fed_init_token(const fed_opts *o, const char *pub_path, const char *state_path,
                          const char *token_path)
{
    p11_ref ref;
    memset(&ref, 0, sizeof ref);
    fed_token_names(&ref, o);
    p11_token *t = cli_open_token(ref.module, ref.token, o->pin_file);
    uint8_t pk[COSE_PK_LEN];
    char err[512] = "";
    api_err e = p11_ed25519_generate(t, "api-federation root key", ref.key_id, pk, err, sizeof err);
    if (e != API_OK) {
        p11_close(t);
        cli_fail(FED_EXIT_KEY, "%s", err);
    }
    int made_dir = access(o->dir, F_OK) != 0;
    char text[64];
    b64url_encode(text, sizeof text, pk, sizeof pk);
    size_t n = strlen(text);
    text[n++] = '\n';
    /* None of the three files existed (fed_cmd_init checked): on a failure, whichever was written is removed.
     */
    cJSON *root = cJSON_CreateObject();
    trust_list tl = {0};
    const char *step = NULL;
    if (!root || cJSON_AddNumberToObject(root, "version", 1) == NULL || p11_ref_to_json(root, &ref) != 0) {
        step = "out of memory";
        e = API_ERR_NOMEM;
    } else if (fs_mkdirs(o->dir, 0700) != API_OK) {
        step = "cannot create the folder";
        e = API_ERR_IO;
    } else if ((e = fs_write_atomic(pub_path, text, n, 0644, 1)) != API_OK)
        step = "cannot write root.pub";
    else if ((e = jsonfile_write(token_path, root, 0644, 1)) != API_OK)
        step = "cannot write " FED_TOKEN_FILE;
    else if ((e = fedstate_save(&tl, o->dir)) != API_OK)
        step = "cannot write federation.json";
    cJSON_Delete(root);
    if (step) { /* take everything back: nothing half-made stays, in the folder or the token */
        unlink(token_path);
        unlink(pub_path);
        unlink(state_path);
        if (made_dir) rmdir(o->dir);
        p11_destroy(t, ref.key_id);
        p11_close(t);
        cli_fail(FED_EXIT_IO, "%s in %s: %s", step, o->dir, api_strerror(e));
    }
    p11_close(t);
    char kid_hex[17], key_hex[2 * P11_ID_LEN + 1];
    uint8_t kid[COSE_KID_LEN];
    cose_kid(kid, pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    sodium_bin2hex(key_hex, sizeof key_hex, ref.key_id, P11_ID_LEN);
    printf(
        "federation created in %s\n  root public key: %s (kid %s)\n  root secret key: in the token '%s' (key "
        "id %s), not extractable\n",
        o->dir, pub_path, kid_hex, ref.token, key_hex);
    return FED_EXIT_OK;
}

/*
 * The trust list signed with the root key: in the token when
 * FED/root-token.json says so, else FED/root.key read with the passphrase.
 */
static api_err fed_sign(uint8_t **cose, size_t *cose_len, const trust_list *tl, const fed_opts *o)
{
    char key_path[4096], token_path[4096], pub_path[4096];
    fed_path(key_path, sizeof key_path, o->dir, "root.key");
    fed_path(token_path, sizeof token_path, o->dir, FED_TOKEN_FILE);
    fed_path(pub_path, sizeof pub_path, o->dir, "root.pub");
    if (access(token_path, F_OK) != 0) {
        if (o->pkcs11_module || o->token_label)
            cli_fail(FED_EXIT_USAGE,
                     "this federation's root key is a file (root.key), not in a token: leave out "
                     "--pkcs11-module and --token-label");
        uint8_t sk[crypto_sign_SECRETKEYBYTES];
        cli_read_secret(sk, sizeof sk, key_path, o->passphrase_file);
        api_err e = trust_sign(cose, cose_len, tl, sk);
        sodium_memzero(sk, sizeof sk);
        return e;
    }
    cJSON *root = NULL;
    p11_ref ref;
    if (jsonfile_read(&root, token_path, 65536) != API_OK || !root || p11_ref_from_json(&ref, root) != 0) {
        cJSON_Delete(root);
        cli_fail(FED_EXIT_USAGE, "%s is damaged", token_path);
    }
    cJSON_Delete(root);
    fed_token_names(&ref, o);
    uint8_t root_pk[COSE_PK_LEN], pk[COSE_PK_LEN];
    if (b64url_read_key_file(root_pk, pub_path) != API_OK) cli_fail(FED_EXIT_KEY, "cannot read %s", pub_path);
    p11_token *t = cli_open_token(ref.module, ref.token, o->pin_file);
    p11_key key;
    char err[512] = "";
    api_err e = p11_ed25519_find(&key, pk, t, ref.key_id, err, sizeof err);
    if (e == API_OK && memcmp(pk, root_pk, sizeof pk) != 0) {
        e = API_ERR_TOKEN;
        snprintf(err, sizeof err, "the token's root key does not match root.pub");
    }
    if (e != API_OK) {
        p11_close(t);
        cli_fail(FED_EXIT_KEY, "%s", err);
    }
    api_signer by;
    signer_init_device(&by, root_pk, p11_key_sign, &key); /* each signature checked against root.pub */
    e = trust_sign_with(cose, cose_len, tl, &by);
    p11_close(t);
    if (e == API_ERR_SIGNATURE || e == API_ERR_TOKEN)
        cli_fail(FED_EXIT_KEY, "the token could not sign the trust list: %s", api_strerror(e));
    return e;
}

static int fed_cmd_init(const void *opts)
{
    const fed_opts *o = opts;
    keyfile_kdf kdf;
    if (keyfile_kdf_parse(&kdf, o->kdf) != 0)
        cli_fail(FED_EXIT_USAGE, "--kdf: expected interactive, moderate or sensitive");
    char key_path[4096], pub_path[4096], state_path[4096], token_path[4096];
    fed_path(key_path, sizeof key_path, o->dir, "root.key");
    fed_path(pub_path, sizeof pub_path, o->dir, "root.pub");
    fed_path(state_path, sizeof state_path, o->dir, "federation.json");
    fed_path(token_path, sizeof token_path, o->dir, FED_TOKEN_FILE);
    /* Check everything first, so that a refused init leaves the folder as it was. */
    const char *existing[] = {key_path, pub_path, state_path, token_path};
    for (size_t i = 0; i < 4; i++)
        if (access(existing[i], F_OK) == 0)
            cli_fail(FED_EXIT_IO,
                     "%s already exists: %s already holds a federation, refusing to overwrite it",
                     existing[i], o->dir);
    if (o->pkcs11_module || o->token_label) return fed_init_token(o, pub_path, state_path, token_path);
    if (fs_mkdirs(o->dir, 0700) != API_OK) cli_fail(FED_EXIT_IO, "cannot create %s", o->dir);
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    cli_write_secret(key_path, sk, sizeof sk, o->passphrase_file, kdf);
    sodium_memzero(sk, sizeof sk);
    cli_write_public_key(pub_path, pk);
    trust_list tl = {0};
    fed_save(&tl, o->dir);
    char kid_hex[17];
    uint8_t kid[COSE_KID_LEN];
    cose_kid(kid, pk);
    sodium_bin2hex(kid_hex, sizeof kid_hex, kid, sizeof kid);
    printf("federation created in %s\n  root public key: %s (kid %s)\n  root secret key: %s (encrypted)\n",
           o->dir, pub_path, kid_hex, key_path);
    return FED_EXIT_OK;
}

static int fed_cmd_add_issuer(const void *opts)
{
    const fed_opts *o = opts;
    fed_require(o->id, "--id");
    fed_require(o->name, "--name");
    fed_require(o->pub, "--pub");
    trust_entry t;
    memset(&t, 0, sizeof t);
    if (strlen(o->id) >= sizeof t.id || strlen(o->name) >= sizeof t.name ||
        (o->feed && strlen(o->feed) >= sizeof t.feed))
        cli_fail(FED_EXIT_USAGE, "--id, --name or --feed is too long");
    strcpy(t.id, o->id);
    strcpy(t.name, o->name);
    if (o->feed) strcpy(t.feed, o->feed);
    t.epoch = (uint64_t)o->epoch;
    api_err e = b64url_read_key_file(t.pub, o->pub);
    if (e != API_OK)
        cli_fail(FED_EXIT_USAGE, "%s: not a public key file (one base64url line of 32 bytes)", o->pub);
    cose_kid(t.kid, t.pub);
    trust_list tl;
    fed_load(&tl, o->dir);
    e = fedstate_add(&tl, &t);
    if (e == API_ERR_EXISTS) cli_fail(FED_EXIT_USAGE, "this key (kid) is already in the federation");
    char err[256];
    if (e == API_OK) e = trust_validate(&tl, err, sizeof err);
    if (e != API_OK)
        cli_fail(FED_EXIT_USAGE, "cannot add %s: %s", o->id, e == API_ERR_TRUST_LIST ? err : api_strerror(e));
    fed_save(&tl, o->dir);
    char kid_hex[17];
    sodium_bin2hex(kid_hex, sizeof kid_hex, t.kid, sizeof t.kid);
    printf("added issuer %s (%s), kid %s; run 'publish' to sign a new trust list\n", t.id, t.name, kid_hex);
    trust_free(&tl);
    return FED_EXIT_OK;
}

static int fed_cmd_add_receipt_signer(const void *opts)
{
    const fed_opts *o = opts;
    fed_require(o->name, "--name");
    fed_require(o->pub, "--pub");
    trust_receipt_signer s;
    memset(&s, 0, sizeof s);
    if (strlen(o->name) >= sizeof s.name) cli_fail(FED_EXIT_USAGE, "--name is too long");
    strcpy(s.name, o->name);
    s.state = TRUST_ACTIVE;
    api_err e = b64url_read_key_file(s.pub, o->pub);
    if (e != API_OK)
        cli_fail(FED_EXIT_USAGE, "%s: not a public key file (one base64url line of 32 bytes)", o->pub);
    cose_kid(s.kid, s.pub);
    trust_list tl;
    fed_load(&tl, o->dir);
    e = fedstate_add_receipt_signer(&tl, &s);
    if (e == API_ERR_EXISTS) cli_fail(FED_EXIT_USAGE, "this key (kid) is already in the federation");
    char err[256];
    if (e == API_OK) e = trust_validate(&tl, err, sizeof err);
    if (e != API_OK)
        cli_fail(FED_EXIT_USAGE, "cannot add the receipt signer: %s",
                 e == API_ERR_TRUST_LIST ? err : api_strerror(e));
    fed_save(&tl, o->dir);
    char kid_hex[17];
    sodium_bin2hex(kid_hex, sizeof kid_hex, s.kid, sizeof s.kid);
    printf("added receipt signer %s, kid %s; run 'publish' to sign a new trust list\n", s.name, kid_hex);
    trust_free(&tl);
    return FED_EXIT_OK;
}

static void fed_parse_kid(uint8_t kid[COSE_KID_LEN], const char *kid_hex)
{
    size_t got;
    if (!kid_hex || sodium_hex2bin(kid, COSE_KID_LEN, kid_hex, strlen(kid_hex), NULL, &got, NULL) != 0 ||
        got != COSE_KID_LEN || strlen(kid_hex) != 2 * COSE_KID_LEN)
        cli_fail(FED_EXIT_USAGE, "--kid: expected 16 hexadecimal characters (see 'list')");
}

static trust_entry *fed_find_kid(trust_list *tl, const char *kid_hex)
{
    uint8_t kid[COSE_KID_LEN];
    fed_parse_kid(kid, kid_hex);
    trust_entry *t = (trust_entry *)trust_find_kid(tl, kid);
    if (!t) cli_fail(FED_EXIT_USAGE, "no key with kid %s in the federation", kid_hex);
    return t;
}

/* The time of --at, or now. */
static int64_t fed_at(const fed_opts *o)
{
    int64_t at = cli_now();
    if (o->at && time_parse_instant(&at, o->at) != 0)
        cli_fail(FED_EXIT_USAGE, "--at: not a date or time: '%s'", o->at);
    return at;
}

/* retire and compromise of a verifier's receipt key: retire only (its receipts signed before stay valid). */
static int fed_set_receipt_signer_state(const fed_opts *o, trust_list *tl, trust_receipt_signer *s,
                                        trust_state state)
{
    if (state != TRUST_RETIRED)
        cli_fail(FED_EXIT_USAGE,
                 "kid %s is a receipt signer: retire it, with --at the time from which its receipts must be "
                 "refused",
                 o->kid);
    s->state = TRUST_RETIRED;
    s->retired_at = fed_at(o);
    fed_save(tl, o->dir);
    printf("receipt key %s of %s is now retired; run 'publish' to sign a new trust list\n", o->kid, s->name);
    trust_free(tl);
    return FED_EXIT_OK;
}

static int fed_set_state(const fed_opts *o, trust_state state)
{
    trust_list tl;
    fed_load(&tl, o->dir);
    uint8_t kid[COSE_KID_LEN];
    fed_parse_kid(kid, o->kid);
    trust_receipt_signer *rs = (trust_receipt_signer *)trust_find_receipt_signer(&tl, kid);
    if (rs) return fed_set_receipt_signer_state(o, &tl, rs, state);
    trust_entry *t = fed_find_kid(&tl, o->kid);
    if (t->state == TRUST_COMPROMISED && state != TRUST_COMPROMISED)
        cli_fail(FED_EXIT_USAGE, "a compromised key stays compromised");
    int64_t at = fed_at(o);
    t->state = state;
    t->retired_at = state == TRUST_RETIRED ? at : 0;
    fed_save(&tl, o->dir);
    printf("key %s of %s is now %s; run 'publish' to sign a new trust list\n", o->kid, t->id,
           trust_state_name(state));
    trust_free(&tl);
    return FED_EXIT_OK;
}

static int fed_cmd_publish(const void *opts)
{
    const fed_opts *o = opts;
    fed_require(o->out, "--out");
    time_duration d;
    if (time_parse_duration(&d, o->expires) != 0)
        cli_fail(FED_EXIT_USAGE, "--expires: expected a duration such as 30d, 2w or 3m, got '%s'",
                 o->expires);
    trust_list tl;
    fed_load(&tl, o->dir);
    tl.seq += 1;
    tl.iat = cli_now();
    tl.exp = time_add_duration(tl.iat, d);
    uint8_t *cose;
    size_t cose_len;
    api_err e = fed_sign(&cose, &cose_len, &tl, o);
    if (e != API_OK) cli_fail(cli_code_for(e), "cannot sign the trust list: %s", api_strerror(e));
    e = fs_write_atomic(o->out, cose, cose_len, 0644, 0);
    free(cose);
    if (e != API_OK) cli_fail(FED_EXIT_IO, "cannot write %s: %s", o->out, api_strerror(e));
    fed_save(&tl, o->dir); /* the sequence number is used only once the list is written */
    char until[26];
    time_format_paris(until, tl.exp);
    printf("trust list %llu signed: %s (%zu keys, expires %s)\n", (unsigned long long)tl.seq, o->out, tl.n,
           until);
    trust_free(&tl);
    return FED_EXIT_OK;
}

static int fed_cmd_list(const void *opts)
{
    const fed_opts *o = opts;
    trust_list tl;
    fed_load(&tl, o->dir);
    printf("last published sequence: %llu\n", (unsigned long long)tl.seq);
    for (size_t i = 0; i < tl.n; i++) {
        const trust_entry *t = &tl.entries[i];
        char kid_hex[17];
        sodium_bin2hex(kid_hex, sizeof kid_hex, t->kid, sizeof t->kid);
        printf("%-8s %s  %-11s %s%s%s\n", t->id, kid_hex, trust_state_name(t->state), t->name,
               t->feed[0] ? "  feed " : "", t->feed);
    }
    for (size_t i = 0; i < tl.n_receipt_signers; i++) {
        const trust_receipt_signer *s = &tl.receipt_signers[i];
        char kid_hex[17];
        sodium_bin2hex(kid_hex, sizeof kid_hex, s->kid, sizeof s->kid);
        printf("%-8s %s  %-11s %s\n", "receipts", kid_hex, trust_state_name(s->state), s->name);
    }
    trust_free(&tl);
    return FED_EXIT_OK;
}

/*
 * Records a new feed epoch for every key of an issuer id (an issuer
 * restored from a backup starts one: api-issuer restore prints it). Only
 * forward: an epoch at or below the recorded one would let an old history
 * back in.
 */
static int fed_cmd_set_epoch(const void *opts)
{
    const fed_opts *o = opts;
    fed_require(o->id, "--id");
    if (!o->epoch_given) cli_fail(FED_EXIT_USAGE, "--epoch is required (try --help)");
    trust_list tl;
    fed_load(&tl, o->dir);
    size_t n = 0;
    uint64_t held = 0;
    for (size_t i = 0; i < tl.n; i++)
        if (strcmp(tl.entries[i].id, o->id) == 0) {
            if (tl.entries[i].epoch > held) held = tl.entries[i].epoch;
            n++;
        }
    if (n == 0) cli_fail(FED_EXIT_USAGE, "no issuer %s in the federation", o->id);
    if ((uint64_t)o->epoch <= held)
        cli_fail(FED_EXIT_USAGE, "%s is at epoch %llu already: a new epoch must be greater", o->id,
                 (unsigned long long)held);
    for (size_t i = 0; i < tl.n; i++)
        if (strcmp(tl.entries[i].id, o->id) == 0) tl.entries[i].epoch = (uint64_t)o->epoch;
    fed_save(&tl, o->dir);
    printf("%s: feed epoch %ld (was %llu); run 'publish' to sign a new trust list\n", o->id, o->epoch,
           (unsigned long long)held);
    trust_free(&tl);
    return FED_EXIT_OK;
}

static int fed_cmd_retire(const void *opts)
{
    return fed_set_state(opts, TRUST_RETIRED);
}

static int fed_cmd_compromise(const void *opts)
{
    return fed_set_state(opts, TRUST_COMPROMISED);
}

/* The commands, in the order of the usage text. */
static const cli_command fed_commands[] = {
    {.name = "init",
     .options = "dir passphrase-file kdf pkcs11-module token-label pin-file",
     .run = fed_cmd_init,
     .usage = "  init       --dir FED [--kdf interactive|moderate|sensitive]\n"
              "             [--pkcs11-module PATH --token-label LABEL]\n"
              "             Creates the root key pair: FED/root.key (encrypted), FED/root.pub (base64url);\n"
              "             with a token, the key is made in it and FED/root-token.json says where.\n"},
    {.name = "add-issuer",
     .options = "dir id name pub feed epoch",
     .run = fed_cmd_add_issuer,
     .usage = "  add-issuer --dir FED --id ID --name NAME --pub FILE [--feed URL] [--epoch N]\n"
              "             Admits an issuer key (a second key for the same ID is a key rotation).\n"},
    {.name = "add-receipt-signer",
     .options = "dir name pub",
     .run = fed_cmd_add_receipt_signer,
     .usage = "  add-receipt-signer --dir FED --name ORG --pub FILE\n"
              "             Lists a verifier's receipt key (GET /api/v1/receipt-keys, or the .pub that\n"
              "             'api-verifier receipt rotate-key' writes): its receipts are then checkable\n"
              "             against the root. ORG must be the name the verifier signs as.\n"},
    {.name = "retire",
     .options = "dir kid at",
     .run = fed_cmd_retire,
     .usage = "  retire     --dir FED --kid KID [--at TIME]\n"
              "             Retires a key: attestations it signed before TIME still verify (for a\n"
              "             receipt signer: receipts signed before TIME).\n"},
    {.name = "compromise",
     .options = "dir kid",
     .run = fed_cmd_compromise,
     .usage = "  compromise --dir FED --kid KID\n"
              "             Marks a key compromised: nothing it signed verifies any more.\n"},
    {.name = "set-epoch",
     .options = "dir id epoch",
     .run = fed_cmd_set_epoch,
     .usage = "  set-epoch  --dir FED --id ID --epoch N\n"
              "             Records the new feed epoch of issuer ID (printed by api-issuer restore) for\n"
              "             the next trust list; verifiers then fetch that issuer's feed again.\n"},
    {.name = "publish",
     .options = "dir out expires passphrase-file pkcs11-module token-label pin-file",
     .run = fed_cmd_publish,
     .usage = "  publish    --dir FED --out FILE [--expires 30d]\n"
              "             Signs the trust list (sequence number + 1) into FILE.\n"},
    {.name = "list",
     .options = "dir",
     .run = fed_cmd_list,
     .usage = "  list       --dir FED\n"
              "             Lists the issuers and their keys, then the receipt signers.\n"},
    {.name = NULL},
};

static const struct option fed_longopts[] = {
    {"dir", required_argument, 0, 'd'},
    {"id", required_argument, 0, 'i'},
    {"name", required_argument, 0, 'n'},
    {"pub", required_argument, 0, 'p'},
    {"feed", required_argument, 0, 'f'},
    {"out", required_argument, 0, 'o'},
    {"expires", required_argument, 0, 'e'},
    {"kid", required_argument, 0, 'k'},
    {"at", required_argument, 0, 'a'},
    {"passphrase-file", required_argument, 0, 'P'},
    {"kdf", required_argument, 0, 'K'},
    {"epoch", required_argument, 0, 'E'},
    {"pkcs11-module", required_argument, 0, 'M'},
    {"token-label", required_argument, 0, 'T'},
    {"pin-file", required_argument, 0, 'W'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static const cli_tool fed_tool = {
    .usage_head = usage_head,
    .commands = fed_commands,
    .usage_tail = usage_tail,
    .longopts = fed_longopts,
};

/* The command's options into o, with the defaults of those not given; or exits. */
static void fed_parse(fed_opts *o, cli_args *args)
{
    memset(o, 0, sizeof *o);
    o->expires = "30d";
    o->kdf = "moderate";
    int c;
    while ((c = cli_next_option(args)) != -1) {
        switch (c) {
        case 'd':
            o->dir = optarg;
            break;
        case 'i':
            o->id = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'p':
            o->pub = optarg;
            break;
        case 'f':
            o->feed = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'e':
            o->expires = optarg;
            break;
        case 'k':
            o->kid = optarg;
            break;
        case 'a':
            o->at = optarg;
            break;
        case 'P':
            o->passphrase_file = optarg;
            break;
        case 'K':
            o->kdf = optarg;
            break;
        case 'M':
            o->pkcs11_module = optarg;
            break;
        case 'T':
            o->token_label = optarg;
            break;
        case 'W':
            o->pin_file = optarg;
            break;
        case 'E':
            o->epoch = cli_parse_long("--epoch", optarg, 0, 1000000000L);
            o->epoch_given = 1;
            break;
        default: /* an option of the table without a case here */
            cli_usage(&fed_tool, stderr, FED_EXIT_USAGE);
        }
    }
    if (!o->dir) cli_fail(FED_EXIT_USAGE, "--dir FED is required");
}

int main(int argc, char **argv)
{
    cli_set_program("api-federation");
    cli_malloc_tune();
    if (sodium_init() < 0) cli_fail(FED_EXIT_IO, "libsodium failed to start");
    cli_args args;
    const cli_command *cmd = cli_command_find(&args, &fed_tool, argc, argv);
    fed_opts o;
    fed_parse(&o, &args);
    return cmd->run(&o);
}
