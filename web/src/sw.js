// sw.js: the service worker of /check and /holder. It keeps the pages and
// their files (one cache per build, named after the build's version) so that
// both pages open and work offline, and answers GET /api/v1/bundle from the
// network, or offline from the copy the page kept after checking its
// signatures (cache api-data-v1, written by the page: engine.js). Nothing
// else is intercepted: POST /api/v1/verify and the feeds go to the network.
/* global __VERSION__, __PRECACHE__ */
const VERSION = __VERSION__;
const APP_CACHE = `api-app-${VERSION}`;
const DATA_CACHE = 'api-data-v1';
const BUNDLE = '/api/v1/bundle';
const PRECACHE = __PRECACHE__;
const PAGES = { '/check': '/check/', '/holder': '/holder/', '/check/index.html': '/check/', '/holder/index.html': '/holder/' };

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    const cache = await caches.open(APP_CACHE);
    await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('api-app-') && name !== APP_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function fromApp(request, key) {
  const cache = await caches.open(APP_CACHE);
  const hit = await cache.match(key || request, { ignoreSearch: true });
  if (hit) return hit;
  return fetch(request);
}

async function bundle(request) {
  try {
    return await fetch(request);
  } catch (e) {
    const cache = await caches.open(DATA_CACHE);
    const hit = await cache.match(BUNDLE);
    if (!hit) throw e;
    // Tell the page this is its own kept copy, not news from the service.
    const headers = new Headers(hit.headers);
    headers.set('X-Api-Kept-Copy', '1');
    return new Response(await hit.blob(), { status: 200, headers });
  }
}

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === BUNDLE) {
    ev.respondWith(bundle(req));
    return;
  }
  if (req.mode === 'navigate') {
    const page = PAGES[url.pathname];
    if (page && (url.pathname === '/check' || url.pathname === '/holder')) {
      // As the server does: /check is /check/ (keeps relative links and the fragment working).
      ev.respondWith(Response.redirect(page + url.search + url.hash, 301));
      return;
    }
    const key = page || (url.pathname === '/check/' || url.pathname === '/holder/' || url.pathname === '/' ? url.pathname : null);
    if (key) {
      ev.respondWith(fromApp(req, key));
      return;
    }
  }
  if (PRECACHE.includes(url.pathname)) ev.respondWith(fromApp(req, url.pathname));
});
