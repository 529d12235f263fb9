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
// Message in:  {id, data: Uint8ClampedArray RGBA, width, height, thorough, options}
//              (options: zxing-cpp reader options for this read, e.g. another binarizer)
//              or {id, kind: true} (which reader runs here).
// Message out: {id, text, texts, small} where texts are the codes read (one
//              per symbol, in reading order), text the first or null, and
//              small tells that a code was seen but could not be read (found,
//              not decoded, and small in the image; or, in a camera frame, its
//              three finder patterns seen with modules of 2 pixels or less:
//              "move closer").
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

// Unsharp masking of an RGBA image, in place, as grey: g + amount × (g − the mean of its box of
// (2r + 1)² pixels, 5 × 5 by default). A slightly blurred photo of a code whose modules are about 3
// pixels gets its edges back.
function sharpen(img, amount, r = 2) {
  const { data, width: w, height: h } = img;
  const g = new Float32Array(w * h);
  for (let i = 0, j = 0; i < g.length; i++, j += 4) g[i] = 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2];
  // The 5 × 5 box mean, by an integral image.
  const W = w + 1;
  const sum = new Float64Array(W * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += g[y * w + x];
      sum[(y + 1) * W + x + 1] = sum[y * W + x + 1] + row;
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      const mean = (sum[y1 * W + x1] - sum[y0 * W + x1] - sum[y1 * W + x0] + sum[y0 * W + x0]) / ((y1 - y0) * (x1 - x0));
      const i = y * w + x;
      const v = g[i] + amount * (g[i] - mean);
      const c = v < 0 ? 0 : v > 255 ? 255 : v;
      const j = i * 4;
      data[j] = c;
      data[j + 1] = c;
      data[j + 2] = c;
    }
  }
}

async function readZxing(imageData, thorough, options) {
  if (options.sharpen) sharpen(imageData, options.sharpen, options.sharpenRadius);
  const results = await readBarcodes(imageData, {
    formats: ['QRCode'],
    tryHarder: true,
    tryRotate: thorough,
    tryInvert: thorough,
    tryDownscale: true,
    maxNumberOfSymbols: thorough ? 8 : 2,
    returnErrors: true,
    ...options,
    sharpen: undefined,
    sharpenRadius: undefined,
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

// Finder patterns too small to read. Where the reader found nothing in a camera frame, a quick look for the
// three corner squares of a QR code (dark-light-dark-light-dark runs in the proportions 1:1:3:1:1, across
// and down) whose modules are under SMALL_MODULE pixels: a code is in view but too far to be read.
const SMALL_MODULE = 2.2;

function runsAt(get, n) {
  // Run lengths along a line, starting with the first dark run: [start, len, dark] triples flattened.
  const runs = [];
  let i = 0;
  while (i < n) {
    const d = get(i);
    let j = i + 1;
    while (j < n && get(j) === d) j++;
    runs.push(i, j - i, d);
    i = j;
  }
  return runs;
}

function finderAt(runs, k) {
  // runs[k..] holds five runs dark, light, dark, light, dark in 1:1:3:1:1: the centre and module, or null.
  if (!runs[k + 2]) return null;
  const c = [runs[k + 1], runs[k + 4], runs[k + 7], runs[k + 10], runs[k + 13]];
  const total = c[0] + c[1] + c[2] + c[3] + c[4];
  const m = total / 7;
  if (total < 5 || m > SMALL_MODULE) return null;
  for (const i of [0, 1, 3, 4]) if (c[i] < 0.4 * m || c[i] > 2 * m + 1) return null;
  if (c[2] < 2 * m - 1 || c[2] > 4.5 * m + 1) return null;
  return { centre: runs[k + 6] + c[2] / 2, m };
}

function smallFinders(img) {
  const { data, width: w, height: h } = img;
  const g = new Uint8Array(w * h);
  let sum = 0;
  for (let i = 0, j = 0; i < g.length; i++, j += 4) {
    g[i] = (77 * data[j] + 150 * data[j + 1] + 29 * data[j + 2]) >> 8;
    sum += g[i];
  }
  const thr = (sum / g.length) * 0.75;
  const dark = (x, y) => g[y * w + x] < thr;
  const found = [];
  for (let y = 0; y < h; y += 1) {
    const runs = runsAt((x) => dark(x, y), w);
    for (let k = 0; k + 14 < runs.length; k += 3) {
      if (!runs[k + 2]) continue;
      const f = finderAt(runs, k);
      if (!f) continue;
      const x = Math.round(f.centre);
      // Down the column through its centre, the same pattern around this row.
      const col = runsAt((yy) => dark(x, yy), h);
      let ok = false;
      for (let q = 0; q + 14 < col.length && !ok; q += 3) {
        const v = col[q + 2] ? finderAt(col, q) : null;
        if (v && Math.abs(v.centre - y) <= v.m * 1.5) ok = true;
      }
      if (ok && !found.some((p) => Math.abs(p.x - x) < 4 * f.m && Math.abs(p.y - y) < 4 * f.m)) found.push({ x, y, m: f.m });
    }
  }
  // Three of them, close enough to be one code's corners.
  for (const a of found) {
    const near = found.filter((b) => Math.hypot(a.x - b.x, a.y - b.y) < 60 * a.m);
    if (near.length >= 3) return true;
  }
  return false;
}

self.onmessage = async (ev) => {
  const { id, data, width, height, thorough, kind, options } = ev.data;
  const wasm = await ready();
  if (kind) {
    self.postMessage({ id, kind: wasm ? 'zxing' : 'jsqr' });
    return;
  }
  let out = { texts: [], small: false };
  try {
    const img = { data, width, height, colorSpace: 'srgb' };
    out = wasm ? await readZxing(img, thorough, options || {}) : readJsqr(img, thorough);
    if (!thorough && !out.texts.length && !out.small) out.small = smallFinders(img);
  } catch {
    out = { texts: [], small: false };
  }
  self.postMessage({ id, text: out.texts[0] || null, texts: out.texts, small: out.small });
};
