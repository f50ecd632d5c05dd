// Rostra's small script: keyboard shortcuts, the character counter, the service worker.
// Everything here is an extra: every page reads and every form posts without it.
(function () {
  "use strict";

  function posts() { return Array.from(document.querySelectorAll("[data-post]")); }

  function move(step) {
    var all = posts();
    if (!all.length) return;
    var current = all.indexOf(document.activeElement.closest ? document.activeElement.closest("[data-post]") : null);
    var next = all[Math.max(0, Math.min(all.length - 1, current + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey || tag === "input" || tag === "textarea" || tag === "select") return;
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "n") {
      var box = document.getElementById("compose-text");
      if (box) { box.focus(); event.preventDefault(); } else { window.location.href = "/compose"; }
    } else if (event.key === "Enter" && document.activeElement && document.activeElement.matches("[data-post]")) {
      var link = document.activeElement.querySelector("a.when");
      if (link) window.location.href = link.href;
    }
  });

  function count(area) {
    var target = document.getElementById(area.dataset.counter);
    if (!target) return;
    var left = (parseInt(area.getAttribute("maxlength"), 10) || 1000) - Array.from(area.value).length;
    target.textContent = left + " characters left";
  }

  document.addEventListener("input", function (event) {
    if (event.target.dataset && event.target.dataset.counter) count(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(count);
  });

  // htmx swaps error responses into the page too; the server's own refusals come retargeted
  // to #flash. Any other error page (the 404 of a post deleted meanwhile, the 403 of a page
  // whose CSRF token went stale at a log-in elsewhere, a 500) must not replace the buttons it
  // came from: say what happened where messages go instead.
  var ERRORS = {
    403: "This page is out of date (did you log in or out elsewhere?). Reload it and try again.",
    404: "That is no longer there: it may have been deleted.",
    429: "Too many requests. Wait a moment and try again.",
  };

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400 || xhr.getResponseHeader("HX-Retarget")) return;
    event.detail.shouldSwap = false;
    var flash = document.getElementById("flash");
    if (!flash) return;
    var message = document.createElement("div");
    message.className = "flash error";
    message.setAttribute("role", "alert");
    message.textContent = ERRORS[xhr.status] || "Something went wrong. Try again in a moment.";
    flash.replaceChildren(message);
  });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () { navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {}); });
  }
})();
