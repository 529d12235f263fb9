// engine.js: where a verdict comes from. It owns the offline bundle (the
// signed trust list and statuses of GET /api/v1/bundle), the pinned root key,
// and the choice between verifying on the phone and asking the service.
//
// - The root key is pinned at the first bundle ever loaded (localStorage) and
//   never replaced silently: a bundle whose trust list does not verify with it
//   is refused and the page shows a warning; only an explicit acceptPinnedKey()
//   replaces it. A root rotation announced by the held trust list (next_root,
//   checked by the library) moves the pin to the new root, and the page says so.
// - A bundle is kept (Cache Storage, where the service worker also finds it
//   offline) only after the library accepted it with the pinned key, and never
//   replaced by an older one.
// - verify(): on the phone whenever the bundle is fresh enough (nothing about
//   the person leaves the phone); otherwise, when online, POST /api/v1/verify;
//   otherwise on the phone anyway (status_unknown if the data are too old).
// The verdicts are the library's (web/src/lib), the same as the C verifier's.
// It is loaded once the page is usable, from its own file (web/build.mjs names
// it: __LIB_URL__, /assets/lib-<hash>.js): the text field and the camera do not
// wait for it.
/* global __LIB_URL__ */
let lib = null;
let libLoading = null;
export function loadLib() {
  if (!libLoading) libLoading = import(__LIB_URL__).then((m) => (lib = m));
  return libLoading;
}

export const BUNDLE_URL = '/api/v1/bundle';
export const VERIFY_URL = '/api/v1/verify';
export const DATA_CACHE = 'api-data-v1';
const PIN_KEY = 'api.rootKey';
export const MAX_STALENESS = 24 * 3600; // seconds, as the verifier's --max-staleness default
const REFRESH_AFTER = 5 * 60 * 1000; // refresh in the background when older than this (ms)

const nowSec = () => Math.floor(Date.now() / 1000);

function getPin() {
  try {
    return localStorage.getItem(PIN_KEY);
  } catch {
    return null;
  }
}
function setPin(k) {
  try {
    localStorage.setItem(PIN_KEY, k);
  } catch {}
}

export class KeyChangedError extends Error {
  constructor(offered) {
    super('root key changed');
    this.offered = offered;
  }
}

const ms = (iso) => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t;
};

export class Engine {
  constructor({ onChange } = {}) {
    this.state = null; // the library's state of the accepted bundle
    this.bundleTime = 0; // generated_at of the accepted bundle (ms)
    this.loaded = null; // promise of the first load
    this.refreshing = null;
    this.lastError = null; // 'key_changed' | 'fetch' | 'invalid' | null
    this.offeredKey = null;
    this.onChange = onChange || (() => {});
  }

  /** Loads the kept bundle (fast, no network), then refreshes it when online. */
  start() {
    loadLib();
    this.loaded = this.loadKept().catch(() => {});
    this.loaded.then(() => {
      if (navigator.onLine !== false) this.refresh().catch(() => {});
    });
    window.addEventListener('online', () => {
      this.retries = 0;
      this.refresh().catch(() => {});
    });
    setInterval(() => {
      if (document.visibilityState === 'visible' && navigator.onLine !== false && this.age() > REFRESH_AFTER)
        this.refresh().catch(() => {});
    }, 60 * 1000);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.age() > REFRESH_AFTER) this.refresh().catch(() => {});
    });
    return this.loaded;
  }

  async loadKept() {
    if (!('caches' in window)) return;
    const cache = await caches.open(DATA_CACHE);
    const res = await cache.match(BUNDLE_URL);
    if (!res) return;
    const json = await res.json();
    await this.accept(json, { keep: false });
  }

  /** Fetches a new bundle from the service; resolves true when one was accepted. */
  refresh() {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      this.onChange('refreshing');
      try {
        const res = await fetch(BUNDLE_URL, { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        if (res.headers.get('X-Api-Kept-Copy')) throw new Error('offline: the service worker answered with the kept copy');
        const json = await res.json();
        return await this.accept(json, { keep: true });
      } catch (e) {
        if (!(e instanceof KeyChangedError)) {
          this.lastError = this.lastError === 'key_changed' ? 'key_changed' : 'fetch';
          this.retryLater();
        }
        throw e;
      } finally {
        this.refreshing = null;
        this.onChange('refreshed');
      }
    })();
    return this.refreshing;
  }

  /** After a failed refresh while the phone says it is online (a network just back): try again soon. */
  retryLater() {
    if (navigator.onLine === false || this.retryTimer) return;
    this.retries = (this.retries || 0) + 1;
    if (this.retries > 5) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.refresh().then(() => (this.retries = 0), () => {});
    }, 2000 * this.retries);
  }

  async accept(json, { keep }) {
    if (!json || typeof json.root_public_key !== 'string') {
      this.lastError = 'invalid';
      throw new Error('not a bundle');
    }
    const t = ms(json.generated_at);
    if (this.state && t && t < this.bundleTime) return false; // never go back to older data
    const pin = getPin() || json.root_public_key; // the first bundle ever loaded pins its key
    const offered = json.root_public_key !== pin;
    await loadLib();
    let state;
    try {
      state = lib.loadBundle(json, pin, nowSec(), this.state);
    } catch (e) {
      if (offered) return this.keyChanged(json.root_public_key);
      this.lastError = 'invalid';
      throw e;
    }
    if (offered) {
      // Accepted over the held list: was it signed by the new root that list announced?
      if (!state.sync.trustRefused && state.trust.root && lib.b64urlEncode(state.trust.root) === json.root_public_key) {
        setPin(json.root_public_key);
        this.rotated = true;
      } else {
        this.keyChanged(json.root_public_key, true);
        keep = false; // keep the held data, not this bundle
      }
    }
    if (!getPin()) setPin(pin);
    this.state = state;
    this.bundleTime = t || Date.now();
    if (!offered || this.rotated) {
      this.lastError = null;
      this.offeredKey = null;
    }
    if (keep && 'caches' in window) {
      try {
        const cache = await caches.open(DATA_CACHE);
        await cache.put(BUNDLE_URL, new Response(JSON.stringify(json), {
          headers: { 'Content-Type': 'application/json' },
        }));
      } catch {}
    }
    this.onChange('loaded');
    return true;
  }

  keyChanged(offered, soft) {
    this.lastError = 'key_changed';
    this.offeredKey = offered;
    this.onChange('key_changed');
    if (!soft) throw new KeyChangedError(offered);
  }

  /** Replaces the pinned key by the one the service now offers (an explicit choice of the user). */
  async acceptPinnedKey() {
    if (!this.offeredKey) return false;
    setPin(this.offeredKey);
    this.lastError = null;
    this.offeredKey = null;
    this.state = null; // start again from the new root's data only
    this.bundleTime = 0;
    return this.refresh();
  }

  /** Age of the data on the phone, in ms (Infinity when there are none). */
  age() {
    return this.state ? Date.now() - this.bundleTime : Infinity;
  }

  hasData() {
    return !!this.state;
  }

  fresh() {
    return this.state && this.age() <= MAX_STALENESS * 1000;
  }

  /** Verification on the phone. */
  async verifyLocal(text) {
    await loadLib();
    return lib.verifyQr(text, this.state, nowSec(), { maxStaleness: MAX_STALENESS });
  }

  /** Verification by the service. */
  async verifyServer(text) {
    const res = await fetch(VERIFY_URL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ payload: text }),
      cache: 'no-store',
    });
    if (!res.ok && res.status !== 422) throw new Error(`HTTP ${res.status}`);
    return res.json();
  }

  /**
   * The verdict for a QR text: {report, where: 'local' | 'server'}.
   * mode: 'auto' (default), 'local' or 'server' (the tests compare both).
   */
  async verify(text, mode = 'auto') {
    if (mode === 'server') return { report: await this.verifyServer(text), where: 'server' };
    if (!this.state && this.loaded) await this.loaded;
    if (mode === 'local' || this.fresh() || (this.state && navigator.onLine === false))
      return { report: await this.verifyLocal(text), where: 'local' };
    // No data, or data too old: ask the service when online, else decide with what we have.
    try {
      return { report: await this.verifyServer(text), where: 'server' };
    } catch (e) {
      if (this.state) return { report: await this.verifyLocal(text), where: 'local' };
      if (navigator.onLine !== false) {
        // First visit and the bundle is still on its way: wait for it once.
        try {
          await this.refresh();
          return { report: await this.verifyLocal(text), where: 'local' };
        } catch {}
      }
      throw e;
    }
  }
}
