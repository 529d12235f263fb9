/*
 * fuzz_image.c: libFuzzer target for image_read_qr (verifier/image.c), the
 * decoder that sees HTTP uploads: PNG or JPEG bytes in, a QR text or an
 * error code out, never a crash, a leak or an exit.
 *
 * Inputs over 1 MB are skipped: the pixel bound (IMAGE_MAX_PIXELS), not the
 * byte count, is what limits the work, and small inputs reach it already.
 * Seeds: tests/fuzz/corpus/image/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "verifier/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[16384];
    size_t outlen = 0;

    if (size > 1024 * 1024) return 0;
    api_err e = image_read_qr(out, sizeof out, &outlen, data, size);
    if (e == API_OK) {
        /* The contract: NUL-terminated at outlen, within the buffer. */
        if (outlen >= sizeof out || out[outlen] != '\0') __builtin_trap();
    } else if (outlen != 0 || out[0] != '\0') {
        __builtin_trap();
    }
    return 0;
}
