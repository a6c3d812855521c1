/* Small screens and folded parts: the header menu on a phone, the board's filters and its
 * warnings. Each part works without JavaScript (:target, <details>); this adds the ARIA state,
 * Escape, and remembers a folded warning list per board. */
(function () {
  "use strict";

  function toggler(button, container, openClass) {
    function set(open) {
      container.classList.toggle(openClass, open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      set(!container.classList.contains(openClass));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && container.classList.contains(openClass)) {
        set(false);
        button.focus();
      }
    });
    return set;
  }

  var header = document.querySelector(".site-header");
  var menuButton = document.querySelector(".menu-toggle");
  if (header && menuButton) {
    var setMenu = toggler(menuButton, header, "menu-open");
    document.addEventListener("click", function (event) {
      if (header.classList.contains("menu-open") && !header.contains(event.target)) setMenu(false);
    });
  }

  var filtersButton = document.querySelector(".filters-toggle");
  var filters = document.getElementById("board-filters");
  if (filtersButton && filters) toggler(filtersButton, filters, "is-open");

  /* Board warnings: a <details>; heads get it open unless they folded it on this board. */
  function setupWarnings(root) {
    var box = root.querySelector ? root.querySelector("details.warnings-box") : null;
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    var key = "cergas.warnings." + (box.dataset.board || "");
    var stored = null;
    try {
      stored = window.localStorage.getItem(key);
    } catch (e) {
      stored = null;
    }
    var wantsOpen = stored === null ? document.body.dataset.boardManager === "1" : stored === "open";
    var narrow = window.matchMedia && window.matchMedia("(max-width: 40rem)").matches;
    box.open = wantsOpen && !narrow;
    box.addEventListener("toggle", function () {
      try {
        window.localStorage.setItem(key, box.open ? "open" : "closed");
      } catch (e) {
        /* private mode: nothing to remember */
      }
    });
  }

  setupWarnings(document);
  document.body.addEventListener("htmx:afterSettle", function (event) {
    setupWarnings(document);
  });
})();
