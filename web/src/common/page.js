// page.js: what both pages share at start-up: the language, the switch, the
// service worker, and a tiny timing record the tests read.
import { initLang, applyStatic, renderSwitch } from './i18n/index.js';

export const perf = { marks: {} };

export function mark(name) {
  perf.marks[name] = performance.now();
}

/** Sets the language of the page and wires the switch; onChange re-renders what code drew. */
export function setupLanguage(onChange) {
  const code = initLang();
  if (code !== 'fr') applyStatic();
  const nav = document.getElementById('langs');
  const redraw = () => {
    applyStatic();
    renderSwitch(nav, redraw);
    onChange();
  };
  renderSwitch(nav, redraw);
}

export function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  const go = () => navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  if (document.readyState === 'complete') go();
  else window.addEventListener('load', go, { once: true });
}

export function show(el, on) {
  el.hidden = !on;
}
