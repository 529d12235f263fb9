// scanner.js: the camera and the image reader. The rear camera is opened
// with getUserMedia and read continuously, with the browser's BarcodeDetector
// where it reads QR codes, otherwise with jsQR in a worker (bundled, loaded
// only then). A picked photo is read the same way, at a few scales.
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
        p(ev.data.text);
      }
    };
  }
  return worker;
}

function decodeInWorker(imageData, thorough) {
  return new Promise((resolve) => {
    const id = ++workerSeq;
    pending.set(id, resolve);
    const { data, width, height } = imageData;
    getWorker().postMessage({ id, data, width, height, thorough }, [data.buffer]);
  });
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

/** Which reader this browser uses: 'native' or 'jsqr'. */
export async function readerKind() {
  return (await getNativeDetector()) ? 'native' : 'jsqr';
}

/** Reads a QR code in a drawable source (video, bitmap, canvas) scaled to at most maxSide. */
async function readSource(source, sw, sh, maxSide, thorough, canvas) {
  const det = await getNativeDetector();
  if (det && maxSide >= Math.max(sw, sh)) {
    try {
      const codes = await det.detect(source);
      const c = codes.find((x) => x.rawValue);
      return c ? c.rawValue : null;
    } catch {
      /* fall back to drawing */
    }
  }
  const scale = Math.min(1, maxSide / Math.max(sw, sh));
  const w = Math.max(1, Math.round(sw * scale));
  const h = Math.max(1, Math.round(sh * scale));
  const cv = canvas || document.createElement('canvas');
  if (cv.width !== w) cv.width = w;
  if (cv.height !== h) cv.height = h;
  const ctx = cv.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(source, 0, 0, w, h);
  if (det) {
    try {
      const codes = await det.detect(cv);
      const c = codes.find((x) => x.rawValue);
      return c ? c.rawValue : null;
    } catch {}
  }
  return decodeInWorker(ctx.getImageData(0, 0, w, h), thorough);
}

/** Reads the QR code of an image file (photo, screenshot, image of a PDF page); null when none. */
export async function readImageFile(file) {
  let src;
  let sw;
  let sh;
  if ('createImageBitmap' in window) {
    src = await createImageBitmap(file);
    sw = src.width;
    sh = src.height;
  } else {
    const url = URL.createObjectURL(file);
    src = await new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = reject;
      img.src = url;
    });
    sw = src.naturalWidth;
    sh = src.naturalHeight;
  }
  try {
    // Photos are large: try a reasonable size first, then larger and smaller ones.
    for (const side of [1200, 2000, 800, 3200]) {
      if (side > 1200 && Math.max(sw, sh) <= 1200) break;
      const text = await readSource(src, sw, sh, side, true);
      if (text) return text;
    }
    return null;
  } finally {
    if (src.close) src.close();
  }
}

/**
 * The camera: new Camera(videoElement, {onCode(text), onState(state, detail)}).
 * States: 'starting', 'scanning', 'stopped', 'denied', 'none', 'insecure', 'error'.
 */
export class Camera {
  constructor(video, { onCode, onState }) {
    this.video = video;
    this.onCode = onCode;
    this.onState = onState || (() => {});
    this.stream = null;
    this.running = false;
    this.canvas = document.createElement('canvas');
    this.timer = null;
  }

  async start() {
    if (this.running) return;
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.onState(window.isSecureContext ? 'none' : 'insecure');
      return;
    }
    this.running = true;
    this.onState('starting');
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
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
    this.onState('scanning');
    this.loop();
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
      (text) => {
        if (!this.running) return;
        if (text) {
          this.lastRead = performance.now();
          this.stop();
          this.onCode(text);
          return;
        }
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
  }

  stop() {
    const was = this.running || this.stream;
    this.running = false;
    clearTimeout(this.timer);
    this.release();
    if (was) this.onState('stopped');
  }
}

/** The QR text of what was pasted or scanned: a holder link (…/holder#API1%3A…) gives its fragment. */
export function qrTextOf(input) {
  let s = String(input || '').replace(/^\s+/, '').replace(/[\r\n]+$/, '');
  const hash = s.indexOf('#');
  if (!s.startsWith('API1:') && hash >= 0 && /^https?:\/\//i.test(s)) {
    try {
      s = decodeURIComponent(s.slice(hash + 1));
    } catch {}
  }
  return s;
}
