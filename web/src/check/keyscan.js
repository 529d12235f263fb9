// keyscan.js: handheld QR scanners on /check. A USB or Bluetooth scanner is a
// keyboard: it types the code's text, then Enter. The checker takes those
// keystrokes wherever the focus is (no field needs to be clicked first), told
// apart from a person typing by their pace: keys SCAN_GAP_MS apart or less on
// average (a scanner sends one every few milliseconds; a person, one every
// 150 or more), starting as a code starts, with no pause over PAUSE_MS (the
// average rather than each gap: a busy phone may hold a key event back).
//
// A scanner sends key positions, not characters: set to the US (QWERTY)
// layout, as they come, on a computer set to French (AZERTY), the usual case
// in France, "API1:" arrives as "QPI&M". Each Base45 character (0-9 A-Z space
// $ % * + - . / :) is typed at its US position and read with the French
// layout:
//
//   sent      0 1 2 3 4 5 6 7 8 9  $ % * + - . / :  A Q Z W M  others
//   arrives   à & é " ' ( - è _ ç  4 5 8 + ) : ! M  Q A W Z ?  the same
//
// (the digits are AZERTY's shifted digit keys; '.' is US '.', whose key is
// ':' on AZERTY; ':' is Shift+';', whose key is M; 'M' is Shift+M, whose key
// is ',' / '?'; '-' and '/' are the keys of ')' and '!'.) The table is a
// one-to-one map, so repairText() undoes it; the caller keeps the repair only
// when it gives a Base45 text that decodes, and otherwise says what to change
// on the scanner.
export const SCAN_GAP_MS = 50; // at most this between two keys of a scanner, on average
const PAUSE_MS = 500; // a pause this long ends what was typed
const MIN_LENGTH = 8;

const SENT = '0123456789$%*+-./:AQZWM';
const ARRIVES = 'à&é"\'(-è_ç458+):!MQAWZ?';
const REPAIR = new Map([...ARRIVES].map((c, i) => [c, SENT[i]]));

// How a code's text starts, as typed through a matching layout or through the mismatch above; a holder link.
const STARTS = ['API1:', 'QPI&M', 'https:', 'http:', 'HTTPS:', 'HTTP:'];

/** The text a US-layout scanner meant, from what a French-layout computer read; null if it cannot be. */
export function repairText(s) {
  let out = '';
  for (const c of s) {
    if (REPAIR.has(c)) out += REPAIR.get(c);
    else if ((c >= 'A' && c <= 'Z') || c === ' ') out += c;
    else return null;
  }
  return out;
}

/** Whether a text looks like a code typed through the QWERTY-on-AZERTY mismatch. */
export function looksMangled(s) {
  return /^QPI&M/.test(String(s || '').trimStart());
}

const BASE45 = /^[0-9A-Z $%*+\-./:]*$/;
/** Whether a QR text is "API1:" then Base45 of a possible length. */
export function base45Shaped(s) {
  if (!s.startsWith('API1:')) return false;
  const b = s.slice(5);
  return BASE45.test(b) && b.length % 3 !== 1 && b.length > 0;
}

function editable(el) {
  if (!el || el === document.body) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

/**
 * Listens to the keyboard of the whole document and calls onScan(text) when a scanner typed a code and
 * Enter while no field had the focus. Returns a function that stops listening.
 */
export function listenForScanner(onScan, { gap = SCAN_GAP_MS } = {}) {
  let buf = '';
  let first = 0;
  let last = 0;
  const fast = (now) => buf.length < 2 || (now - first) / buf.length <= gap;
  const reset = () => {
    buf = '';
  };
  const onKey = (ev) => {
    if (ev.defaultPrevented || ev.isComposing || ev.ctrlKey || ev.metaKey) return;
    if (editable(ev.target) || editable(document.activeElement)) {
      reset();
      return;
    }
    const now = ev.timeStamp || performance.now();
    const k = ev.key;
    if (k === 'Enter') {
      if (buf.length >= MIN_LENGTH && now - last <= PAUSE_MS && fast(now)) {
        ev.preventDefault();
        const text = buf;
        reset();
        onScan(text);
      } else reset();
      return;
    }
    if (typeof k !== 'string' || [...k].length !== 1) return; // Shift, Alt and the like: part of the typing
    if (buf && now - last > PAUSE_MS) reset();
    const next = buf + k;
    if (!STARTS.some((p) => p.startsWith(next) || next.startsWith(p))) {
      reset();
      // This key may itself start a code.
      if (!STARTS.some((p) => p.startsWith(k))) return;
      buf = k;
      first = now;
      last = now;
      return;
    }
    if (!buf) first = now;
    buf = next;
    last = now;
    // Once it is surely a scanner, its keys are its own: no space scrolls the page or presses a button.
    if (buf.length > 5 && fast(now)) ev.preventDefault();
  };
  document.addEventListener('keydown', onKey, true);
  return () => document.removeEventListener('keydown', onKey, true);
}
