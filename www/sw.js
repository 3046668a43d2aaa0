// s3logdrop's service worker: keeps the page's own files so the page works offline.
// The build (www/build-sw.mjs, a trunk post-build hook) fills in FILES and VERSION, a
// hash of every file's bytes: a new deploy has a new VERSION, so the browser installs
// the new worker, which replaces the old cache.
const VERSION = '__S3LOGDROP_VERSION__';
const FILES = ['__S3LOGDROP_FILES__'];
const CACHE = `s3logdrop-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(FILES.map((f) => new URL(f, self.registration.scope))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('s3logdrop-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Network first, so an online visitor always gets the newest deploy, whole; the cache
// when offline. Only the page's own files pass here: the page makes no other request.
self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(fetch(req).catch(() => caches.open(CACHE)
    .then((cache) => cache.match(req, { ignoreSearch: true }))
    .then((hit) => hit || (req.mode === 'navigate'
      ? caches.open(CACHE).then((cache) => cache.match(new URL('./', self.registration.scope)))
      : Response.error()))));
});
