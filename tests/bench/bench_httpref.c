/*
 * bench_httpref.c: the two reference handlers of the service benchmark,
 * on CivetWeb with the service's own settings (verifier/service/service.c: 256
 * threads, 10 s request timeout, keep-alive 5 s), so that `make bench`
 * compares the verification endpoint with what the same server does
 * with nothing (POST /trivial) and with one Ed25519 check per request
 * (POST /verify1: crypto_sign_verify_detached over a message the size of an
 * attestation's Sig_structure). Both read the request body and answer a
 * small JSON object, as the real endpoint does.
 *
 * Usage: bench_httpref 127.0.0.1:PORT   (runs until SIGTERM)
 */
#include <civetweb.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t ref_stop;
static uint8_t ref_pk[32], ref_msg[380], ref_sig[64];

static void ref_on_signal(int sig)
{
    (void)sig;
    ref_stop = 1;
}

static int ref_read_body(struct mg_connection *conn)
{
    char buf[4096];
    int n, total = 0;
    while ((n = mg_read(conn, buf, sizeof buf)) > 0) total += n;
    return total;
}

static void ref_answer(struct mg_connection *conn, const char *json)
{
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\n\r\n%s",
              strlen(json), json);
}

static int ref_trivial(struct mg_connection *conn, void *arg)
{
    (void)arg;
    ref_read_body(conn);
    ref_answer(conn, "{\"result\":\"valid\"}");
    return 200;
}

static int ref_verify1(struct mg_connection *conn, void *arg)
{
    (void)arg;
    ref_read_body(conn);
    int ok = crypto_sign_verify_detached(ref_sig, ref_msg, sizeof ref_msg, ref_pk) == 0;
    ref_answer(conn, ok ? "{\"result\":\"valid\"}" : "{\"result\":\"invalid_signature\"}");
    return 200;
}

int main(int argc, char **argv)
{
    if (argc != 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: bench_httpref 127.0.0.1:PORT\n");
        return 2;
    }
    uint8_t sk[64];
    crypto_sign_keypair(ref_pk, sk);
    randombytes_buf(ref_msg, sizeof ref_msg);
    crypto_sign_detached(ref_sig, NULL, ref_msg, sizeof ref_msg, sk);
    const char *options[] = {"listening_ports",
                             argv[1],
                             "num_threads",
                             "256",
                             "request_timeout_ms",
                             "10000",
                             "enable_keep_alive",
                             "yes",
                             "keep_alive_timeout_ms",
                             "5000",
                             NULL};
    mg_init_library(0);
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof cb);
    struct mg_context *ctx = mg_start(&cb, NULL, options);
    if (!ctx) {
        fprintf(stderr, "bench_httpref: cannot listen on %s\n", argv[1]);
        return 2;
    }
    mg_set_request_handler(ctx, "/trivial$", ref_trivial, NULL);
    mg_set_request_handler(ctx, "/verify1$", ref_verify1, NULL);
    signal(SIGTERM, ref_on_signal);
    signal(SIGINT, ref_on_signal);
    while (!ref_stop) {
        struct timespec nap = {0, 100 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    mg_stop(ctx);
    return 0;
}
