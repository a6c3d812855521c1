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
    var many = box.querySelectorAll(".board-warning-list li").length > 2;
    box.open = wantsOpen && !narrow && !(stored === null && many);
    if (stored === null) box.dataset.auto = "1";
    keepFirstCardOnScreen();
    box.addEventListener("click", function () {
      delete box.dataset.auto; // the person chose: leave it as they set it
    });
    box.addEventListener("toggle", function () {
      try {
        window.localStorage.setItem(key, box.open ? "open" : "closed");
      } catch (e) {
        /* private mode: nothing to remember */
      }
    });
  }

  /* Opened by default, the list must not push the board's first card off the first screen
   * (parts of the page that load later, the saved filters, may push it too): fold it when it
   * would; the summary line still names the most severe warning. */
  function keepFirstCardOnScreen() {
    var box = document.querySelector("details.warnings-box");
    var first = document.querySelector("#board-columns .card");
    if (!box || !box.open || !box.dataset.auto || !first) return;
    if (first.getBoundingClientRect().top > window.innerHeight - 120) box.open = false;
  }

  setupWarnings(document);
  document.body.addEventListener("htmx:afterSettle", function () {
    setupWarnings(document);
    keepFirstCardOnScreen();
  });
})();
