// scan-worker.js: reads QR codes in camera frames and images with jsQR, off
// the page's thread, for browsers without BarcodeDetector (iOS Safari,
// desktop Linux Chromium, Firefox). Message in: {id, data: Uint8ClampedArray
// RGBA, width, height, thorough}; out: {id, text | null}.
import jsQR from 'jsqr';

self.onmessage = (ev) => {
  const { id, data, width, height, thorough } = ev.data;
  let text = null;
  try {
    const r = jsQR(data, width, height, { inversionAttempts: thorough ? 'attemptBoth' : 'dontInvert' });
    if (r && typeof r.data === 'string' && r.data.length) text = r.data;
  } catch {
    text = null;
  }
  self.postMessage({ id, text });
};
