// The camera: Chromium's fake camera plays a video made by ffmpeg from an
// issued QR code PNG; the checker opens it by itself, reads the code (zxing-cpp
// in WebAssembly, in a worker: Linux Chromium has no BarcodeDetector) and shows
// the verdict.
import { test, before, after } from 'node:test';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startFederation, cameraVideo } from './federation.mjs';
import { launch, phone, open, verdict, shot, expectNoAxeViolations, expectNoCspViolations, assert } from './helpers.mjs';

let fed;
const A = {};

before(async () => {
  fed = await startFederation({ issuers: [{ id: 'FR-75', name: 'Préfecture de police' }] });
  A.valid = fed.issue('FR-75', { family_name: 'CAMARA', given_names: 'Moussa' });
  A.revoked = fed.issue('FR-75', { family_name: 'REVOQUE', given_names: 'Paul' });
  fed.revoke('FR-75', A.revoked.id);
  await fed.waitVerdict(A.revoked.text, 'revoked');
});

after(async () => {
  if (fed) await fed.stop();
});

async function scan(att, name) {
  const video = cameraVideo(att.png, path.join(fed.dir, `${att.id}.y4m`));
  const browser = await launch({ video });
  try {
    const ctx = await phone(browser, { origin: fed.verifierUrl, camera: true });
    const page = await open(ctx, `${fed.verifierUrl}/check/`);
    assert.equal(await page.evaluate(() => window.apiCheck.readerKind()), 'zxing', 'Linux Chromium reads with zxing-wasm');
    const v = await verdict(page, 30000);
    const perf = await page.evaluate(() => window.apiCheck.perf);
    assert.equal(perf.source, 'camera');
    console.log(`${name}: ${v.result} from the camera, verdict ${perf.readToVerdict.toFixed(1)} ms after the read, ` +
      `${(perf.marks.read - perf.marks.ready).toFixed(0)} ms after the page was ready`);
    await expectNoAxeViolations(page, `${name} from the camera`);
    await shot(page, name);
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
    // The camera is released once the code is read.
    assert.equal(await page.evaluate(() => document.getElementById('video').srcObject), null);
    return v;
  } finally {
    await browser.close();
  }
}

test('the camera reads a valid attestation and the page shows valid', async () => {
  const v = await scan(A.valid, 'camera-valid');
  assert.equal(v.result, 'valid');
  assert.ok(v.text.startsWith(fed.cliVerdict(A.valid.text).explanation.fr.verdict));
});

test('the camera reads a revoked attestation and the page shows revoked', async () => {
  const v = await scan(A.revoked, 'camera-revoked');
  assert.equal(v.result, 'revoked');
});

test('while the camera looks for a code: the viewfinder, the hint, axe-clean', async () => {
  const video = path.join(fed.dir, 'blank.y4m');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x707070:s=640x480', '-frames:v', '5',
    '-r', '10', '-pix_fmt', 'yuv420p', video]);
  const browser = await launch({ video });
  try {
    const ctx = await phone(browser, { origin: fed.verifierUrl, camera: true });
    const page = await open(ctx, `${fed.verifierUrl}/check/`);
    await page.waitForSelector('#viewfinder:not([hidden])');
    await page.waitForFunction(() => document.getElementById('camera-msg').textContent.includes('cadre'));
    assert.equal(await page.textContent('#camera-btn'), 'Arrêter la caméra');
    await expectNoAxeViolations(page, 'camera scanning');
    await shot(page, 'check-scanning');
    await page.click('#camera-btn');
    await page.waitForSelector('#viewfinder', { state: 'hidden' });
    assert.equal(await page.evaluate(() => document.getElementById('video').srcObject), null, 'the camera is released');
    assert.equal(await page.textContent('#camera-btn'), 'Scanner avec la caméra');
  } finally {
    await browser.close();
  }
});

// Headless Chromium's fake camera has no torch and is the only camera: the tests give its track a torch
// capability and the page a second camera (init scripts, before the page's code), and record what the page
// asks of them.
function stubCamera({ torch = false, cameras = 1 } = {}) {
  window.__camera = { constraints: [], gum: [] };
  const caps = MediaStreamTrack.prototype.getCapabilities;
  if (torch) {
    MediaStreamTrack.prototype.getCapabilities = function () {
      return { ...(caps ? caps.call(this) : {}), torch: true };
    };
    MediaStreamTrack.prototype.applyConstraints = async function (c) {
      window.__camera.constraints.push(JSON.parse(JSON.stringify(c)));
    };
  }
  if (cameras > 1) {
    const md = navigator.mediaDevices;
    const enumerate = md.enumerateDevices.bind(md);
    md.enumerateDevices = async () => {
      const all = await enumerate();
      const v = all.find((d) => d.kind === 'videoinput');
      const extra = Array.from({ length: cameras - 1 }, (_, i) => ({ kind: 'videoinput', deviceId: `front-${i}`,
        groupId: 'g', label: `Front ${i}`, toJSON() { return this; } }));
      return [...all, ...(v ? extra : [])];
    };
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (c) => {
      window.__camera.gum.push(JSON.parse(JSON.stringify(c)));
      const video = { ...c.video };
      delete video.deviceId; // the fake camera is the only real one
      return gum({ ...c, video });
    };
  }
}

test('camera help: a torch button where the camera has one, a switch where there are several cameras', async () => {
  const video = path.join(fed.dir, 'blank2.y4m');
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x707070:s=640x480', '-frames:v', '5',
    '-r', '10', '-pix_fmt', 'yuv420p', video]);
  const browser = await launch({ video });
  try {
    // Without a torch or a second camera: neither button.
    let ctx = await phone(browser, { origin: fed.verifierUrl, camera: true });
    let page = await open(ctx, `${fed.verifierUrl}/check/`);
    await page.waitForSelector('#viewfinder:not([hidden])');
    await page.waitForFunction(() => document.getElementById('camera-msg').textContent.includes('cadre'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await page.isVisible('#torch-btn'), false);
    assert.equal(await page.isVisible('#switch-btn'), false);
    await ctx.close();

    ctx = await phone(browser, { origin: fed.verifierUrl, camera: true });
    await ctx.addInitScript(stubCamera, { torch: true, cameras: 2 });
    page = await open(ctx, `${fed.verifierUrl}/check/`);
    await page.waitForSelector('#torch-btn:not([hidden])');
    await page.waitForSelector('#switch-btn:not([hidden])');
    assert.equal(await page.textContent('#torch-btn'), 'Allumer la lampe');
    assert.equal(await page.getAttribute('#torch-btn', 'aria-pressed'), 'false');
    await page.click('#torch-btn');
    await page.waitForFunction(() => document.getElementById('torch-btn').getAttribute('aria-pressed') === 'true');
    assert.equal(await page.textContent('#torch-btn'), 'Éteindre la lampe');
    assert.deepEqual(await page.evaluate(() => window.__camera.constraints), [{ advanced: [{ torch: true }] }]);
    await expectNoAxeViolations(page, 'camera with a torch and two cameras');
    await shot(page, 'check-camera-tools');
    await page.click('#torch-btn');
    await page.waitForFunction(() => document.getElementById('torch-btn').getAttribute('aria-pressed') === 'false');
    // The switch opens the next camera by its id.
    await page.click('#switch-btn');
    await page.waitForFunction(() => window.__camera.gum.some((c) => c.video.deviceId));
    const asked = await page.evaluate(() => window.__camera.gum.find((c) => c.video.deviceId).video.deviceId);
    assert.deepEqual(asked, { exact: 'front-0' });
    await page.waitForFunction(() => document.getElementById('camera-msg').textContent.includes('cadre'));
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  } finally {
    await browser.close();
  }
});

test('camera help: a code seen too small to read gets "Approchez le téléphone"', async () => {
  // The code drawn 90 px wide in a 640 × 480 frame: seen, but under 1.5 px a module.
  const video = cameraVideo(A.valid.png, path.join(fed.dir, 'small.y4m'), { qrSize: 90 });
  const browser = await launch({ video });
  try {
    const ctx = await phone(browser, { origin: fed.verifierUrl, camera: true });
    const page = await open(ctx, `${fed.verifierUrl}/check/`);
    await page.waitForFunction(() => document.getElementById('camera-hint').textContent.includes('Approchez le téléphone'),
      null, { timeout: 20000 });
    assert.equal(await page.isVisible('#result'), false);
    await expectNoAxeViolations(page, 'camera: move closer');
    await shot(page, 'check-camera-closer');
  } finally {
    await browser.close();
  }
});

test('where the browser has a BarcodeDetector reading QR codes, the page uses it (camera and photos)', async () => {
  // Headless Linux Chromium has none: a stand-in that "sees" the code after a few frames, and the calls it got.
  function fakeDetector(text) {
    let calls = 0;
    window.__detector = { calls: 0 };
    window.BarcodeDetector = class {
      static async getSupportedFormats() {
        return ['qr_code', 'ean_13'];
      }
      constructor(opts) {
        this.formats = opts.formats;
      }
      async detect(source) {
        calls += 1;
        window.__detector.calls = calls;
        window.__detector.source = source && source.constructor ? source.constructor.name : typeof source;
        return calls > 3 ? [{ rawValue: text, format: 'qr_code', boundingBox: { width: 300, height: 300 } }] : [];
      }
    };
  }
  const video = cameraVideo(A.valid.png, path.join(fed.dir, 'native.y4m'));
  const browser = await launch({ video });
  try {
    const ctx = await phone(browser, { origin: fed.verifierUrl, camera: true });
    await ctx.addInitScript(fakeDetector, A.valid.text);
    const page = await open(ctx, `${fed.verifierUrl}/check/`);
    assert.equal(await page.evaluate(() => window.apiCheck.readerKind()), 'native');
    const v = await verdict(page, 30000);
    assert.equal(v.result, 'valid');
    assert.equal(await page.evaluate(() => window.apiCheck.perf.source), 'camera');
    assert.equal(await page.evaluate(() => window.__detector.source), 'HTMLVideoElement', 'frames read from the video');
    await page.click('#again');
    await page.setInputFiles('#photo', A.valid.png);
    assert.equal((await verdict(page)).result, 'valid');
    // No worker was needed: the WebAssembly reader is not even fetched.
    const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    assert.ok(!urls.some((u) => u.includes('zxing_reader.wasm') || u.includes('scan-worker')), urls.join('\n'));
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  } finally {
    await browser.close();
  }
});

// Last: the pages' Content-Security-Policy (web/dist/csp.txt) held everywhere above.
test('no Content-Security-Policy violation on any page, worker or service worker opened above', async () => {
  await expectNoCspViolations();
});
