// Draws the PNG icons of the web app manifests from the SVG icons, with
// Debian's Chromium (headless): node tools/draw-icons.mjs. The PNGs are kept
// in public/icons/ so that the build needs no browser.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  for (const [svg, size, out] of [['icon.svg', 192, 'icon-192.png'], ['icon.svg', 512, 'icon-512.png'],
    ['maskable.svg', 512, 'maskable-512.png'], ['icon.svg', 180, 'apple-touch-icon.png']]) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const data = fs.readFileSync(path.join(dir, svg), 'utf8');
    await page.setContent(`<html><body style="margin:0;background:transparent">` +
      `<img style="display:block;width:${size}px;height:${size}px" src="data:image/svg+xml;base64,${Buffer.from(data).toString('base64')}"></body></html>`);
    await page.screenshot({ path: path.join(dir, out), omitBackground: true });
    await page.close();
  }
} finally {
  await browser.close();
}
