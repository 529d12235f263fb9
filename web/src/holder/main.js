// The holder's card (/holder): the applicant's own attestation on the phone.
// It comes from a link /holder#<QR text, percent-encoded> (the fragment never
// reaches the server), from the paper's QR code (camera or photo), or from a
// pasted text; it is kept in localStorage and shown as a large QR code with a
// summary. The summary is checked on the phone with the signed bundle (and by
// the service only when the phone's data are too old), so extensions show once
// the phone has been online; everything works offline after the first visit.
//
// The préfecture's link carries the holder's card, a reduced code (typ
// api-card+cwt: the names, the birth date, the validity and the right to
// work, not the nationality, the foreign-national number or the
// application; docs/format.md, "The reduced presentation"): that is the code
// shown. A full code scanned from the paper is kept as it is (only the
// préfecture can sign a card); the page says which code it shows.
import qrcode from 'qrcode-generator';
import { t, S, formatDate, formatInstant } from '../common/i18n/index.js';
import { Engine } from '../common/engine.js';
import { Camera, readImageFile } from '../common/scanner.js';
import { codeFromScan } from '../lib/index.js';
import {
  explanationOf, verdictKind, iconSvg, el, row, holderRows, presentationRows, presentationText,
} from '../common/verdict.js';
import { mark, setupLanguage, registerServiceWorker, show, perf } from '../common/page.js';

const QR_KEY = 'api.holder.qr';
const REPORT_KEY = 'api.holder.report';
const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), card: $('card'), add: $('add'), qr: $('qr'), summary: $('summary'), remove: $('remove'),
  qrKind: $('qr-kind'), install: $('install'), viewfinder: $('viewfinder'), video: $('video'), cameraMsg: $('camera-msg'),
  cameraBtn: $('camera-btn'), pasteForm: $('paste-form'), paste: $('paste'), pasteMsg: $('paste-msg'),
  photo: $('photo'), photoMsg: $('photo-msg'),
};

const store = {
  get(k) {
    try {
      return localStorage.getItem(k);
    } catch {
      return null;
    }
  },
  set(k, v) {
    try {
      localStorage.setItem(k, v);
    } catch {}
  },
  del(k) {
    try {
      localStorage.removeItem(k);
    } catch {}
  },
};

let qrText = store.get(QR_KEY);
let report = null;
let statusKey = null; // a key of the language files, shown in the status line
try {
  report = JSON.parse(store.get(REPORT_KEY) || 'null');
} catch {
  report = null;
}

const engine = new Engine({
  onChange: (what) => {
    if (what === 'loaded' && qrText) verifyStored();
  },
});

/** The QR code as an SVG: alphanumeric mode and level M, like the printed one. */
export function qrSvg(text) {
  const qr = qrcode(0, 'M');
  try {
    qr.addData(text, 'Alphanumeric');
    qr.make();
  } catch {
    const q2 = qrcode(0, 'M');
    q2.addData(text, 'Byte');
    q2.make();
    return drawQr(q2);
  }
  return drawQr(qr);
}

function drawQr(qr) {
  const n = qr.getModuleCount();
  const q = 4;
  let d = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (qr.isDark(y, x)) {
        let run = 1;
        while (x + run < n && qr.isDark(y, x + run)) run++;
        d += `M${x + q} ${y + q}h${run}v1h-${run}z`;
        x += run - 1;
      }
    }
  }
  const s = n + 2 * q;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${s} ${s}" shape-rendering="crispEdges" aria-hidden="true" focusable="false">` +
    `<rect width="${s}" height="${s}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
}

/*
 * Which code the QR shows, once verified: said under it and in its
 * accessible name ("Code QR de votre attestation : code réduit de la carte
 * du titulaire"), so that a screen reader says it too.
 */
function renderKind() {
  const which = qrText && report ? presentationText(report) : '';
  const base = t('holderQrAlt');
  ui.qr.setAttribute('aria-label', which ? `${base}${S().colon} ${which}` : base);
  if (which) ui.qr.dataset.presentation = report.presentation;
  else delete ui.qr.dataset.presentation;
  if (ui.qrKind) {
    const text = which ? which.charAt(0).toUpperCase() + which.slice(1) : '';
    ui.qrKind.textContent = text;
    show(ui.qrKind, !!text);
  }
}

function setStatus(key) {
  statusKey = key;
  ui.status.textContent = key ? t(key) : '';
}

function renderSummary() {
  const box = ui.summary;
  box.textContent = '';
  if (!report) {
    box.append(el('p', { text: t('holderNotVerified') }));
    return;
  }
  const kind = verdictKind(report.result);
  const ex = explanationOf(report);
  const badge = el('div', { class: `badge badge-${kind}`, 'data-result': report.result });
  badge.innerHTML = iconSvg(kind);
  badge.append(el('p', { text: ex.verdict || report.result }));
  box.append(badge);
  if (report.result !== 'valid' && ex.next_step) box.append(el('p', { class: 'strong', text: ex.next_step }));
  const h = report.holder;
  if (!h) return;
  const dl = el('dl', { class: 'facts' });
  holderRows(dl, h);
  const v = report.validity || {};
  const until = (report.rights && report.rights.stay_until) || v.effective_until;
  if (until) {
    const note = v.extended && v.valid_until ? el('p', { class: 'extended', text: S().extendedNote(formatDate(v.valid_until)) }) : null;
    row(dl, report.result === 'valid' ? t('stayUntil') : t('validUntil'), formatDate(until), note);
  }
  if (ex.work) row(dl, t('workLabel'), ex.work);
  const codeNote = presentationRows(dl, report);
  const app = report.application;
  if (app) {
    const kindText = (S().appType || {})[app.type] || app.type;
    const parts = [kindText, app.title_requested].filter(Boolean).join(', ');
    row(dl, t('holderApplication'), app.filed_on ? `${parts}, ${S().holderFiledOn(formatDate(app.filed_on))}` : parts);
    if (app.previous_title) row(dl, t('previousPermit'), S().previousPermitValue(app.previous_title.number, formatDate(app.previous_title.expires_on)));
  }
  if (report.issuer) row(dl, t('issuerLabel'), report.issuer.name);
  box.append(dl);
  if (codeNote) box.append(codeNote);
  if (report.status_checked && report.status_as_of) box.append(el('p', { class: 'small', text: S().statusAsOf(formatInstant(report.status_as_of)) }));
}

let wakeLock = null;
async function keepScreenOn(on) {
  try {
    if (on && !wakeLock && 'wakeLock' in navigator && document.visibilityState === 'visible') {
      wakeLock = await navigator.wakeLock.request('screen');
      wakeLock.addEventListener('release', () => (wakeLock = null));
    } else if (!on && wakeLock) {
      await wakeLock.release();
      wakeLock = null;
    }
  } catch {
    wakeLock = null;
  }
}
document.addEventListener('visibilitychange', () => keepScreenOn(!!qrText && document.visibilityState === 'visible'));

function render() {
  show(ui.card, !!qrText);
  show(ui.add, !qrText);
  if (qrText) {
    if (ui.qr.dataset.text !== qrText) {
      ui.qr.innerHTML = qrSvg(qrText);
      ui.qr.dataset.text = qrText;
    }
    renderKind();
    renderSummary();
    keepScreenOn(true);
  } else {
    ui.qr.textContent = '';
    delete ui.qr.dataset.text;
    renderKind();
    keepScreenOn(false);
  }
  if (statusKey) ui.status.textContent = t(statusKey);
}

let verifying = null;
let verifyAgain = false;
async function verifyStored() {
  if (!qrText) return;
  if (verifying) {
    verifyAgain = true; // newer data arrived meanwhile: check once more after this one
    return verifying;
  }
  verifying = (async () => {
    try {
      const { report: r } = await engine.verify(qrText);
      if (r.result === 'malformed') {
        forget();
        setStatus('holderBadCode');
        return;
      }
      report = r;
      store.set(REPORT_KEY, JSON.stringify(r));
      mark('summary');
      render();
    } catch {
      /* offline and no data yet: keep what was shown */
    } finally {
      verifying = null;
      if (verifyAgain) {
        verifyAgain = false;
        verifyStored();
      }
    }
  })();
  return verifying;
}

function save(text, how) {
  const clean = codeFromScan(text);
  if (!clean.startsWith('API1:')) {
    setStatus('holderBadCode');
    return false;
  }
  if (clean !== qrText) {
    report = null;
    store.del(REPORT_KEY);
  }
  qrText = clean;
  store.set(QR_KEY, clean);
  setStatus(how === 'link' ? null : 'holderAdded');
  render();
  verifyStored();
  return true;
}

function forget() {
  qrText = null;
  report = null;
  store.del(QR_KEY);
  store.del(REPORT_KEY);
  render();
}

// The link's fragment: read it, keep it, and take it out of the address bar and history.
function takeFragment() {
  const h = location.hash;
  if (!h || h.length < 2) return;
  const text = codeFromScan(location.href);
  history.replaceState(null, '', location.pathname + location.search);
  save(text, 'link');
}

const camera = new Camera(ui.video, {
  onCode: (text) => {
    if (save(text, 'scan')) ui.status.focus?.();
  },
  onState: (s) => {
    camera.state = s;
    renderCamera();
  },
});

function renderCamera() {
  const s = camera.state || 'stopped';
  const msg = { starting: t('cameraStarting'), scanning: t('cameraAim'), denied: t('cameraDenied'), none: t('cameraNone'),
    insecure: t('cameraInsecure'), error: t('cameraError') }[s] || '';
  ui.cameraMsg.textContent = msg;
  ui.cameraMsg.className = `camera-msg${['denied', 'none', 'insecure', 'error'].includes(s) ? ' warn' : ''}`;
  const running = s === 'scanning' || s === 'starting';
  show(ui.viewfinder, running);
  ui.cameraBtn.textContent = running ? t('cameraStop') : t('cameraStart');
  show(ui.cameraBtn, s !== 'insecure' && s !== 'none');
}

ui.cameraBtn.addEventListener('click', () => {
  if (camera.running) camera.stop();
  else camera.start();
});

ui.pasteForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!ui.paste.value.trim()) {
    ui.pasteMsg.textContent = t('pasteEmpty');
    ui.paste.setAttribute('aria-invalid', 'true');
    return;
  }
  ui.paste.removeAttribute('aria-invalid');
  ui.pasteMsg.textContent = '';
  if (save(ui.paste.value, 'paste')) ui.paste.value = '';
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
  ui.photoMsg.textContent = text ? '' : t('photoNoCode');
  if (text) save(text, 'photo');
});

ui.remove.addEventListener('click', () => {
  if (!window.confirm(t('holderRemoveConfirm'))) return;
  forget();
  setStatus('holderRemoved');
  ui.paste.focus();
});

let installPrompt = null;
window.addEventListener('beforeinstallprompt', (ev) => {
  ev.preventDefault();
  installPrompt = ev;
  show(ui.install, true);
});
ui.install.addEventListener('click', async () => {
  if (!installPrompt) return;
  installPrompt.prompt();
  try {
    await installPrompt.userChoice;
  } catch {}
  installPrompt = null;
  show(ui.install, false);
});

window.addEventListener('hashchange', takeFragment);

setupLanguage(() => {
  render();
  renderCamera();
});

takeFragment();
render();
renderCamera();
engine.start().then(() => verifyStored());
registerServiceWorker();
mark('ready');
window.apiHolder = { engine, perf, get report() { return report; }, get text() { return qrText; } };
