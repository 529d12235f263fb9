// scanner.js: the camera and the image reader. The rear camera is opened
// with getUserMedia and read continuously, with the browser's BarcodeDetector
// where it reads QR codes, otherwise with zxing-cpp built for WebAssembly in a
// worker (scan-worker.js, loaded only then; jsQR where WebAssembly cannot
// run). A picked photo or a rendered PDF page is read the same way, at a few
// scales and, for a photo of a whole page, in overlapping crops, and every
// code in it is returned (a page may carry the full code, the holder's reduced
// code and the holder link).
const WORKER_URL = '/assets/scan-worker.js';

let worker = null;
let workerSeq = 0;
const pending = new Map();

function getWorker() {
  if (!worker) {
    worker = new Worker(WORKER_URL);
    worker.onmessage = (ev) => {
      const p = pending.get(ev.data.id);
      if (p) {
        pending.delete(ev.data.id);
        p(ev.data);
      }
    };
  }
  return worker;
}

function askWorker(msg, transfer) {
  return new Promise((resolve) => {
    const id = ++workerSeq;
    pending.set(id, resolve);
    getWorker().postMessage({ id, ...msg }, transfer || []);
  });
}

/** {texts, small} of an RGBA image read in the worker. */
async function decodeInWorker(imageData, thorough, options) {
  const { data, width, height } = imageData;
  const r = await askWorker({ data, width, height, thorough, options }, [data.buffer]);
  return { texts: r.texts || (r.text ? [r.text] : []), small: !!r.small };
}

let nativeDetector; // undefined: not tried yet; null: none
async function getNativeDetector() {
  if (nativeDetector !== undefined) return nativeDetector;
  nativeDetector = null;
  try {
    if ('BarcodeDetector' in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.includes('qr_code')) nativeDetector = new window.BarcodeDetector({ formats: ['qr_code'] });
    }
  } catch {
    nativeDetector = null;
  }
  return nativeDetector;
}

/** Which reader this browser uses: 'native' (BarcodeDetector), 'zxing' (WebAssembly) or 'jsqr'. */
export async function readerKind() {
  if (await getNativeDetector()) return 'native';
  return (await askWorker({ kind: true })).kind;
}

// A code the native detector sees under this width (pixels of the frame) is too small to read reliably.
const SMALL_CODE = 160;

async function detectNative(det, source) {
  const codes = await det.detect(source);
  const texts = [];
  let small = false;
  for (const c of codes) {
    if (c.rawValue) {
      if (!texts.includes(c.rawValue)) texts.push(c.rawValue);
    } else if (c.boundingBox && c.boundingBox.width < SMALL_CODE) small = true;
  }
  return { texts, small: !texts.length && small };
}

/**
 * Reads the QR codes of a drawable source (video, bitmap, canvas), or of its part (crop: {x, y, w, h} in
 * source pixels), scaled to at most maxSide: {texts, small}. options: {upscale: scale to maxSide even if
 * that enlarges, zxing: reader options for the worker (sharpen: unsharp masking first)}.
 */
async function readSource(source, sw, sh, maxSide, thorough, canvas, crop, options) {
  const det = await getNativeDetector();
  const c = crop || { x: 0, y: 0, w: sw, h: sh };
  if (det && !crop && maxSide >= Math.max(sw, sh)) {
    try {
      return await detectNative(det, source);
    } catch {
      /* fall back to drawing */
    }
  }
  const scale = options && options.upscale ? maxSide / Math.max(c.w, c.h) : Math.min(1, maxSide / Math.max(c.w, c.h));
  const w = Math.max(1, Math.round(c.w * scale));
  const h = Math.max(1, Math.round(c.h * scale));
  const cv = canvas || document.createElement('canvas');
  if (cv.width !== w) cv.width = w;
  if (cv.height !== h) cv.height = h;
  const ctx = cv.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, c.x, c.y, c.w, c.h, 0, 0, w, h);
  if (det) {
    try {
      return await detectNative(det, cv);
    } catch {}
  }
  return decodeInWorker(ctx.getImageData(0, 0, w, h), thorough, options && options.zxing);
}

/**
 * Every QR code of an image (a bitmap, canvas or image element of sw × sh pixels), for a photo of a
 * whole page as phones take it: the whole image at a size that keeps a 45 mm code readable, then larger
 * and smaller; then, for a slightly blurred photo whose modules are about 3 pixels, enlarged and
 * sharpened, or enlarged and denoised (measured on generated photos: it reads most of what the plain
 * passes miss); then
 * overlapping crops (a small code in a large photo). Texts in reading order, each once. A page rendered
 * from a PDF (rendered: true) is read at its own size and a smaller one only.
 */
export async function readImageCodes(src, sw, sh, { rendered = false } = {}) {
  const big = Math.max(sw, sh);
  if (rendered) {
    // A page rendered from a PDF: sharp, straight, at a known resolution; its size and a smaller one.
    for (const side of [Math.min(big, 2600), 1000]) {
      const r = await readSource(src, sw, sh, side, true);
      if (r.texts.length) return r.texts;
    }
    return [];
  }
  const passes = [{ side: 1600 }];
  if (big > 1600 * 1.15) passes.push({ side: 2400 });
  if (big > 1000) passes.push({ side: 1000 });
  // Enlarged (at most 4,000 pixels a side) and sharpened.
  const up = (f) => Math.min(4000, Math.round(Math.min(big, 2400) * f));
  passes.push({ side: up(2), upscale: true, zxing: { sharpen: 2 } }, { side: up(1.5), upscale: true, zxing: { sharpen: 1 } },
    { side: up(2), upscale: true, zxing: { sharpen: 3 } },
    // More blurred (a wider mask), or dim and noisy (zxing-cpp's denoising: a morphological closing).
    { side: up(2), upscale: true, zxing: { sharpen: 3, sharpenRadius: 4 } }, { side: up(2), upscale: true, zxing: { tryDenoise: true } });
  for (const p of passes) {
    const r = await readSource(src, sw, sh, p.side, true, null, null, p);
    if (r.texts.length) return r.texts;
  }
  if (big <= 900) return [];
  // A grid of overlapping crops, each two thirds of the image.
  const cw = Math.round(sw * 2 / 3);
  const ch = Math.round(sh * 2 / 3);
  for (const [fx, fy] of [[0.5, 0.5], [0, 0], [1, 0], [0, 1], [1, 1]]) {
    const crop = { x: Math.round((sw - cw) * fx), y: Math.round((sh - ch) * fy), w: cw, h: ch };
    const r = await readSource(src, sw, sh, 1600, true, null, crop);
    if (r.texts.length) return r.texts;
  }
  return [];
}

/** Opens an image file as something drawable: {src, sw, sh, close()}. */
export async function openImage(file) {
  if ('createImageBitmap' in window) {
    const src = await createImageBitmap(file);
    return { src, sw: src.width, sh: src.height, close: () => src.close && src.close() };
  }
  const url = URL.createObjectURL(file);
  try {
    const src = await new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = reject;
      img.src = url;
    });
    return { src, sw: src.naturalWidth, sh: src.naturalHeight, close: () => {} };
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

/** Every QR code of an image file (photo, screenshot, image of a PDF page): texts, possibly none. */
export async function readImageFileCodes(file) {
  const img = await openImage(file);
  try {
    return await readImageCodes(img.src, img.sw, img.sh);
  } finally {
    img.close();
  }
}

/** The QR code of an image file (photo, screenshot, image of a PDF page); null when none. */
export async function readImageFile(file) {
  const texts = await readImageFileCodes(file);
  return texts[0] || null;
}

/**
 * The camera: new Camera(videoElement, {onCode(text), onState(state), onHint(hint), onTools()}).
 * States: 'starting', 'scanning', 'stopped', 'denied', 'none', 'insecure', 'error'.
 * onHint('closer') when a code is seen but too small to read, onHint(null) when that is over.
 * onTools() when what the camera offers changes: hasTorch(), torchOn, canSwitch() (several cameras).
 */
export class Camera {
  constructor(video, { onCode, onState, onHint, onTools }) {
    this.video = video;
    this.onCode = onCode;
    this.onState = onState || (() => {});
    this.onHint = onHint || (() => {});
    this.onTools = onTools || (() => {});
    this.stream = null;
    this.running = false;
    this.canvas = document.createElement('canvas');
    this.timer = null;
    this.torchOn = false;
    this.hint = null;
    this.smallSeen = 0; // frames in a row with a code too small to read
    this.devices = []; // video inputs, once the camera was allowed
    this.deviceId = null; // the chosen one, after a switch
  }

  async start() {
    if (this.running) return;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.onState(window.isSecureContext ? 'none' : 'insecure');
      return;
    }
    this.running = true;
    this.onState('starting');
    const video = { width: { ideal: 1280 }, height: { ideal: 720 } };
    if (this.deviceId) video.deviceId = { exact: this.deviceId };
    else video.facingMode = { ideal: 'environment' };
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: false, video });
    } catch (e) {
      this.running = false;
      const name = e && e.name;
      this.onState(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied'
        : name === 'NotFoundError' || name === 'OverconstrainedError' ? 'none' : 'error');
      return;
    }
    if (!this.running) {
      this.release();
      return;
    }
    const v = this.video;
    v.setAttribute('playsinline', '');
    v.muted = true;
    v.srcObject = this.stream;
    try {
      await v.play();
    } catch {}
    this.torchOn = false;
    this.setHint(null);
    this.onState('scanning');
    this.loop();
    await this.listDevices();
    this.onTools();
  }

  /** The video track being read, or null. */
  track() {
    return this.stream ? this.stream.getVideoTracks()[0] || null : null;
  }

  /** Whether the camera has a torch the page can switch (MediaTrackCapabilities.torch). */
  hasTorch() {
    const tr = this.track();
    try {
      return !!(tr && typeof tr.getCapabilities === 'function' && tr.getCapabilities().torch);
    } catch {
      return false;
    }
  }

  async setTorch(on) {
    const tr = this.track();
    if (!tr) return false;
    try {
      await tr.applyConstraints({ advanced: [{ torch: !!on }] });
      this.torchOn = !!on;
    } catch {
      this.torchOn = false;
    }
    this.onTools();
    return this.torchOn;
  }

  async listDevices() {
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      this.devices = all.filter((d) => d.kind === 'videoinput');
    } catch {
      this.devices = [];
    }
  }

  /** Whether there are several cameras to switch between. */
  canSwitch() {
    return this.devices.length > 1;
  }

  /** Opens the next camera (the rear camera first, then the others in the browser's order). */
  async switchCamera() {
    if (!this.canSwitch()) return;
    const tr = this.track();
    const now = this.deviceId || (tr && tr.getSettings && tr.getSettings().deviceId) || '';
    const i = this.devices.findIndex((d) => d.deviceId === now);
    this.deviceId = this.devices[(i + 1) % this.devices.length].deviceId || null;
    this.stop();
    await this.start();
  }

  setHint(h) {
    if (h === this.hint) return;
    this.hint = h;
    this.onHint(h);
  }

  loop() {
    if (!this.running) return;
    const v = this.video;
    const next = (delay) => {
      if (this.running) this.timer = setTimeout(() => this.loop(), delay);
    };
    if (v.readyState < 2 || !v.videoWidth) {
      next(100);
      return;
    }
    const t0 = performance.now();
    readSource(v, v.videoWidth, v.videoHeight, 960, false, this.canvas).then(
      (r) => {
        if (!this.running) return;
        if (r.texts.length) {
          this.lastRead = performance.now();
          this.setHint(null);
          this.stop();
          this.onCode(r.texts[0]);
          return;
        }
        // "Move closer" once a code was seen too small in a few frames in a row; gone after a few without.
        this.smallSeen = r.small ? Math.max(1, this.smallSeen + 1) : Math.min(0, this.smallSeen - 1);
        if (this.smallSeen >= 2) this.setHint('closer');
        else if (this.smallSeen <= -4) this.setHint(null);
        // Keep the phone cool: at most ~8 reads a second, never back to back.
        next(Math.max(40, 125 - (performance.now() - t0)));
      },
      () => next(250),
    );
  }

  release() {
    if (this.stream) {
      for (const tr of this.stream.getTracks()) tr.stop();
      this.stream = null;
    }
    this.video.srcObject = null;
    this.torchOn = false;
  }

  stop() {
    const was = this.running || this.stream;
    this.running = false;
    clearTimeout(this.timer);
    this.release();
    this.smallSeen = 0;
    this.setHint(null);
    if (was) {
      this.onState('stopped');
      this.onTools();
    }
  }
}

/**
 * The QR text of what was pasted or scanned: a holder link (…/holder#API1%3A…) gives its fragment, and
 * so does a holder link itself percent-encoded (https%3A%2F%2F…%2Fholder%23API1%253A…).
 */
export function qrTextOf(input) {
  let s = String(input || '').replace(/^\s+/, '').replace(/[\r\n]+$/, '');
  if (/^https?%3A%2F%2F/i.test(s)) {
    try {
      s = decodeURIComponent(s);
    } catch {}
  }
  const hash = s.indexOf('#');
  if (!s.startsWith('API1:') && hash >= 0 && /^https?:\/\//i.test(s)) {
    try {
      s = decodeURIComponent(s.slice(hash + 1));
    } catch {}
  }
  return s;
}

/** Whether a text is a holder link (…/holder#…, possibly percent-encoded as a whole). */
export function isHolderLink(input) {
  const s = String(input || '').trim();
  return /^https?:\/\/[^#]*\/holder\/?#/i.test(s) || /^https?%3A%2F%2F.*%2Fholder(%2F)?%23/i.test(s);
}
