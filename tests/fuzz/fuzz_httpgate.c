/*
 * fuzz_httpgate.c: libFuzzer target for the pure parts of the server's
 * gate (http/httpd.h): path decoding, Content-Length, header tokens,
 * entity-tag lists, byte ranges and Accept-Encoding. The first byte picks
 * the parser; the rest is its input. Never a crash, and what each promises:
 * a decoded path never holds a control character, a backslash, "//" or a
 * dot segment and starts with '/'; a parsed length is all digits; a range
 * lies inside the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *in)
{
    char out[HTTPD_PATH_MAX + 1];
    int st = httpd_decode_path(out, in);
    if (st != 0 && st != 400 && st != 404 && st != 414) __builtin_trap();
    if (st != 0) return;
    if (out[0] != '/' || strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../")) __builtin_trap();
    size_t n = strlen(out);
    if (n >= 2 && strcmp(out + n - 2, "/.") == 0) __builtin_trap();
    if (n >= 3 && strcmp(out + n - 3, "/..") == 0) __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c > 0x7e || c == '\\') __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192) return 0;
    char *in = malloc(size);
    if (!in) __builtin_trap();
    memcpy(in, data + 1, size - 1);
    in[size - 1] = '\0';
    long long n = 0, a = 0, b = 0;
    switch (data[0] % 6) {
    case 0:
        check_path(in);
        break;
    case 1:
        if (httpd_parse_length(in, &n) && (n < 0 || in[0] < '0' || in[0] > '9')) __builtin_trap();
        break;
    case 2: {
        char *sep = strchr(in, '|');
        if (sep) {
            *sep = '\0';
            (void)httpd_has_token(in, sep + 1);
            (void)httpd_etag_listed(in, sep + 1);
        }
        break;
    }
    case 3: {
        long long sizes[] = {0, 1, 100, 65536, 1LL << 40};
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            int r = httpd_parse_range(in, sizes[i], &a, &b);
            if (r == 1 && (a < 0 || b < a || b >= sizes[i])) __builtin_trap();
        }
        break;
    }
    case 4:
        (void)httpd_accepts_gzip(in);
        break;
    default:
        (void)httpd_has_token(in, "close");
        break;
    }
    free(in);
    return 0;
}
