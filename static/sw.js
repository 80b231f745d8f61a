// Service worker for phones: the app shell works without a network, and so do documents and courses the listener
// downloaded. Downloads are written by the page (static/js/offline.js) into one cache each: "doc:<id>" for a
// document, "course:<id>" for a course (its page, its JSON, every sentence, its questions and their sound).
"use strict";

const SHELL = "shell-v4";
const SHELL_FILES = ["/", "/static/css/kiosk.css", "/static/js/app.js", "/static/js/sentence-player.js",
  "/static/js/player.js", "/static/js/offline.js", "/static/js/course.js", "/static/js/quiz.js",
  "/static/js/learner.js", "/static/js/my-learning.js", "/static/icon.svg", "/static/manifest.webmanifest"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key.startsWith("shell-") && key !== SHELL).map((key) => caches.delete(key))))
    .then(() => self.registration.navigationPreload?.enable())
    .then(() => self.clients.claim()));
});

// Names of the download caches ("doc:<id>", "course:<id>"), read when first needed; the page says when they change.
let downloads = null;
const downloadedIds = async () => downloads || (downloads = new Set((await caches.keys())
  .filter((key) => key.startsWith("doc:") || key.startsWith("course:"))));
const downloadedCourses = async () => [...await downloadedIds()].filter((key) => key.startsWith("course:"));
self.addEventListener("message", (event) => { if (event.data === "downloads-changed") downloads = null; });

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const docId = /^\/(?:doc|api\/docs)\/([^/]+)$/.exec(url.pathname)?.[1];
  const courseId = /^\/(?:course|api\/courses)\/([^/]+)$/.exec(url.pathname)?.[1];
  const questionId = /^\/api\/questions\/([^/]+)$/.exec(url.pathname)?.[1];
  if (request.mode === "navigate") event.waitUntil(event.preloadResponse?.catch(() => {}));
  if (url.pathname.startsWith("/audio/")) {
    if (downloads?.size === 0) return;  // nothing downloaded, the usual case: straight to the network
    event.respondWith(audio(request));
  } else if (url.pathname.startsWith("/static/")) event.respondWith(fromShell(request, event));
  else if (docId) event.respondWith(documentPart(event, "doc:" + decodeURIComponent(docId)));
  else if (courseId) event.respondWith(documentPart(event, "course:" + decodeURIComponent(courseId)));
  else if (questionId && questionId !== "daily") event.respondWith(question(event.request));
  else if (request.mode === "navigate") event.respondWith(page(event));
});

// A sentence's MP3 is content-addressed, so a cached copy is always right; media elements ask for byte ranges.
async function audio(request) {
  const cached = (await downloadedIds()).size ? await caches.match(request.url) : null;
  if (!cached) return fetch(request);
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("range") || "");
  if (!range) return cached;
  const blob = await cached.blob();
  const start = range[1] ? parseInt(range[1], 10) : Math.max(0, blob.size - parseInt(range[2] || "0", 10));
  const end = range[1] && range[2] ? Math.min(parseInt(range[2], 10), blob.size - 1) : blob.size - 1;
  if (start >= blob.size) return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${blob.size}` } });
  return new Response(blob.slice(start, end + 1), { status: 206, headers: {
    "Content-Type": "audio/mpeg", "Content-Range": `bytes ${start}-${end}/${blob.size}`,
    "Content-Length": String(end - start + 1), "Accept-Ranges": "bytes" } });
}

// A downloaded document or course is read from its cache, so it opens at once even on a weak signal; others go to
// the network.
async function documentPart(event, cacheName) {
  if ((await downloadedIds()).has(cacheName)) {
    const cached = await (await caches.open(cacheName)).match(event.request, { ignoreSearch: true });
    if (cached) return cached;
  }
  return event.request.mode === "navigate" ? page(event) : fetch(event.request);
}

// A unit's question, from a downloaded course that holds it (the quiz works in a basement), else the network.
async function question(request) {
  for (const name of await downloadedCourses()) {
    const cached = await (await caches.open(name)).match(request, { ignoreSearch: true });
    if (cached) return cached;
  }
  return fetch(request);
}

// Shell files: the cached copy at once, refreshed in the background for next time.
async function fromShell(request, event) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request, { ignoreSearch: true });
  const fresh = fetch(request).then((response) => {
    if (response.ok) cache.put(request, response.clone());
    return response;
  });
  if (cached) { event.waitUntil(fresh.catch(() => {})); return cached; }
  return fresh;
}

// Other pages need the server; without a network the home page stands in, listing what is downloaded.
async function page(event) {
  try {
    const response = (await event.preloadResponse) || await fetch(event.request);
    const url = new URL(event.request.url);
    if (response.ok && url.pathname === "/" && !url.search) (await caches.open(SHELL)).put("/", response.clone());
    return response;
  } catch {
    return offlineHome();
  }
}

async function offlineHome() {
  return (await caches.match("/")) || new Response("<!doctype html><meta charset=utf-8><p>现在没有网络。</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}
