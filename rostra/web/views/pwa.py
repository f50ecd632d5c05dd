"""What makes the web app installable on a phone: the manifest, the service worker, offline."""

from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

from rostra.core.models import InstanceSettings

from ..jinja import STATIC_VERSION

from .common import page


@cache_control(max_age=3600, public=True)
def manifest(request):
    instance = InstanceSettings.current()
    data = {
        "name": instance.name,
        "short_name": instance.name[:12],
        "description": instance.description[:300],
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b3261e",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = JsonResponse(data)
    response["Content-Type"] = "application/manifest+json"
    return response


SERVICE_WORKER = """// Rostra's service worker: the app shell offline, pages always fresh from the network.
const CACHE = "rostra-shell-v1";
const SHELL = ["/offline", "%(css)s", "%(js)s", "%(htmx)s", "%(icon)s"];
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    return;
  }
  if (request.url.includes("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
"""


def service_worker(request):
    body = SERVICE_WORKER % {
        "css": f"{static('rostra.css')}?v={STATIC_VERSION}",
        "js": f"{static('rostra.js')}?v={STATIC_VERSION}",
        "htmx": static("vendor/htmx-2.0.4.min.js"),
        "icon": static("icons/icon-192.png"),
    }
    response = HttpResponse(body, content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


def offline(request):
    return page(request, "offline.html", {"title": "Offline"})
