/* Bulk actions and saved filters on the board page (issue 25).
 *
 * Select mode: the "Select cards" link (a plain link to the bulk page without JavaScript)
 * becomes a switch; each card gets a check box tied to the select bar's form (`form` attribute),
 * so the board's own markup (shared by every viewer from the board cache) stays as it is.
 * Columns swapped in later (an htmx answer, a live update) get their boxes again, with the
 * selection kept. After a bulk answer the selection is cleared and the bar shows its summary.
 *
 * Saved filters: forms send the filters in the address bar (the filter bar updates it through
 * hx-push-url), and "Copy link" puts a filter's link on the clipboard. */
(function () {
  "use strict";

  var selected = new Set();
  var selecting = false;
  var observer = null;

  function form() {
    return document.getElementById("bulk-form");
  }

  function toggle() {
    return document.querySelector("[data-bulk-toggle]");
  }

  function fill(text, name, value) {
    return text.split("{" + name + "}").join(value);
  }

  function updateCount() {
    var bar = form();
    if (!bar) return;
    var count = bar.querySelector("[data-bulk-count]");
    if (count) count.textContent = fill(bar.dataset.countText, "n", String(selected.size));
  }

  function addBox(card) {
    var bar = form();
    if (!bar || card.querySelector(".bulk-pick")) return;
    var id = card.dataset.cardId;
    var title = card.querySelector(".card-title");
    var label = document.createElement("label");
    label.className = "bulk-pick";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = "card_ids";
    box.value = id;
    box.setAttribute("form", "bulk-form");
    box.checked = selected.has(id);
    var text = document.createElement("span");
    text.className = "sr-only";
    text.textContent = fill(bar.dataset.pickText, "t", title ? title.textContent : id);
    label.appendChild(box);
    label.appendChild(text);
    card.insertBefore(label, card.firstChild);
    card.classList.toggle("is-selected", box.checked);
  }

  function addBoxes(root) {
    (root || document).querySelectorAll("#board-columns li.card[data-card-id]").forEach(addBox);
  }

  function removeBoxes() {
    document.querySelectorAll(".bulk-pick").forEach(function (label) {
      var card = label.closest("li.card");
      if (card) card.classList.remove("is-selected");
      label.remove();
    });
  }

  function setSelecting(on) {
    var bar = form();
    var link = toggle();
    if (!bar) return;
    selecting = on;
    bar.hidden = !on;
    document.body.classList.toggle("is-selecting", on);
    if (link) link.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) {
      var slot = bar.querySelector(".bulk-actions-slot");
      if (slot && window.htmx) window.htmx.trigger(slot, "cergas-bulk-open");
      addBoxes();
      var first = document.querySelector(".bulk-pick input");
      if (first) first.focus();
      if (!observer) {
        observer = new MutationObserver(function () {
          if (selecting) addBoxes();
        });
        observer.observe(document.getElementById("main") || document.body, {
          childList: true,
          subtree: true,
        });
      }
    } else {
      removeBoxes();
      selected.clear();
      if (link) link.focus();
    }
    updateCount();
  }

  function clearSelection() {
    selected.clear();
    document.querySelectorAll(".bulk-pick input").forEach(function (box) {
      box.checked = false;
      box.closest("li.card").classList.remove("is-selected");
    });
    updateCount();
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.closest || !box.closest(".bulk-pick")) return;
    if (box.checked) selected.add(box.value);
    else selected.delete(box.value);
    box.closest("li.card").classList.toggle("is-selected", box.checked);
    updateCount();
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    if (target.closest("[data-bulk-toggle]") && form()) {
      event.preventDefault();
      setSelecting(!selecting);
    } else if (target.closest("[data-bulk-exit]")) {
      setSelecting(false);
    } else if (target.closest("[data-bulk-none]")) {
      clearSelection();
    } else if (target.closest("[data-bulk-all]")) {
      document.querySelectorAll(".bulk-pick input").forEach(function (box) {
        box.checked = true;
        selected.add(box.value);
        box.closest("li.card").classList.add("is-selected");
      });
      updateCount();
    } else if (target.closest(".js-copy-link")) {
      copyLink(target.closest(".js-copy-link"));
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && selecting && !document.querySelector("dialog[open]")) {
      setSelecting(false);
    }
  });

  // The answer to a bulk request (HX-Trigger): clear the selection, repeat the summary in the
  // bar (the alerts are at the top of the page).
  document.body.addEventListener("cergas-bulk-done", function () {
    clearSelection();
    var status = document.querySelector("[data-bulk-status]");
    var first = document.querySelector("#alerts .alert");
    if (status && first) status.textContent = first.textContent;
  });

  // Saved filters: send the filters the page shows now.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.classList && elt.classList.contains("js-filter-form")) {
      event.detail.parameters["query"] = window.location.search.replace(/^\?/, "");
    }
  });

  function copyLink(button) {
    var link = button.dataset.link;
    function done() {
      button.textContent = button.dataset.copied;
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(done, function () {
        showLink(button, link);
      });
    } else {
      showLink(button, link);
    }
  }

  // Where the clipboard is out of reach (plain http): the link, selected, to copy by hand.
  function showLink(button, link) {
    var input = button.parentNode.querySelector(".saved-filter-link");
    if (!input) {
      input = document.createElement("input");
      input.className = "saved-filter-link";
      input.readOnly = true;
      input.value = link;
      input.setAttribute("aria-label", button.textContent);
      button.parentNode.insertBefore(input, button.nextSibling);
    }
    input.focus();
    input.select();
  }

  function revealCopyButtons() {
    document.querySelectorAll(".js-copy-link[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  if (window.htmx) window.htmx.onLoad(revealCopyButtons);
  document.addEventListener("DOMContentLoaded", revealCopyButtons);
  revealCopyButtons();
})();
