// The checker (/check): scan, paste, type with a handheld scanner, pick a
// photo or a PDF, or share a file to the installed app; the verdict in a
// colour band announced by a role="status" element, then what to compare,
// what the document proves and what to do. Verification runs on the phone
// with the signed bundle whenever it is fresh enough (engine.js); a photo or
// a PDF is read on the phone too (scanner.js, pdfread.js): nothing about the
// person leaves it.
//
// A document may carry several attestations (a batch, one per page) and one
// attestation several codes (the full code, the holder's reduced code, the
// holder link): each attestation is reported once, in page order, with its
// page, from its full code when the page has it.
import { t, S, formatAgo, lang, LANGS } from '../common/i18n/index.js';
import { Engine, loadLib } from '../common/engine.js';
import { Camera, readImageFileCodes, qrTextOf, isHolderLink, readerKind } from '../common/scanner.js';
import { isPdf, readPdfCodes } from '../common/pdfread.js';
import { listenForScanner, repairText, looksMangled, base45Shaped } from './keyscan.js';
import { renderBand, clearBand, renderDetails } from '../common/verdict.js';
import { fetchProof, saveBlob } from './proof.js';
import { perf, mark, setupLanguage, registerServiceWorker, show } from '../common/page.js';

const $ = (id) => document.getElementById(id);
const ui = {
  verdict: $('verdict'), result: $('result'), resultH: $('result-h'), details: $('details'), again: $('again'),
  scan: $('scan'), viewfinder: $('viewfinder'), video: $('video'), cameraMsg: $('camera-msg'),
  cameraBtn: $('camera-btn'), pasteForm: $('paste-form'), paste: $('paste'), pasteMsg: $('paste-msg'),
  photo: $('photo'), photoMsg: $('photo-msg'), dataAge: $('data-age'), privacy: $('data-privacy'),
  warning: $('data-warning'), keyAccept: $('key-accept'), refresh: $('refresh'),
  doc: $('doc'), docSummary: $('doc-summary'), docList: $('doc-list'), readNote: $('read-note'),
  cameraHint: $('camera-hint'), cameraTools: $('camera-tools'), torchBtn: $('torch-btn'), switchBtn: $('switch-btn'),
  proof: $('proof'), proofBtn: $('proof-btn'), proofAsk: $('proof-ask'), proofSend: $('proof-send'),
  proofCancel: $('proof-cancel'), proofMsg: $('proof-msg'),
};

let shown = null; // {report, where, page, link, text} on screen
let found = []; // every attestation of the last document read, in page order (the shown one among them)
let docNote = ''; // what the page says of the document (pages not read)
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

let cameraHint = null;
function renderCameraHelp() {
  ui.cameraHint.textContent = cameraHint === 'closer' ? t('cameraCloser') : '';
  const running = cameraState === 'scanning';
  const torch = running && camera.hasTorch();
  const sw = running && camera.canSwitch();
  show(ui.torchBtn, torch);
  show(ui.switchBtn, sw);
  show(ui.cameraTools, torch || sw);
  ui.torchBtn.setAttribute('aria-pressed', camera.torchOn ? 'true' : 'false');
  ui.torchBtn.textContent = camera.torchOn ? t('torchOff') : t('torchOn');
}

const camera = new Camera(ui.video, {
  onCode: (text) => check(text, 'camera'),
  onState: (s) => {
    renderCamera(s);
    renderCameraHelp();
  },
  onHint: (h) => {
    cameraHint = h;
    renderCameraHelp();
  },
  onTools: renderCameraHelp,
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

const nameOf = (report) => (report.holder ? `${report.holder.family_name} ${report.holder.given_names}`.trim() : '—');

function renderDoc() {
  show(ui.doc, found.length > 1 || !!docNote);
  ui.docSummary.textContent = [found.length > 1 ? S().docFound(found.length) : '', docNote].filter(Boolean).join(' ');
  ui.docList.textContent = '';
  if (found.length < 2) return;
  found.forEach((f, i) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'button secondary wide';
    const where = f.page ? S().docPage(f.page) : String(i + 1);
    b.textContent = S().docItem(where, nameOf(f.report), f.report.explanation[lang()] ? f.report.explanation[lang()].verdict
      : f.report.explanation.fr.verdict);
    if (f === shown) b.setAttribute('aria-current', 'true');
    b.addEventListener('click', () => {
      shown = f;
      renderResult();
      ui.resultH.focus({ preventScroll: true });
    });
    li.appendChild(b);
    ui.docList.appendChild(li);
  });
}

function renderResult() {
  if (!shown) return;
  renderBand(ui.verdict, shown.report);
  renderDetails(ui.details, shown.report, { where: shown.where });
  const notes = [];
  if (shown.repaired) notes.push(t('scannerRepaired'));
  if (shown.link) notes.push(t('readLink'));
  if (shown.report.presentation === 'reduced') notes.push(t('readCard'));
  ui.readNote.textContent = notes.join(' ');
  show(ui.readNote, notes.length > 0);
  renderDoc();
  resetProof();
}

// ---- the proof of verification (proof.js): asked for, then sent only once the person agrees ----

let proofBusy = false;

function resetProof() {
  show(ui.proof, !!(shown && shown.text));
  show(ui.proofAsk, false);
  ui.proofBtn.setAttribute('aria-expanded', 'false');
  ui.proofMsg.textContent = '';
}

ui.proofBtn.addEventListener('click', () => {
  if (navigator.onLine === false) {
    ui.proofMsg.textContent = t('proofOffline');
    return;
  }
  ui.proofMsg.textContent = '';
  show(ui.proofAsk, true);
  ui.proofBtn.setAttribute('aria-expanded', 'true');
  ui.proofSend.focus();
});

ui.proofCancel.addEventListener('click', () => {
  show(ui.proofAsk, false);
  ui.proofBtn.setAttribute('aria-expanded', 'false');
  ui.proofBtn.focus();
});

ui.proofSend.addEventListener('click', async () => {
  if (proofBusy || !shown || !shown.text) return;
  proofBusy = true;
  ui.proofSend.disabled = true;
  ui.proofMsg.textContent = t('proofWorking');
  const text = shown.text;
  try {
    const { blob, name } = await fetchProof(text);
    if (shown && shown.text === text) {
      saveBlob(blob, name);
      ui.proofMsg.textContent = t('proofDone');
      show(ui.proofAsk, false);
      ui.proofBtn.setAttribute('aria-expanded', 'false');
    }
  } catch (e) {
    const kind = e && e.kind;
    ui.proofMsg.textContent = t(kind === 'offline' ? 'proofOffline' : kind === 'refused' ? 'proofRefused' : 'proofFailed');
  } finally {
    proofBusy = false;
    ui.proofSend.disabled = false;
  }
});

/**
 * The QR text a scanned, pasted or typed text carries: {text, link, repaired}. A holder link gives its
 * code (the library's reading of a scan where it has one); a code typed by a scanner through a
 * keyboard-layout mismatch is repaired when the repair is Base45 that decodes; refused (mangled: true)
 * when it looks like one and cannot be repaired.
 */
async function codeOf(raw) {
  const link = isHolderLink(raw);
  let s = String(raw ?? '');
  // A holder link percent-encoded as a whole (copied from another link's parameter): decoded once.
  if (/^\s*https?%3A%2F%2F/i.test(s)) {
    try {
      s = decodeURIComponent(s.trim());
    } catch {}
  }
  let l = null;
  try {
    l = await loadLib();
  } catch {}
  // The library's reading of a scan (a raw API1: text, or the code in a link's fragment); the page's own
  // where the library cannot be loaded (the verification then cannot run on the phone either).
  const text = l && typeof l.codeFromScan === 'function' ? l.codeFromScan(s) : qrTextOf(s);
  if (!text.startsWith('API1:') && looksMangled(text)) {
    const r = repairText(text.trim());
    let ok = !!r && base45Shaped(r);
    if (ok && l && typeof l.qrDecode === 'function') {
      try {
        l.qrDecode(r);
      } catch {
        ok = false;
      }
    }
    return ok ? { text: r, link, repaired: true } : { text, link, mangled: true };
  }
  return { text, link, repaired: false };
}

function showScannerRefusal(where) {
  // The sentence in the page's language, then in the other: the scanner's settings may be read by someone else.
  const el = where || ui.pasteMsg;
  el.textContent = '';
  el.classList.add('scanner-msg');
  const cur = lang() === 'en' ? 'en' : 'fr';
  for (const code of [cur, cur === 'fr' ? 'en' : 'fr']) {
    const span = document.createElement('span');
    span.lang = code;
    span.textContent = code === cur ? t('scannerLayout') : LANGS[code].scannerLayout;
    el.appendChild(span);
  }
}

function serviceDown() {
  shown = null;
  found = [];
  busy = false;
  clearBand(ui.verdict);
  ui.verdict.className = 'band band-unknown';
  ui.verdict.textContent = t('serviceDown');
}

/**
 * Verifies the codes read in a document: groups is [{page, texts}] in page order. Each attestation once
 * per page (its full code rather than its reduced one); returns them in page order.
 */
async function verifyCodes(groups) {
  const out = [];
  for (const g of groups) {
    const here = new Map(); // attestation id (or the text, when none) -> entry
    for (const raw of g.texts) {
      const c = await codeOf(raw);
      const v = await engine.verify(c.text);
      const entry = { ...v, page: g.page, link: c.link, repaired: c.repaired, text: c.text };
      const key = v.report.attestation_id || c.text;
      const had = here.get(key);
      if (!had || (had.report.presentation === 'reduced' && v.report.presentation !== 'reduced')) here.set(key, entry);
    }
    out.push(...here.values());
  }
  return out;
}

function showFound(list, source) {
  found = list;
  shown = list[0];
  renderResult();
  afterVerdict(source);
}

async function check(raw, source) {
  if (busy) return;
  const c = await codeOf(raw);
  if (c.mangled) {
    showScannerRefusal(source === 'scanner' || source === 'paste' ? ui.pasteMsg : ui.photoMsg);
    return;
  }
  busy = true;
  mark('read');
  camera.stop();
  try {
    const v = await engine.verify(c.text);
    shown = { ...v, page: null, link: c.link, repaired: c.repaired, text: c.text };
  } catch (e) {
    serviceDown();
    return;
  }
  found = [shown];
  docNote = '';
  renderResult();
  afterVerdict(source);
}

function afterVerdict(source) {
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
  found = [];
  docNote = '';
  ui.readNote.textContent = '';
  show(ui.readNote, false);
  show(ui.doc, false);
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

/** Reads a picked or shared file (an image or a PDF) on the phone and shows what it holds. */
async function readFile(file, source) {
  if (busy) return;
  busy = true;
  let groups = [];
  let note = '';
  try {
    if (await isPdf(file)) {
      ui.photoMsg.textContent = t('pdfLoading');
      let r;
      try {
        r = await readPdfCodes(file, { onPage: (n, of) => (ui.photoMsg.textContent = S().pdfReading(n, of)) });
      } catch (e) {
        ui.photoMsg.textContent = e && e.reason === 'password' ? t('pdfPassword') : t('pdfError');
        return;
      }
      groups = r.found;
      if (r.pages > r.read) note = S().pdfMorePages(r.read, r.pages);
      if (!groups.length) {
        ui.photoMsg.textContent = [t('pdfNoCode'), note].filter(Boolean).join(' ');
        return;
      }
    } else {
      ui.photoMsg.textContent = t('photoReading');
      let texts;
      try {
        texts = await readImageFileCodes(file);
      } catch {
        ui.photoMsg.textContent = t('photoError');
        return;
      }
      if (!texts.length) {
        ui.photoMsg.textContent = t('photoNoCode');
        return;
      }
      groups = [{ page: null, texts }];
    }
    ui.photoMsg.textContent = '';
    mark('read');
    camera.stop();
    let list;
    try {
      list = await verifyCodes(groups);
    } catch {
      serviceDown();
      return;
    }
    docNote = note;
    showFound(list, source);
  } finally {
    busy = false;
  }
}

ui.photo.addEventListener('change', async () => {
  const file = ui.photo.files && ui.photo.files[0];
  if (!file) return;
  try {
    await readFile(file, 'photo');
  } finally {
    ui.photo.value = '';
  }
});

ui.torchBtn.addEventListener('click', () => camera.setTorch(!camera.torchOn));
ui.switchBtn.addEventListener('click', () => camera.switchCamera());

// A handheld scanner types the code and Enter: taken wherever the focus is, unless a field has it (then the
// field's own Enter submits it, through the same check).
listenForScanner((text) => {
  if (!ui.result.hidden) again();
  check(text, 'scanner');
});

// A file shared to the installed app (Web Share Target): the service worker kept it and opened
// /check/?shared=1; read it here, on the phone, then forget it.
const SHARE_CACHE = 'api-share-v1';
const SHARE_KEY = '/check/share/file';
async function readShared() {
  if (!new URLSearchParams(location.search).has('shared')) return;
  history.replaceState(null, '', location.pathname);
  let file = null;
  try {
    const cache = await caches.open(SHARE_CACHE);
    const res = await cache.match(SHARE_KEY);
    if (res && res.headers.get('X-Shared-Text')) {
      // A link or a text was shared: the holder's link or a code's text.
      const text = await res.text();
      await cache.delete(SHARE_KEY);
      check(text, 'share');
      return;
    }
    if (res) {
      const blob = await res.blob();
      const name = decodeURIComponent(res.headers.get('X-File-Name') || 'shared');
      file = new File([blob], name, { type: blob.type || res.headers.get('Content-Type') || '' });
      await cache.delete(SHARE_KEY);
    }
  } catch {
    file = null;
  }
  if (!file) {
    ui.photoMsg.textContent = t('sharedNone');
    return;
  }
  ui.photoMsg.textContent = t('sharedReading');
  await readFile(file, 'share');
}

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
readShared();
mark('ready');
window.apiCheck = {
  engine, perf, readerKind, check, readFile, found: () => found,
  /** Every code of a file (an image or a PDF), read on the phone, not verified: for the tests and the bench. */
  async readCodes(file) {
    if (await isPdf(file)) return (await readPdfCodes(file)).found.flatMap((f) => f.texts);
    return readImageFileCodes(file);
  },
  verify: (text, mode) => engine.verify(text, mode),
  show(report, where) {
    shown = { report, where };
    renderResult();
    show(ui.scan, false);
    show(ui.result, true);
  },
};
