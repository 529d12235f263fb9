// build.mjs: builds the web pages into web/dist, which `api-verifier serve
// --web-root web/dist` serves (/check/ is dist/check/index.html and /check
// redirects there).
//
//   dist/check/index.html    the checker: its style and code inside the page
//   dist/holder/index.html   the holder's card, the same way
//   dist/assets/lib-<hash>.js       the verification library (src/lib), loaded by
//                                   both pages once they are usable
//   dist/assets/scan-worker.js      the QR reader where BarcodeDetector does not read QR codes:
//                                   zxing-cpp in WebAssembly (zxing-wasm), jsQR without WebAssembly
//   dist/assets/zxing/zxing_reader.wasm  zxing-cpp's reader, fetched by the scan worker
//   dist/assets/pdfjs/              pdf.js (pdfjs-dist, legacy build: older phones), its worker and
//                                   its decoders' .wasm files, loaded only when a PDF is picked
//   dist/assets/style.css           the style, for the home page
//   dist/check|holder/manifest.json, dist/icons/   installable web apps
//   dist/sw.js                      the service worker (scope /), listing every file
//   dist/csp.txt                    the Content-Security-Policy of every file here:
//                                   one line, read by the service at start and sent
//                                   as a header with each file (see step 5)
//   dist/**/*.gz                    compressed copies (the service sends them to
//                                   browsers that accept gzip)
//
// Each page carries its style and code inline, so that a phone on a slow
// network needs one request to have a usable page; the library follows. The
// policy allows those inline blocks by their SHA-256 hashes, computed here from
// the exact text inlined, and nothing else inline: no 'unsafe-inline', no
// 'unsafe-eval'; the build fails if a page has an inline block without its hash,
// an inline event handler, a style attribute or a javascript: URL.
// Everything comes from src/ and public/ and the npm packages pinned by
// package-lock.json: no CDN, nothing fetched at run time but the page's own
// origin. The build's version is a hash of its output, so a new build means a
// new service worker and a fresh cache (and a new policy: the service must be
// restarted to read it).
import { build } from 'esbuild';
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const pub = path.join(here, 'public');
const dist = path.join(here, 'dist');
const target = ['es2020', 'chrome80', 'safari14.1', 'firefox78'];

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
fs.cpSync(pub, dist, { recursive: true });

/** A CSP hash source for the exact text of an inline <script> or <style> element (UTF-8). */
const cspHash = (text) => `'sha256-${crypto.createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const common = { bundle: true, minify: true, platform: 'browser', target, legalComments: 'eof', logLevel: 'warning',
  charset: 'utf8', absWorkingDir: here };

// 1. The verification library, an ES module named after its content.
const libBuild = await build({
  ...common,
  format: 'esm',
  entryPoints: { 'assets/lib': path.join(src, 'lib/index.js') },
  entryNames: '[dir]/[name]-[hash]',
  outdir: dist,
  metafile: true,
});
const libFile = Object.keys(libBuild.metafile.outputs).find((f) => f.endsWith('.js'));
const libUrl = `/${path.relative('dist', libFile).split(path.sep).join('/')}`;

// 2. The QR reader, in a classic worker, and the WebAssembly file it fetches (from this origin: the
// library's default would be a CDN). pdf.js as published (already minified ES modules), copied.
const nm = path.join(here, 'node_modules');
const ZXING_WASM = '/assets/zxing/zxing_reader.wasm';
fs.mkdirSync(path.join(dist, 'assets', 'zxing'), { recursive: true });
fs.copyFileSync(path.join(nm, 'zxing-wasm/dist/reader/zxing_reader.wasm'), path.join(dist, ZXING_WASM));
await build({
  ...common,
  format: 'iife',
  entryPoints: { 'assets/scan-worker': path.join(src, 'common/scan-worker.js') },
  define: { __ZXING_WASM__: JSON.stringify(ZXING_WASM) },
  outdir: dist,
});
const pdfjsDir = path.join(dist, 'assets', 'pdfjs');
fs.mkdirSync(path.join(pdfjsDir, 'wasm'), { recursive: true });
for (const f of ['pdf.min.mjs', 'pdf.worker.min.mjs']) fs.copyFileSync(path.join(nm, 'pdfjs-dist/legacy/build', f), path.join(pdfjsDir, f));
for (const f of fs.readdirSync(path.join(nm, 'pdfjs-dist/wasm')).filter((x) => x.endsWith('.wasm')))
  fs.copyFileSync(path.join(nm, 'pdfjs-dist/wasm', f), path.join(pdfjsDir, 'wasm', f));

// 3. The pages' code, inlined in their HTML with the style.
const css = fs.readFileSync(path.join(pub, 'assets', 'style.css'), 'utf8');
const cssMin = (await build({ ...common, stdin: { contents: css, loader: 'css' }, external: ['/icons/*'], write: false }))
  .outputFiles[0].text;
const pages = {};
const inline = { script: new Set(), style: new Set() }; // the CSP hashes of what is inlined
for (const p of ['check', 'holder']) {
  const out = await build({
    ...common,
    format: 'iife',
    entryPoints: [path.join(src, p, 'main.js')],
    define: { __LIB_URL__: JSON.stringify(libUrl) },
    external: ['/assets/*'],
    write: false,
    outdir: dist,
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js')).text;
  const html = fs.readFileSync(path.join(src, p, 'index.html'), 'utf8');
  const style = cssMin.trim();
  const script = js.replace(/<\/script/gi, '<\\/script').trim();
  pages[p] = html
    .replace(/<link rel="stylesheet" href="\/assets\/style\.css[^"]*">/, () => `<style>${style}</style>`)
    .replace('<!--app-->', () => `<script>${script}</script>`);
  if (!pages[p].includes('<style>') || !pages[p].includes('<script>')) throw new Error(`${p}/index.html: no place for the style or the code`);
  inline.style.add(cspHash(style));
  inline.script.add(cspHash(script));
}

// The version: a hash of everything built.
const files = [];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(dist);
const h = crypto.createHash('sha256');
for (const f of files.sort()) h.update(path.relative(dist, f)).update(fs.readFileSync(f));
for (const p of Object.keys(pages)) h.update(pages[p]);
const version = h.digest('hex').slice(0, 12);

for (const [p, html] of Object.entries(pages)) {
  fs.mkdirSync(path.join(dist, p), { recursive: true });
  fs.writeFileSync(path.join(dist, p, 'index.html'), html.replaceAll('__VERSION__', version));
}
fs.writeFileSync(path.join(dist, 'index.html'), fs.readFileSync(path.join(dist, 'index.html'), 'utf8').replaceAll('__VERSION__', version));

// 4. The service worker keeps the pages (as /, /check/, /holder/) and every file.
const precache = ['/', '/check/', '/holder/'];
files.length = 0;
walk(dist);
for (const f of files.sort()) {
  const rel = `/${path.relative(dist, f).split(path.sep).join('/')}`;
  if (rel.endsWith('/index.html') || rel.endsWith('.LEGAL.txt')) continue;
  precache.push(rel);
}
await build({
  ...common,
  format: 'iife',
  entryPoints: [path.join(src, 'sw.js')],
  outfile: path.join(dist, 'sw.js'),
  define: { __VERSION__: JSON.stringify(version), __PRECACHE__: JSON.stringify(precache) },
});
fs.writeFileSync(path.join(dist, 'version.txt'), `${version}\n`);

// 5. The Content-Security-Policy of every file of web/dist, one line (the service reads it at start and
// sends it as a header). Written after the service worker's list: it is not a file of the pages.
// - script-src, style-src: the page's own origin, and each inline block by its hash; never
//   'unsafe-inline' nor 'unsafe-eval' (no eval, no new Function, no inline handler, no style="").
// - 'wasm-unsafe-eval' in script-src: compiling WebAssembly, which the QR reader (zxing-cpp, in the scan
//   worker) and pdf.js's image decoders (JPEG 2000, JBIG2, colour profiles, in pdf.js's worker) need;
//   it allows no eval and no new Function (pdf.js runs with isEvalSupported: false).
// - worker-src 'self': the service worker /sw.js, the QR reader /assets/scan-worker.js (a classic
//   worker) and pdf.js's /assets/pdfjs/pdf.worker.min.mjs (a module worker), all files of this origin;
//   no blob: worker (pdf.js makes one only for a worker of another origin).
// - img-src data: blob:: images the pages make themselves: a photo is read from a blob: URL where
//   createImageBitmap is missing (scanner.js); data: for drawn images (none today).
// - media-src 'self' blob:: the camera reaches the <video> through srcObject, which no directive
//   restricts; blob: would admit a stream or file given as a blob: URL (not used today).
// - connect-src 'self': the bundle and POST /api/v1/verify, from the pages and the service worker.
// - frame-ancestors 'none', base-uri 'none', object-src 'none': never framed, no <base>, no plug-in;
//   form-action 'self': the text field's form is handled by the page and never sent anywhere else.
const csp = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${[...inline.script].join(' ')}`,
  `style-src 'self' ${[...inline.style].join(' ')}`,
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
// The pages must live by it: every inline block hashed, no inline handler, style attribute or javascript: URL.
for (const f of files.filter((x) => x.endsWith('.html'))) {
  const html = fs.readFileSync(f, 'utf8');
  const rel = path.relative(here, f);
  for (const [, tag, body] of html.matchAll(/<(script|style)\b[^>]*>([\s\S]*?)<\/\1>/gi)) {
    if (body && !csp.includes(cspHash(body))) throw new Error(`${rel}: an inline <${tag}> not in the policy`);
  }
  const bad = /\son[a-z]+\s*=|\sstyle\s*=|javascript:/i.exec(html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, ''));
  if (bad) throw new Error(`${rel}: "${bad[0].trim()}" is not allowed by the Content-Security-Policy`);
}
if (!/^[\x20-\x7e]+$/.test(csp) || csp.length > 8192) throw new Error('the policy is not one line of ASCII of at most 8 KiB');
fs.writeFileSync(path.join(dist, 'csp.txt'), csp);

// 6. Compressed copies: the service sends FILE.gz for FILE to a browser that accepts gzip.
files.length = 0;
walk(dist);
let pageBytes = 0;
for (const f of files) {
  if (!/\.(js|mjs|css|html|json|svg|wasm)$/.test(f)) continue;
  const gz = zlib.gzipSync(fs.readFileSync(f), { level: 9 });
  fs.writeFileSync(`${f}.gz`, gz);
  if (f.endsWith(`${path.sep}check${path.sep}index.html`)) pageBytes = gz.length;
}
console.log(`web/dist: version ${version}; the checker is ${(pageBytes / 1024).toFixed(1)} KiB compressed, ` +
  `then the library ${(fs.statSync(path.join(here, libFile)).size / 1024).toFixed(0)} KiB; ${precache.length} files kept offline`);
