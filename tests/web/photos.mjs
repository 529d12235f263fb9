// photos.mjs: the checker reading generated phone photos of printed
// attestations (tests/photos/make_set.sh, gen_photos.py), in the page, as a
// phone without BarcodeDetector does (zxing-cpp in WebAssembly). Used by
// tests/web/photos.test.mjs (a few photos, `make test`) and by
// tests/bench/bench_web.mjs (200 or more, `make bench`).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, BIN } from './federation.mjs';

/**
 * Makes COUNT photos with SEED in DIR (make_set.sh); returns the manifest's photos with their paths.
 * With vector, every photo carries the published vector `valid` (make_set.sh --vector): the same
 * photos at every run; without, attestations issued for the occasion.
 */
export function makePhotos(dir, count, seed, vector = false) {
  const args = [path.join(ROOT, 'tests/photos/make_set.sh'), dir, String(count), String(seed)];
  if (vector) args.push('--vector');
  execFileSync('bash', args,
    { env: { ...process.env, BIN }, stdio: ['ignore', 'ignore', 'pipe'] });
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'photos', 'manifest.json'), 'utf8'));
  return m.photos.map((p) => ({ ...p, path: path.join(dir, 'photos', p.file) }));
}

/**
 * Reads each photo in the page (window.apiCheck.readCodes, the reading of a picked file); returns
 * [{file, ok, ms, width, page_width, texts}]: ok when the photo's code is among the texts read.
 */
export async function readPhotos(page, photos) {
  const out = [];
  for (const p of photos) {
    const b64 = fs.readFileSync(p.path).toString('base64');
    const r = await page.evaluate(async ([data, name]) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const file = new File([bytes], name, { type: 'image/jpeg' });
      const t0 = performance.now();
      const texts = await window.apiCheck.readCodes(file);
      return { texts, ms: performance.now() - t0 };
    }, [b64, p.file]);
    out.push({ file: p.file, ok: r.texts.includes(p.qr), ms: r.ms, width: p.width, page_width: p.page_width, texts: r.texts });
  }
  return out;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
