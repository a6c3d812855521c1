/* Live board updates. The htmx sse extension (vendor/htmx-ext-sse-*.js) keeps the stream of
 * GET /boards/<id>/stream open and reconnects after a drop; this file decides what to do with each
 * message instead of letting the extension swap it blindly:
 *   hello    (on every (re)connect) the board's message number: a page that is behind reloads;
 *   columns  fresh HTML of the changed columns, id = message number: swapped in by element id;
 *   refresh  the board's shape changed: reload the columns;
 *   closed   the server ended the stream for good (sse-close: no reconnect). "superseded": the
 *            person opened more board pages than allowed and this is their oldest; it connects
 *            again when it is shown again (it reloads its columns if it missed anything), so
 *            several tabs never take turns closing each other. "ended": the login session ended
 *            or the board is no longer visible; the page stays as it is until the next click.
 * A gap in the numbers means messages were missed: reload the columns (a full catch-up).
 * Nothing is swapped under the user's hands: while a card is dragged or saved, or while a field
 * in a column has focus, that column's update waits and is applied as soon as the user is done. */
(function () {
  "use strict";

  var sink = document.getElementById("board-live");
  if (!sink || !window.htmx) return;

  var known = Number(sink.dataset.liveSeq || 0);
  var pending = {}; // element id -> parsed element waiting to be swapped in
  var needsReload = false;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function filtered() {
    // The stream renders unfiltered columns; a filtered page reloads its own view instead.
    return new URLSearchParams(window.location.search).toString() !== "";
  }

  function dragging() {
    return Boolean(
      (window.Sortable && window.Sortable.active) ||
        document.querySelector(".card-chosen, .card-ghost, .is-saving")
    );
  }

  function typingIn(element) {
    var active = document.activeElement;
    return Boolean(
      active && element.contains(active) && active.matches("input, textarea, select")
    );
  }

  function busy(element) {
    return dragging() || typingIn(element);
  }

  function reload() {
    if (dragging() || typingIn(document.getElementById("board-columns") || document.body)) {
      needsReload = true;
      return;
    }
    needsReload = false;
    pending = {};
    htmx.ajax("GET", window.location.href, {
      target: "#board-columns",
      swap: "outerHTML",
      headers: { "X-Cergas-Live": "reload" },
    });
  }

  // A reload asked for before a drag began may answer during it: keep the columns under the
  // user's hand and reload again once the card is dropped (and saved).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    var live = config && config.headers && config.headers["X-Cergas-Live"] === "reload";
    if (live && dragging()) {
      event.detail.shouldSwap = false;
      needsReload = true;
    }
  });

  /* Swap one element in, keeping keyboard focus on the same card link when it had it. */
  function swapIn(current, replacement) {
    replacement.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      input.value = csrfToken();
    });
    // Text typed but not sent (a new card's title) survives the swap.
    var typed = {};
    current.querySelectorAll("input[id], textarea[id]").forEach(function (field) {
      if (field.type !== "hidden" && field.value !== field.defaultValue) typed[field.id] = field.value;
    });
    var active = document.activeElement;
    var focusCard = null;
    var focusClass = null;
    if (active && current.contains(active) && active.closest("[data-card-id]")) {
      focusCard = active.closest("[data-card-id]").dataset.cardId;
      focusClass = active.classList.contains("move") ? "a.move" : "a.card-title";
    }
    htmx.swap(current, replacement.outerHTML, { swapStyle: "outerHTML", swapDelay: 0, settleDelay: 0 });
    Object.keys(typed).forEach(function (id) {
      var field = document.getElementById(id);
      if (field) field.value = typed[id];
    });
    if (focusCard) {
      var again = document.querySelector('[data-card-id="' + focusCard + '"] ' + focusClass);
      if (again) again.focus();
    }
  }

  function flush() {
    if (needsReload) {
      reload();
      return;
    }
    Object.keys(pending).forEach(function (id) {
      var current = document.getElementById(id);
      if (!current) {
        delete pending[id];
        return;
      }
      if (busy(current)) return;
      var replacement = pending[id];
      delete pending[id];
      swapIn(current, replacement);
    });
  }

  function apply(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    Array.prototype.forEach.call(template.content.children, function (element) {
      if (!element.id) return;
      if (element.id.indexOf("column-") === 0 && !document.getElementById(element.id)) {
        needsReload = true; // a column this page does not have: its shape is out of date
        return;
      }
      pending[element.id] = element;
    });
    flush();
  }

  // A fresh copy of the sink connects anew (the extension keeps its source on the element).
  function reconnect() {
    if (sink.dataset.liveState !== "superseded" || document.visibilityState !== "visible") return;
    var fresh = sink.cloneNode(false);
    fresh.dataset.liveState = "connecting";
    sink.replaceWith(fresh);
    sink = fresh;
    watch(sink);
    htmx.process(sink);
  }
  document.addEventListener("visibilitychange", reconnect);
  window.addEventListener("focus", reconnect);

  function watch(element) {
    // For styling and tests: "open" while the stream is connected, "offline" while it retries,
    // "superseded" or "ended" once the server closed it.
    element.addEventListener("htmx:sseOpen", function () {
      element.dataset.liveState = "open";
    });
    element.addEventListener("htmx:sseError", function () {
      var state = element.dataset.liveState;
      if (state !== "superseded" && state !== "ended") element.dataset.liveState = "offline";
    });
    element.addEventListener("htmx:sseBeforeMessage", onMessage);
  }

  function onMessage(event) {
    event.preventDefault(); // never the extension's own swap into the hidden sink
    var message = event.detail;
    if (message.type === "closed") {
      sink.dataset.liveState = message.data === "superseded" ? "superseded" : "ended";
      return;
    }
    if (message.type === "hello") {
      var now = Number(message.data);
      if (now !== known) reload(); // missed messages while away, or the server started afresh
      known = now;
      return;
    }
    var seq = Number(message.lastEventId);
    if (!(seq > known)) return; // already in the page
    var gap = seq > known + 1;
    known = seq;
    if (gap || message.type === "refresh" || filtered()) {
      reload();
      return;
    }
    apply(message.data);
  }
  watch(sink);

  // The user may be done: after a drop (and its save), leaving a field, or every second.
  ["pointerup", "dragend", "focusout", "htmx:afterSettle"].forEach(function (name) {
    document.addEventListener(name, function () {
      window.setTimeout(flush, 50);
    });
  });
  window.setInterval(function () {
    if (needsReload || Object.keys(pending).length) flush();
  }, 1000);
})();
