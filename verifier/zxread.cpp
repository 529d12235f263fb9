/*
 * zxread.cpp: the QR reading of zxing-cpp (Debian libzxing-dev), for C.
 *
 * The only C++ file of the project. It owns the translation of zxread_opts
 * into zxing-cpp's DecodeHints, of its Results into the callback's bytes and
 * corners, and of its exceptions into -1: nothing thrown may unwind through
 * a C frame, so every call is wrapped in one try block, and the callback is
 * called outside zxing-cpp (after ReadBarcodes returned). It must not decide
 * which code or which attempt counts: verifier/image.c does.
 *
 * The bytes are the symbol's content as stored (Result::bytes), as zbar
 * gives them for an ASCII text, so both engines' answers compare equal.
 */
#include "verifier/zxread.h"

#include <climits>
#include <new>

#include <ZXing/ReadBarcode.h>
#include <ZXing/ZXVersion.h>

#define ZXREAD_STR2(x) #x
#define ZXREAD_STR(x)  ZXREAD_STR2(x)

static ZXing::Binarizer zxread_binarizer_of(zxread_binarizer b)
{
    switch (b) {
    case ZXREAD_GLOBAL_HISTOGRAM:
        return ZXing::Binarizer::GlobalHistogram;
    case ZXREAD_FIXED_THRESHOLD:
        return ZXing::Binarizer::FixedThreshold;
    case ZXREAD_LOCAL_AVERAGE:
    default:
        return ZXing::Binarizer::LocalAverage;
    }
}

extern "C" int zxread_gray(const uint8_t *gray, unsigned w, unsigned h, size_t stride, const zxread_opts *o,
                           zxread_found found, void *ctx)
{
    if (!gray || !o || !found || w == 0 || h == 0 || w > INT_MAX || h > INT_MAX || stride < w ||
        stride > INT_MAX || (unsigned long long)w * h > INT_MAX)
        return -1;
    try {
        ZXing::DecodeHints hints;
        hints.setFormats(ZXing::BarcodeFormat::QRCode);
        hints.setBinarizer(zxread_binarizer_of(o->binarizer));
        hints.setTryHarder(o->try_harder != 0);
        hints.setTryRotate(o->try_rotate != 0);
        hints.setTryDownscale(o->try_downscale != 0);
        hints.setMaxNumberOfSymbols(16);
        ZXing::ImageView view(gray, (int)w, (int)h, ZXing::ImageFormat::Lum, (int)stride, 1);
        ZXing::Results results = ZXing::ReadBarcodes(view, hints);
        int n = 0;
        for (const ZXing::Result &r : results) {
            if (r.format() != ZXing::BarcodeFormat::QRCode || !r.isValid()) continue;
            const ZXing::Position &p = r.position();
            int corners[8] = {p.topLeft().x,     p.topLeft().y,     p.topRight().x,   p.topRight().y,
                              p.bottomRight().x, p.bottomRight().y, p.bottomLeft().x, p.bottomLeft().y};
            const ZXing::ByteArray &b = r.bytes();
            n++;
            if (found(ctx, b.data(), b.size(), corners)) break;
        }
        return n;
    } catch (...) {
        return -1;
    }
}

extern "C" const char *zxread_version(void)
{
    return ZXREAD_STR(ZXING_VERSION_MAJOR) "." ZXREAD_STR(ZXING_VERSION_MINOR) "." ZXREAD_STR(
        ZXING_VERSION_PATCH);
}
