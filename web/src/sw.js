// sw.js: the service worker of /check and /holder. It keeps the pages and
// their files (one cache per build, named after the build's version) so that
// both pages open and work offline, and answers GET /api/v1/bundle from the
// network, or offline from the copy the page kept after checking its
// signatures (cache api-data-v1, written by the page: engine.js).
//
// It is also the Web Share Target of the installed checker (manifest
// /check/manifest.json: "Partager → Vérifier une API" from a mail
// attachment): the browser POSTs the shared file to /check/share as
// multipart/form-data (or a link or a text: the holder's link shared from a
// message); this worker keeps the file on the phone (cache
// api-share-v1, one entry, the last file shared) and sends the browser to
// /check/?shared=1, whose page reads and verifies it there, then deletes it.
// The file never reaches the service. (Before this worker is installed, the
// POST reaches the service, which answers with a page saying what to do:
// verifier/service/share.c.)
//
// Nothing else is intercepted: POST /api/v1/verify and the feeds go to the
// network.
/* global __VERSION__, __PRECACHE__ */
const VERSION = __VERSION__;
const APP_CACHE = `api-app-${VERSION}`;
const DATA_CACHE = 'api-data-v1';
const BUNDLE = '/api/v1/bundle';
const PRECACHE = __PRECACHE__;
const SHARE_URL = '/check/share';
const SHARE_CACHE = 'api-share-v1';
const SHARE_KEY = '/check/share/file';
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

/** Keeps the file of a share (the first file part of the form) and opens the checker on it. */
async function shared(request) {
  try {
    const form = await request.formData();
    let file = null;
    for (const [, v] of form.entries()) {
      if (typeof v === 'object' && v && typeof v.arrayBuffer === 'function') {
        file = v;
        break;
      }
    }
    const cache = await caches.open(SHARE_CACHE);
    await cache.delete(SHARE_KEY);
    // No file: a link or a text shared (the holder's link, a code's text), kept as text.
    const text = file ? null : [form.get('url'), form.get('text')].find((v) => typeof v === 'string' && v.trim());
    if (file) {
      const headers = { 'Content-Type': file.type || 'application/octet-stream',
        'X-File-Name': encodeURIComponent(file.name || 'shared') };
      await cache.put(SHARE_KEY, new Response(file, { headers }));
    } else if (text) {
      await cache.put(SHARE_KEY, new Response(text.trim().slice(0, 16384),
        { headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Shared-Text': '1' } }));
    }
  } catch {
    /* the page says that no shared file was found */
  }
  return Response.redirect('/check/?shared=1', 303);
}

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method === 'POST' && url.pathname === SHARE_URL) {
    ev.respondWith(shared(req));
    return;
  }
  if (req.method !== 'GET') return;
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
