// scan-worker.js: reads QR codes in camera frames, photos and rendered PDF
// pages, off the page's thread, for browsers whose BarcodeDetector does not
// read QR codes (desktop Linux and Windows Chromium, Firefox, most of iOS).
//
// The reader is zxing-cpp built for WebAssembly (npm zxing-wasm, the reader
// part only). Its .wasm file is served by the service like every other file
// of the pages (web/build.mjs copies it to __ZXING_WASM__) and kept offline by
// the service worker: locateFile points there, so the library's default, a
// CDN, is never asked. Where WebAssembly cannot run (a browser without it, or
// a policy without 'wasm-unsafe-eval'), jsQR, plain JavaScript, reads instead.
//
// Message in:  {id, data: Uint8ClampedArray RGBA, width, height, thorough}
//              or {id, kind: true} (which reader runs here).
// Message out: {id, text, texts, small} where texts are the codes read (one
//              per symbol, in reading order), text the first or null, and
//              small tells that a code was seen but could not be read (found,
//              not decoded, and small in the image: "move closer").
/* global __ZXING_WASM__ */
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import jsQR from 'jsqr';

let zxing = null; // a promise of true (the wasm reader is ready) or false (jsQR only)

function ready() {
  if (!zxing) {
    zxing = (async () => {
      if (typeof WebAssembly !== 'object') return false;
      try {
        await prepareZXingModule({
          overrides: { locateFile: (file, prefix) => (file.endsWith('.wasm') ? __ZXING_WASM__ : prefix + file) },
          fireImmediately: true,
        });
        return true;
      } catch {
        return false;
      }
    })();
  }
  return zxing;
}

// A code is "small" when its box is under this many pixels wide in the frame read: its modules are then
// under about 2 px for the codes of an attestation (version 10 to 15, 57 to 77 modules).
const SMALL_CODE = 160;

async function readZxing(imageData, thorough) {
  const results = await readBarcodes(imageData, {
    formats: ['QRCode'],
    tryHarder: true,
    tryRotate: thorough,
    tryInvert: thorough,
    tryDownscale: true,
    maxNumberOfSymbols: thorough ? 8 : 2,
    returnErrors: true,
  });
  const texts = [];
  let small = false;
  for (const r of results) {
    if (r.isValid && r.text) {
      if (!texts.includes(r.text)) texts.push(r.text);
    } else if (r.position) {
      const p = r.position;
      const w = Math.max(Math.abs(p.topRight.x - p.topLeft.x), Math.abs(p.bottomRight.x - p.bottomLeft.x));
      if (w > 0 && w < SMALL_CODE) small = true;
    }
  }
  return { texts, small: !texts.length && small };
}

function readJsqr(imageData, thorough) {
  const r = jsQR(imageData.data, imageData.width, imageData.height, { inversionAttempts: thorough ? 'attemptBoth' : 'dontInvert' });
  return { texts: r && typeof r.data === 'string' && r.data.length ? [r.data] : [], small: false };
}

self.onmessage = async (ev) => {
  const { id, data, width, height, thorough, kind } = ev.data;
  const wasm = await ready();
  if (kind) {
    self.postMessage({ id, kind: wasm ? 'zxing' : 'jsqr' });
    return;
  }
  let out = { texts: [], small: false };
  try {
    const img = { data, width, height, colorSpace: 'srgb' };
    out = wasm ? await readZxing(img, thorough) : readJsqr(img, thorough);
  } catch {
    out = { texts: [], small: false };
  }
  self.postMessage({ id, text: out.texts[0] || null, texts: out.texts, small: out.small });
};
