/*
 * index.js: the offline verifier library of the web checker.
 *
 *   const state = loadBundle(bundleJson, pinnedRootKeyB64url, nowSeconds[, previousState]);
 *   const report = verifyQr(qrText, state, nowSeconds, { maxStaleness: 86400 });
 *   (either presentation: the full code or the holder's card; options.accept: 'full' or 'reduced' for one only)
 *   const code = codeFromScan(scannedOrPastedText);   (an API1: text, or the code in a holder link's fragment)
 *
 * The report has the fields and values of `api-verifier verify --json`
 * (docs/format.md, "Verification report"); texts.fr / texts.en hold the
 * plain-language texts. Everything is synchronous and deterministic: no
 * network, no clock, no browser-only API (TextEncoder/TextDecoder only).
 */
export { b45Decode, b45Encode } from './base45.js';
export { inflateStrict } from './zlib.js';
export { cborCheck, cborLoad, CborReader, CborTag } from './cbor.js';
export { ed25519Verify, sha256, sha512 } from './ed25519.js';
export { coseKid, coseParse, coseVerify, sigStructure, CoseError, TYP_ATTESTATION, TYP_CARD } from './cose.js';
export { claimsDecode, ctiHex, ClaimsError } from './claims.js';
export { trustDecode, trustFindKid, trustVerify, TrustError } from './trust.js';
export { checkpointParse, feedChain, segmentParse, snapshotParse, FeedError } from './feed.js';
export { b64urlDecode, b64urlEncode, loadBundle, loadTrustList, statusOf, BundleError } from './bundle.js';
export { codeFromScan } from './scan.js';
export { qrDecode, reportJson, verifyQr, verifyResult, DEFAULT_MAX_STALENESS } from './verify.js';
export { explanation, formatDate, reasonText, texts } from './explain.js';
export { formatParis, formatUtc, parisDate, parisEndOfDay, parisOffset, parisStartOfDay, parseDate, parseInstant } from './paris.js';
