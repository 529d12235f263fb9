/*
 * scan.js: the code carried by what a camera or a paste gives the checker.
 *
 * A QR code read by a phone is either an API1: text (the full code, or the
 * holder's card) or a link: the holder's link that `api-issuer issue
 * --holder-base` writes, BASE#<code>, the code percent-encoded as
 * encodeURIComponent does (docs/web.md), and which the holder's page
 * shows as a QR code. The fragment is never sent to a server; a checker
 * reads it and verifies the code it holds. The link's host and path prove
 * nothing, so any http(s) link whose fragment holds an API1: code is read;
 * the signature decides.
 *
 * Base45 has spaces, '%', '+', '/' and ':': a raw text is kept as it is
 * (only white space before it and line ends after it are dropped), and a
 * fragment is percent-decoded only when that gives a code that decodes,
 * so that a fragment left raw by whoever pasted it still reads. What holds
 * no code is returned as read, and the verification refuses it with its
 * own reason (`prefix`).
 */
import { qrDecode, QR_PREFIX } from './verify.js';

/* Whether text is an API1: text whose Base45 and zlib decode (the envelope is the verification's). */
function decodes(text) {
  if (!text.startsWith(QR_PREFIX)) return false;
  try {
    qrDecode(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The code (an API1: text) carried by a scanned or pasted text: the text
 * itself, or the fragment of a link such as https://…/holder#API1%3A…;
 * anything else as read, for the verification to refuse.
 */
export function codeFromScan(text) {
  const s = String(text ?? '')
    .replace(/^\s+/, '')
    .replace(/[\r\n]+$/, '');
  if (s.startsWith(QR_PREFIX) || !/^https?:\/\//i.test(s)) return s;
  const hash = s.indexOf('#');
  if (hash < 0) return s;
  const fragment = s.slice(hash + 1).replace(/\s+$/, '');
  let decoded = null;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    decoded = null;
  }
  const candidates = decoded !== null && decoded !== fragment ? [decoded, fragment] : [fragment];
  for (const c of candidates) if (decodes(c)) return c;
  for (const c of candidates) if (c.startsWith(QR_PREFIX)) return c;
  return s;
}
