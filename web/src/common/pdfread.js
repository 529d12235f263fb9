// pdfread.js: the QR codes of a PDF document, read on the phone. An
// attestation travels as a PDF attached to an e-mail; the checker renders its
// pages with pdf.js and reads each one like a photo (scanner.js). Nothing
// leaves the phone: pdf.js and its worker are files of this origin
// (web/build.mjs copies them from the pinned npm package pdfjs-dist to
// /assets/pdfjs/), loaded only when a PDF is picked, and kept offline by the
// service worker like the rest of the pages.
//
// - Pages are rendered at 150 dpi, which gives a 45 mm code about 265 pixels
//   (a version-15 code: 3.4 pixels a module); a page where nothing is read is
//   rendered again at 300 dpi.
// - At most the first PDF_MAX_PAGES pages are read; the result says how many
//   the document has, so that the page can say what was not read.
// - A rendered page is sharp and straight, so it is read at its size and a
//   smaller one; but a document of one or two pages may be a photo of the
//   page made into a PDF: its 300 dpi rendering is then read as a photo is
//   (enlarged, sharpened, in crops: scanner.js), which a document of many
//   empty pages would pay for on each one.
// - A page is drawn within PAGE_TIMEOUT_MS and at most MAX_PIXELS pixels (a
//   page of 100,000 points a side is drawn smaller): a crafted page is given
//   up and the next one read.
// - pdf.js runs without eval (isEvalSupported: false) and draws glyphs as paths
//   (disableFontFace: true, no font loaded into the page): the pages'
//   Content-Security-Policy allows no 'unsafe-eval' and no font from data.
import { readImageCodes } from './scanner.js';

export const PDF_MAX_PAGES = 10;
const PDFJS = '/assets/pdfjs/pdf.min.mjs';
const PDFJS_WORKER = '/assets/pdfjs/pdf.worker.min.mjs';
const PDFJS_WASM = '/assets/pdfjs/wasm/';
const DPI = [150, 300];
const MAX_PIXELS = 24e6; // one rendered page at most (a huge page is rendered smaller)
const PAGE_TIMEOUT_MS = 15000; // a page that takes longer to draw (a crafted content stream) is given up

let pdfjs = null;
function loadPdfjs() {
  if (!pdfjs) {
    pdfjs = import(PDFJS).then((m) => {
      m.GlobalWorkerOptions.workerSrc = PDFJS_WORKER;
      return m;
    });
    pdfjs.catch(() => {
      pdfjs = null;
    });
  }
  return pdfjs;
}

/** Whether a file is a PDF document: its type, else its first bytes ("%PDF-"). */
export async function isPdf(file) {
  if (file.type === 'application/pdf') return true;
  if (file.type && file.type.startsWith('image/')) return false;
  const head = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
  const s = String.fromCharCode(...head);
  return s.includes('%PDF-');
}

async function renderPage(page, dpi) {
  let scale = dpi / 72;
  const base = page.getViewport({ scale: 1 });
  if (base.width * base.height * scale * scale > MAX_PIXELS) scale = Math.sqrt(MAX_PIXELS / (base.width * base.height));
  const viewport = page.getViewport({ scale });
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.floor(viewport.width));
  canvas.height = Math.max(1, Math.floor(viewport.height));
  const ctx = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const task = page.render({ canvasContext: ctx, canvas, viewport, background: 'rgb(255,255,255)' });
  let timer;
  try {
    await Promise.race([task.promise, new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the page takes too long to draw')), PAGE_TIMEOUT_MS);
    })]);
  } catch (e) {
    task.cancel();
    canvas.width = 0;
    canvas.height = 0;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { canvas, scale };
}

/**
 * The QR codes of a PDF file: {pages: the document's page count, read: pages read,
 * found: [{page (1-based), texts}]} in page order. onPage(n, of) tells the progress.
 * Throws {name: 'PdfError', reason: 'password' | 'invalid'} when the document cannot be opened.
 */
export async function readPdfCodes(file, { onPage } = {}) {
  const lib = await loadPdfjs();
  const data = new Uint8Array(await file.arrayBuffer());
  const task = lib.getDocument({
    data,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
    wasmUrl: PDFJS_WASM,
    stopAtErrors: false,
    verbosity: 0,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (e) {
    const err = new Error('the PDF cannot be opened');
    err.name = 'PdfError';
    err.reason = e && e.name === 'PasswordException' ? 'password' : 'invalid';
    throw err;
  }
  try {
    const pages = doc.numPages;
    const read = Math.min(pages, PDF_MAX_PAGES);
    const found = [];
    for (let n = 1; n <= read; n++) {
      if (onPage) onPage(n, read);
      let page;
      try {
        page = await doc.getPage(n);
      } catch {
        continue;
      }
      for (const dpi of DPI) {
        let r;
        try {
          r = await renderPage(page, dpi);
        } catch {
          break;
        }
        const asPhoto = dpi === DPI[DPI.length - 1] && read <= 2;
        const texts = await readImageCodes(r.canvas, r.canvas.width, r.canvas.height, { rendered: !asPhoto });
        r.canvas.width = 0;
        r.canvas.height = 0;
        if (texts.length) {
          found.push({ page: n, texts });
          break;
        }
      }
      page.cleanup();
    }
    return { pages, read, found };
  } finally {
    doc.destroy();
  }
}
