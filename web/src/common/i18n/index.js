// The languages of the pages and the helpers that read them. French is the
// default; the choice is kept on the phone. Static texts in the HTML carry
// data-i18n="key" (text) or data-i18n-attr="attr:key" and are set again on a
// switch; the rest is rendered by the page's code through t().
import fr from './fr.js';
import en from './en.js';

export const LANGS = { fr, en };
const STORE = 'api.lang';
let current = 'fr';

export function initLang() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORE);
  } catch {}
  current = stored && LANGS[stored] ? stored : 'fr';
  return current;
}

export const lang = () => current;
export const S = () => LANGS[current];

export function setLang(code) {
  if (!LANGS[code]) return;
  current = code;
  try {
    localStorage.setItem(STORE, code);
  } catch {}
}

/** A text of the current language (falls back to French). */
export function t(key) {
  const v = LANGS[current][key];
  return v === undefined ? fr[key] : v;
}

/** Sets the static texts of the page (elements with data-i18n). */
export function applyStatic(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const v = t(el.dataset.i18n);
    if (typeof v === 'string') el.textContent = v;
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      const v = t(key);
      if (typeof v === 'string') el.setAttribute(attr, v);
    }
  }
}

/** The language buttons in `nav`: one per other language, named in its own language. */
export function renderSwitch(nav, onChange) {
  nav.textContent = '';
  nav.setAttribute('aria-label', t('switchLanguage'));
  for (const code of Object.keys(LANGS)) {
    if (code === current) continue;
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'lang';
    b.lang = code;
    b.textContent = LANGS[code].langName;
    b.addEventListener('click', () => {
      setLang(code);
      onChange(code);
      const again = nav.querySelector('button');
      if (again) again.focus();
    });
    nav.appendChild(b);
  }
}

/** A calendar date YYYY-MM-DD (or YYYY-MM, YYYY) as words: "1er avril 2026", "12 April 1990". */
export function formatDate(ymd) {
  const s = S();
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(ymd || '');
  if (!m) return ymd || '';
  const [, y, mo, d] = m;
  if (!mo) return y;
  const month = s.months[Number(mo) - 1];
  if (!month) return ymd;
  if (!d) return `${month} ${y}`;
  return `${s.dayFirst(Number(d))} ${month} ${y}`;
}

/** An instant (ISO 8601 or Date) as a date and time on this phone's clock. */
export function formatInstant(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  const ymd = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return S().at(formatDate(ymd), `${p(d.getHours())}:${p(d.getMinutes())}`);
}

/** How long ago, in words. */
export function formatAgo(ms) {
  const a = S().ago;
  const min = Math.floor(Math.max(0, ms) / 60000);
  if (min < 1) return a.now;
  if (min < 60) return a.minutes(min);
  const h = Math.floor(min / 60);
  if (h < 48) return a.hours(h);
  return a.days(Math.floor(h / 24));
}
