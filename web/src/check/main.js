// The checker (/check): scan, paste or pick a photo; the verdict in a colour
// band announced by a role="status" element, then what to compare, what the
// document proves and what to do. Verification runs on the phone with the
// signed bundle whenever it is fresh enough (engine.js).
import { t, S, formatAgo } from '../common/i18n/index.js';
import { Engine } from '../common/engine.js';
import { Camera, readImageFile, qrTextOf, readerKind } from '../common/scanner.js';
import { renderBand, clearBand, renderDetails } from '../common/verdict.js';
import { perf, mark, setupLanguage, registerServiceWorker, show } from '../common/page.js';

const $ = (id) => document.getElementById(id);
const ui = {
  verdict: $('verdict'), result: $('result'), resultH: $('result-h'), details: $('details'), again: $('again'),
  scan: $('scan'), viewfinder: $('viewfinder'), video: $('video'), cameraMsg: $('camera-msg'),
  cameraBtn: $('camera-btn'), pasteForm: $('paste-form'), paste: $('paste'), pasteMsg: $('paste-msg'),
  photo: $('photo'), photoMsg: $('photo-msg'), dataAge: $('data-age'), privacy: $('data-privacy'),
  warning: $('data-warning'), keyAccept: $('key-accept'), refresh: $('refresh'),
};

let shown = null; // {report, where} on screen
let cameraState = 'stopped';
let cameraWanted = true; // the camera should run while no verdict is shown
let busy = false;
let refreshNote = '';

const engine = new Engine({
  onChange: (what) => {
    if (what === 'loaded' && !perf.marks.data) mark('data');
    renderData();
  },
});

function renderCamera(state) {
  if (state) cameraState = state;
  const s = cameraState;
  const msg = { starting: t('cameraStarting'), scanning: t('cameraAim'), denied: t('cameraDenied'), none: t('cameraNone'),
    insecure: t('cameraInsecure'), error: t('cameraError'), stopped: '' }[s] || '';
  ui.cameraMsg.textContent = msg;
  ui.cameraMsg.className = `camera-msg${['denied', 'none', 'insecure', 'error'].includes(s) ? ' warn' : ''}`;
  show(ui.viewfinder, s === 'scanning' || s === 'starting');
  const running = s === 'scanning' || s === 'starting';
  ui.cameraBtn.textContent = running ? t('cameraStop') : t('cameraStart');
  ui.cameraBtn.className = `button wide ${running ? 'secondary' : 'primary'}`;
  show(ui.cameraBtn, s !== 'insecure' && s !== 'none');
}

const camera = new Camera(ui.video, {
  onCode: (text) => check(text, 'camera'),
  onState: renderCamera,
});

function renderData() {
  const parts = [];
  if (engine.hasData()) {
    const age = formatAgo(engine.age());
    parts.push(engine.fresh() ? S().dataAge(age) : S().dataStale(age));
    if (navigator.onLine === false) parts.push(t('dataOffline'));
  } else {
    parts.push(engine.lastError === 'key_changed' ? t('dataRefused') : engine.refreshing ? t('dataLoading') : t('dataNever'));
  }
  if (engine.rotated) parts.push(t('keyRotated'));
  if (refreshNote) parts.push(refreshNote);
  ui.dataAge.textContent = parts.join(' ');
  show(ui.privacy, engine.fresh() || (engine.hasData() && navigator.onLine === false));
  show(ui.warning, engine.lastError === 'key_changed');
  ui.refresh.disabled = !!engine.refreshing;
  ui.refresh.textContent = engine.refreshing ? t('dataRefreshing') : t('dataRefresh');
}

function renderResult() {
  if (!shown) return;
  renderBand(ui.verdict, shown.report);
  renderDetails(ui.details, shown.report, { where: shown.where });
}

async function check(raw, source) {
  const text = qrTextOf(raw);
  if (busy) return;
  busy = true;
  mark('read');
  camera.stop();
  try {
    shown = await engine.verify(text);
  } catch (e) {
    shown = null;
    busy = false;
    clearBand(ui.verdict);
    ui.verdict.className = 'band band-unknown';
    ui.verdict.textContent = t('serviceDown');
    return;
  }
  renderResult();
  show(ui.scan, false);
  show(ui.result, true);
  mark('verdict');
  perf.readToVerdict = perf.marks.verdict - perf.marks.read;
  perf.where = shown.where;
  perf.source = source;
  busy = false;
  // Keyboard and screen-reader users land on the result; the band itself is announced.
  if (source !== 'camera') ui.resultH.focus({ preventScroll: true });
  window.scrollTo(0, 0);
  if (navigator.vibrate && source === 'camera') {
    try {
      navigator.vibrate(shown.report.result === 'valid' ? 80 : [80, 60, 80]);
    } catch {}
  }
}

function again() {
  shown = null;
  clearBand(ui.verdict);
  ui.details.textContent = '';
  show(ui.result, false);
  show(ui.scan, true);
  ui.paste.value = '';
  ui.pasteMsg.textContent = '';
  ui.photoMsg.textContent = '';
  if (cameraWanted && !['denied', 'none', 'insecure'].includes(cameraState)) camera.start();
  (cameraState === 'denied' || cameraState === 'none' ? ui.paste : ui.cameraBtn).focus();
}

ui.again.addEventListener('click', again);

ui.cameraBtn.addEventListener('click', () => {
  if (cameraState === 'scanning' || cameraState === 'starting') {
    cameraWanted = false;
    camera.stop();
  } else {
    cameraWanted = true;
    camera.start();
  }
});

ui.pasteForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const v = ui.paste.value;
  if (!v.trim()) {
    ui.pasteMsg.textContent = t('pasteEmpty');
    ui.paste.setAttribute('aria-invalid', 'true');
    ui.paste.focus();
    return;
  }
  ui.paste.removeAttribute('aria-invalid');
  ui.pasteMsg.textContent = '';
  check(v, 'paste');
});

ui.photo.addEventListener('change', async () => {
  const file = ui.photo.files && ui.photo.files[0];
  if (!file) return;
  ui.photoMsg.textContent = t('photoReading');
  let text = null;
  try {
    text = await readImageFile(file);
  } catch {
    ui.photoMsg.textContent = t('photoError');
    ui.photo.value = '';
    return;
  }
  ui.photo.value = '';
  if (!text) {
    ui.photoMsg.textContent = t('photoNoCode');
    return;
  }
  ui.photoMsg.textContent = '';
  check(text, 'photo');
});

ui.refresh.addEventListener('click', async () => {
  refreshNote = '';
  try {
    await engine.refresh();
  } catch {
    if (engine.lastError !== 'key_changed') refreshNote = t('dataRefreshFailed');
  }
  renderData();
});

ui.keyAccept.addEventListener('click', async () => {
  if (!window.confirm(t('keyAcceptConfirm'))) return;
  try {
    await engine.acceptPinnedKey();
  } catch {}
  renderData();
});

window.addEventListener('online', renderData);
window.addEventListener('offline', renderData);
setInterval(renderData, 30 * 1000);

setupLanguage(() => {
  renderCamera();
  renderData();
  renderResult();
});

// Ready: the text field and the photo work now; the camera and data follow.
engine.start();
renderData();
renderCamera('stopped');
camera.start();
registerServiceWorker();
mark('ready');
window.apiCheck = {
  engine, perf, readerKind, check,
  verify: (text, mode) => engine.verify(text, mode),
  show(report, where) {
    shown = { report, where };
    renderResult();
    show(ui.scan, false);
    show(ui.result, true);
  },
};
