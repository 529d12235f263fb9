// verdict.js: turns a verification report (the JSON of verifier/report.c,
// from the library or from POST /api/v1/verify) into what a person reads.
// The verdict sentences, next steps and legal texts come from the report's
// `explanation` (verifier/explain.c), so the words are the same everywhere;
// labels come from the language files.
//
// An attestation has two codes (docs/format.md, "The reduced presentation"):
// the full one and the holder's card, a reduced code without the nationality,
// the foreign-national number or the application. The report says which was
// read (`presentation`) and names what a card does not carry
// (`not_presented`); both are shown, the absent fields as not presented,
// never as empty values.
import { S, t, lang, formatDate, formatInstant } from './i18n/index.js';

/*
 * The words of the two codes, French and English; kept here, beside their
 * only user, until the language files take them.
 */
const CODE_TEXTS = {
  fr: {
    codeLabel: 'Code lu',
    full: 'code complet de l’attestation',
    reduced: 'code réduit de la carte du titulaire',
    notPresented: 'Non présenté par ce code',
    fields: {
      issued_at: 'date de délivrance',
      'holder.nationality': 'nationalité',
      'holder.foreign_national_number': 'numéro d’étranger',
      application: 'demande (nature, titre demandé, date de dépôt, titre précédent)',
    },
  },
  en: {
    codeLabel: 'Code read',
    full: 'full code of the attestation',
    reduced: 'reduced code of the holder’s card',
    notPresented: 'Not presented by this code',
    fields: {
      issued_at: 'date of issue',
      'holder.nationality': 'nationality',
      'holder.foreign_national_number': 'foreign-national number',
      application: 'application (kind, permit requested, filing date, previous permit)',
    },
  },
};

/** The words of the codes in the page's language. */
export function codeTexts() {
  return CODE_TEXTS[lang()] || CODE_TEXTS.fr;
}

/** Which code a report read, in words ('code réduit de la carte du titulaire'), or '' before the typ was read. */
export function presentationText(report) {
  const p = report && report.presentation;
  return p === 'full' || p === 'reduced' ? codeTexts()[p] : '';
}

/** The members a reduced code does not present, in words, in the report's order. */
export function notPresentedTexts(report) {
  const list = (report && Array.isArray(report.not_presented) && report.not_presented) || [];
  const f = codeTexts().fields;
  return list.map((k) => f[k] || k);
}

/**
 * Rows of a facts list: which code was read (unless which is false: the
 * checker says it above the details), and for a reduced one what it does
 * not present; returns the explanation's sentence to put under the list,
 * or null.
 */
export function presentationRows(dl, report, { which: sayWhich = true } = {}) {
  const which = presentationText(report);
  if (!which) return null;
  const c = codeTexts();
  if (sayWhich) row(dl, c.codeLabel, which);
  const absent = notPresentedTexts(report);
  if (absent.length) {
    const dd = el('ul', { class: 'not-presented' });
    for (const a of absent) dd.append(el('li', { text: a }));
    dl.append(el('dt', { text: c.notPresented }), el('dd', { 'data-not-presented': report.not_presented.join(' ') }, dd));
  }
  const ex = explanationOf(report);
  return ex.presentation ? el('p', { class: 'presentation', text: ex.presentation }) : null;
}

/** The three kinds of answer: 'ok' valid, 'unknown' cannot be confirmed, 'bad' not valid. */
export function verdictKind(result) {
  if (result === 'valid') return 'ok';
  if (result === 'status_unknown' || result === 'malformed') return 'unknown';
  return 'bad';
}

/** The explanation texts of the report in the page's language (then English, then French). */
export function explanationOf(report) {
  const ex = (report && report.explanation) || {};
  return ex[lang()] || ex.en || ex.fr || {};
}

const ICONS = {
  ok: '<path d="M9 16.5l5 5 9.5-11" fill="none" stroke="currentColor" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>',
  bad: '<path d="M10 10l12 12M22 10L10 22" fill="none" stroke="currentColor" stroke-width="3.5" stroke-linecap="round"/>',
  unknown: '<path d="M16 8.5v9" fill="none" stroke="currentColor" stroke-width="3.5" stroke-linecap="round"/><circle cx="16" cy="23" r="2.2" fill="currentColor"/>',
};

export function iconSvg(kind) {
  return `<svg class="icon" viewBox="0 0 32 32" width="44" height="44" aria-hidden="true" focusable="false">` +
    `<circle cx="16" cy="16" r="15" fill="none" stroke="currentColor" stroke-width="2.5"/>${ICONS[kind]}</svg>`;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function row(dl, label, value, extra) {
  dl.append(el('dt', { text: label }), el('dd', {}, el('span', { class: 'value', text: value }), extra || null));
}

/** Fills the status element: colour band, icon and the verdict sentence (its text starts with it). */
export function renderBand(status, report) {
  const kind = verdictKind(report.result);
  const ex = explanationOf(report);
  status.className = `band band-${kind}`;
  status.dataset.result = report.result;
  if (report.presentation) status.dataset.presentation = report.presentation;
  else delete status.dataset.presentation;
  status.innerHTML = iconSvg(kind);
  status.append(el('p', { class: 'verdict-sentence', text: ex.verdict || report.result }));
}

export function clearBand(status) {
  status.className = 'band';
  status.textContent = '';
  delete status.dataset.result;
  delete status.dataset.presentation;
}

function holderRows(dl, h) {
  row(dl, t('familyName'), h.family_name || '');
  row(dl, t('givenNames'), h.given_names ? h.given_names : t('noGivenNames'));
  if (h.birth_date) {
    const full = /^\d{4}-\d{2}-\d{2}$/.test(h.birth_date);
    row(dl, full ? t('birthDate') : t('bornIn'), formatDate(h.birth_date));
  }
}

/**
 * The details under the band, for the checker: what to do, the holder to
 * compare with an ID, the rights (valid only), the issuer, and what an API is.
 */
export function renderDetails(box, report, { where } = {}) {
  box.textContent = '';
  const ex = explanationOf(report);
  const valid = report.result === 'valid';
  const h = report.holder;

  if (!valid && ex.next_step) {
    const next = el('section', { class: 'card next', 'aria-labelledby': 'next-h' },
      el('h3', { id: 'next-h', text: t('nextStepHeading') }), el('p', { text: ex.next_step }));
    if (ex.reason) next.append(el('p', { class: 'small', text: `${t('reasonLabel')}${S().colon} ${ex.reason}` }));
    box.append(next);
  }

  let card = null;
  if (h) {
    const dl = el('dl', { class: 'facts big' });
    holderRows(dl, h);
    const codeDl = el('dl', { class: 'facts code-read' });
    const codeNote = presentationRows(codeDl, report, { which: false });
    card = el('section', { class: 'card', 'aria-labelledby': 'who-h' },
      el('h3', { id: 'who-h', text: valid ? t('compareHeading') : t('documentHeading') }), dl);
    if (codeDl.childNodes.length) card.append(codeDl);
    if (codeNote) card.append(codeNote);
    if (valid && ex.compare) card.append(el('p', { text: ex.compare }));
    if (valid && ex.next_step) card.append(el('p', { class: 'strong', text: ex.next_step }));
    box.append(card);
  }

  if (h && valid) {
    const dl = el('dl', { class: 'facts' });
    const v = report.validity || {};
    const until = (report.rights && report.rights.stay_until) || v.effective_until;
    let note = null;
    if (v.extended && v.valid_until) note = el('p', { class: 'extended', text: S().extendedNote(formatDate(v.valid_until)) });
    row(dl, t('stayUntil'), formatDate(until), note);
    if (ex.work) row(dl, t('workLabel'), ex.work);
    const prv = report.application && report.application.previous_title;
    if (prv) row(dl, t('previousPermit'), S().previousPermitValue(prv.number, formatDate(prv.expires_on)));
    if (report.issuer) row(dl, t('issuerLabel'), report.issuer.name);
    box.append(el('section', { class: 'card rights', 'aria-labelledby': 'rights-h' },
      el('h3', { id: 'rights-h', text: t('rightsHeading') }), dl));
  } else if (h) {
    const dl = el('dl', { class: 'facts' });
    const v = report.validity || {};
    if (report.result === 'not_yet_valid' && v.valid_from) row(dl, t('validFrom'), formatDate(v.valid_from));
    if (v.effective_until) row(dl, t('validUntil'), formatDate(v.effective_until));
    if (report.issuer) row(dl, t('issuerLabel'), report.issuer.name);
    card.append(dl, el('p', { class: 'small', text: t('notConfirmedNote') }));
  } else if (report.issuer) {
    const dl = el('dl', { class: 'facts' });
    row(dl, t('issuerLabel'), report.issuer.name);
    presentationRows(dl, report, { which: false });
    box.append(el('section', { class: 'card' }, dl));
  }

  const how = el('section', { class: 'card how' });
  if (report.status_checked && report.status_as_of) how.append(el('p', { text: S().statusAsOf(formatInstant(report.status_as_of)) }));
  else if (h) how.append(el('p', { text: t('statusNotChecked') }));
  if (where === 'local') how.append(el('p', { class: 'privacy', text: t('verifiedHere') }));
  else if (where === 'server') how.append(el('p', { text: t('verifiedServer') }));
  if (how.childNodes.length) box.append(how);

  if (ex.about) {
    const about = el('section', { class: 'card about', 'aria-labelledby': 'about-h' },
      el('h3', { id: 'about-h', text: t('aboutHeading') }), el('p', { text: ex.about }));
    if (ex.disclaimer) about.append(el('p', { class: 'small', text: ex.disclaimer }));
    box.append(about);
  }
}

export { el, row, holderRows };
