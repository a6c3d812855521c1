/* Cergas in the browser: drag and drop (SortableJS -> htmx), the move dialog, htmx glue.
 * The Content-Security-Policy forbids inline scripts and hx-on attributes, so all behaviour
 * lives here. Every feature also works without JavaScript through plain links and forms. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function dialog() {
    return document.getElementById("dialog");
  }

  function dialogBody() {
    return document.getElementById("dialog-body");
  }

  /* The position to ask the server for: the card's index among ALL cards of the target column
   * (without itself). Cards carry their stored position in data-pos, so this stays right when a
   * filter hides some cards. null means "at the bottom". */
  function positionFor(item, sameColumn) {
    var oldPos = Number(item.dataset.pos);
    var next = item.nextElementSibling;
    var prev = item.previousElementSibling;
    var pos;
    if (next && next.dataset.pos !== undefined) {
      pos = Number(next.dataset.pos);
      if (sameColumn && oldPos < pos) pos -= 1;
      return pos;
    }
    if (prev && prev.dataset.pos !== undefined) {
      pos = Number(prev.dataset.pos) + 1;
      if (sameColumn && oldPos < pos) pos -= 1;
      return pos;
    }
    return null;
  }

  function moveUrl(item) {
    var link = item.querySelector("a.move");
    return link ? link.getAttribute("href") : null;
  }

  function onDrop(evt) {
    var item = evt.item;
    var sameColumn = evt.from === evt.to;
    if (sameColumn && evt.oldIndex === evt.newIndex) return;
    var url = moveUrl(item);
    if (!url) return;
    var values = { column_id: evt.to.dataset.columnId };
    var position = positionFor(item, sameColumn);
    if (position !== null) values.position = String(position);
    item.classList.add("is-saving");
    var targetColumn = evt.to.dataset.columnId;
    // The answer swaps fresh source and target columns in (hx-swap-oob): on a refusal they come
    // back as the database holds them, so the card snaps back, and the reason lands in #alerts
    // and again at the column it was dropped on.
    htmx
      .ajax("POST", url, {
        source: item,
        target: "#alerts",
        swap: "innerHTML",
        values: values,
        headers: { "X-CSRFToken": csrfToken() },
      })
      .then(function () {
        showRefusalAt(targetColumn);
      });
  }

  /* A refused drop: the reason (already announced by the role="alert" region at the top of the
   * page, which may be scrolled away) is shown where the hand is, under the head of the column
   * the card was dropped on, and scrolled into view. */
  function showRefusalAt(columnId) {
    var alerts = document.getElementById("alerts");
    var errors = alerts ? alerts.querySelectorAll(".alert-error") : [];
    var column = document.getElementById("column-" + columnId);
    if (!column) return;
    var old = column.querySelector(".drop-refusal");
    if (old) old.remove();
    if (!errors.length) return;
    var note = document.createElement("div");
    note.className = "drop-refusal";
    errors.forEach(function (error) {
      note.appendChild(error.cloneNode(true));
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "drop-refusal-close";
    close.setAttribute("aria-label", alerts.dataset.dismiss || "Close");
    close.textContent = "×";
    close.addEventListener("click", function () {
      note.remove();
    });
    note.appendChild(close);
    var head = column.querySelector(".column-head");
    if (head) head.after(note);
    else column.prepend(note);
    note.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function initSortable(list) {
    if (!window.Sortable || list.dataset.sortable) return;
    list.dataset.sortable = "1";
    window.Sortable.create(list, {
      group: "cards",
      draggable: ".card",
      filter: "a.move",
      preventOnFilter: false,
      animation: 150,
      // On touch screens a short press starts a drag, so a swipe still scrolls the columns.
      delay: 200,
      delayOnTouchOnly: true,
      ghostClass: "card-ghost",
      chosenClass: "card-chosen",
      onEnd: onDrop,
    });
  }

  // After adding a card with htmx its column is redrawn; put the cursor back in its title field
  // so several cards can be typed in a row.
  var refocusColumn = null;

  function initWithin(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches(".card-list")) initSortable(root);
    root.querySelectorAll(".card-list").forEach(initSortable);
    if (refocusColumn && root.matches && root.matches(".column") && root.dataset.columnId === refocusColumn) {
      refocusColumn = null;
      var title = root.querySelector('.add-card input[name="title"]');
      if (title) title.focus();
    }
  }

  /* Reload the columns from the server after a failure htmx does not swap (500, network). */
  function reloadColumns() {
    if (!document.getElementById("board-columns")) return;
    htmx.ajax("GET", window.location.href, {
      target: "#board-columns",
      swap: "outerHTML",
    });
  }

  function showFailure() {
    var alerts = document.getElementById("alerts");
    if (!alerts) return;
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.textContent = alerts.dataset.failed || "Error";
    alerts.replaceChildren(p);
  }

  var lastOpener = null;

  function openInDialog(link) {
    var body = dialogBody();
    lastOpener = link;
    htmx
      .ajax("GET", link.getAttribute("href"), {
        source: link,
        target: "#dialog-body",
        swap: "innerHTML",
      })
      .then(function () {
        var box = dialog();
        if (!box || !body.children.length) return;
        if (!box.open) box.showModal();
        var first = body.querySelector("select, input:not([type=hidden]), textarea");
        if (first) first.focus();
      });
  }

  function closeDialog() {
    var box = dialog();
    if (box && box.open) box.close();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.js-dialog");
    if (link && dialogBody() && window.htmx) {
      event.preventDefault();
      openInDialog(link);
      return;
    }
    if (event.target.closest(".js-close-dialog")) {
      event.preventDefault();
      closeDialog();
    }
  });

  // app.js is loaded with `defer` after htmx: the document is parsed and htmx is defined, and
  // htmx fires its first htmx:load only on DOMContentLoaded, after this has registered.
  if (!window.htmx) return;
  htmx.onLoad(initWithin);

  document.body.addEventListener("cergas-close-dialog", closeDialog);

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form.add-card")) {
      refocusColumn = form.closest(".column").dataset.columnId;
    }
  });

  var box = dialog();
  if (box) {
    box.addEventListener("close", function () {
      dialogBody().replaceChildren();
      // Give focus back to the card that opened the dialog (its column may have been redrawn).
      var card = lastOpener && lastOpener.closest("[data-card-id]");
      var target = lastOpener;
      if (card && !document.body.contains(lastOpener)) {
        target = document.querySelector('[data-card-id="' + card.dataset.cardId + '"] a.move');
      }
      if (target && document.body.contains(target)) target.focus();
      lastOpener = null;
    });
  }

  /* Documents on the card page (templates/cards/_attachments.html): a file dropped anywhere on
   * the page goes into the upload form of the documents section (onto a document's "new
   * version" form: that one), which htmx posts with a progress bar. A file over the size limit
   * is refused here before it is sent; the server refuses it too. */
  function documentsSection() {
    return document.getElementById("documents");
  }

  function showFileError(form, text) {
    var input = form.querySelector('input[type="file"]');
    if (!input) return;
    var id = input.id + "-error";
    var error = document.getElementById(id);
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.id = id;
      input.parentNode.appendChild(error);
    }
    error.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id + " documents-hint");
    var details = form.closest("details");
    if (details) details.open = true;
    input.focus();
  }

  function fileTooLarge(form) {
    var section = documentsSection();
    var input = form.querySelector('input[type="file"]');
    var max = section ? Number(section.dataset.maxBytes) : 0;
    if (!max || !input || !input.files || !input.files.length) return false;
    if (input.files[0].size <= max) return false;
    showFileError(form, section.dataset.tooLarge);
    return true;
  }

  function uploadForm(elt) {
    return elt && elt.matches && elt.matches("form.document-upload") ? elt : null;
  }

  function draggingFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  var dragDepth = 0;

  function dragEnded() {
    dragDepth = 0;
    var section = documentsSection();
    if (section) section.classList.remove("is-dragging");
  }

  document.addEventListener("dragenter", function (event) {
    var section = documentsSection();
    if (!section || !draggingFiles(event)) return;
    dragDepth += 1;
    section.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", function (event) {
    if (!documentsSection() || !draggingFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) dragEnded();
  });
  document.addEventListener("dragover", function (event) {
    if (!documentsSection() || !draggingFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", function (event) {
    var section = documentsSection();
    if (!section || !draggingFiles(event)) return;
    event.preventDefault();
    dragEnded();
    var files = event.dataTransfer.files;
    if (!files || !files.length) return;
    var form =
      (event.target.closest && event.target.closest("form.document-upload")) ||
      section.querySelector("form.document-new");
    var input = form && form.querySelector('input[type="file"]');
    if (!input) return;
    var chosen = new DataTransfer();
    chosen.items.add(files[0]);
    input.files = chosen.files;
    form.requestSubmit();
  });

  htmx.onLoad(function (root) {
    if (!root || !root.querySelectorAll) return;
    var section = root.id === "documents" ? root : root.querySelector("#documents");
    if (section) section.classList.add("js-drop");
  });

  document.body.addEventListener("htmx:confirm", function (event) {
    var form = uploadForm(event.detail.elt);
    if (form && fileTooLarge(form)) event.preventDefault();
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event.detail.elt);
    if (!form) return;
    var bar = form.querySelector(".upload-progress");
    if (bar) {
      bar.value = 0;
      bar.hidden = false;
    }
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
    });
  });
  document.body.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event.detail.elt || event.target);
    var bar = form && form.querySelector(".upload-progress");
    if (bar && event.detail.lengthComputable && event.detail.total) {
      bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    // On success the section is swapped; after a failure the form must work again.
    var form = uploadForm(event.detail.elt);
    if (!form || !document.body.contains(form)) return;
    var bar = form.querySelector(".upload-progress");
    if (bar) bar.hidden = true;
    form.querySelectorAll("button").forEach(function (button) {
      button.disabled = false;
    });
  });
  // The section's refusals that base.html's htmx config does not swap (too large, gone, the
  // document store down) still come back as the section, with the message by the field.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (!target || target.id !== "documents" || [404, 413, 503].indexOf(status) === -1) return;
    if ((event.detail.serverResponse || "").indexOf('id="documents"') === -1) return;
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    showFailure();
    var elt = event.detail.elt;
    if (elt && elt.closest && elt.closest(".card-list")) reloadColumns();
  });
  document.body.addEventListener("htmx:sendError", function () {
    showFailure();
    reloadColumns();
  });

  /* The bell counts unread notifications live: one stream per page (GET /notifications/stream,
   * Server-Sent Events). Without JavaScript, or when the stream is refused, the count is the
   * one of the last page load. */
  function setBell(link, count) {
    if (!(count >= 0)) return;
    link.dataset.unread = String(count);
    var badge = link.querySelector(".badge");
    var label = link.querySelector(".sr-only");
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "badge badge-danger";
        badge.setAttribute("aria-hidden", "true");
        link.insertBefore(badge, label);
      }
      badge.textContent = String(count);
    } else if (badge) {
      badge.parentNode.removeChild(badge);
    }
    if (label) {
      label.textContent =
        count > 0 ? (link.dataset.labelSome || "").replace("{n}", count) : link.dataset.labelNone;
    }
  }

  function startBell() {
    var link = document.querySelector(".notification-bell[data-stream]");
    if (!link || !window.EventSource) return;
    var source = new EventSource(link.dataset.stream);
    source.addEventListener("unread", function (event) {
      setBell(link, Number(event.data));
    });
    // Superseded by a newer page, or signed out: stay quiet (a reload reconnects).
    source.addEventListener("closed", function () {
      source.close();
    });
  }

  /* @mentions: typing "@" and a few letters in a comment box (textarea[data-mentions]) lists
   * up to 8 people who see the board; arrows choose, Enter or Tab inserts "@login", Escape
   * closes. Without JavaScript typing "@login" works the same. */
  function mentionBox(area) {
    var list = document.createElement("ul");
    var listId = area.id + "-mentions";
    var people = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", area.dataset.mentionsLabel || "");
    list.hidden = true;
    area.parentNode.insertBefore(list, area.nextSibling);
    area.setAttribute("role", "combobox");
    area.setAttribute("aria-autocomplete", "list");
    area.setAttribute("aria-controls", listId);
    area.setAttribute("aria-expanded", "false");

    function token() {
      var before = area.value.slice(0, area.selectionStart);
      var found = /(^|[\s(])@([^\s@]{0,60})$/.exec(before);
      return found ? { text: found[2], start: before.length - found[2].length - 1 } : null;
    }

    function close() {
      list.hidden = true;
      people = [];
      active = -1;
      area.setAttribute("aria-expanded", "false");
      area.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) area.setAttribute("aria-activedescendant", listId + "-" + index);
      else area.removeAttribute("aria-activedescendant");
    }

    function pick(index) {
      var at = token();
      var person = people[index];
      if (!at || !person) return close();
      var end = area.selectionStart;
      var insert = "@" + person.login + " ";
      area.value = area.value.slice(0, at.start) + insert + area.value.slice(end);
      var caret = at.start + insert.length;
      area.setSelectionRange(caret, caret);
      close();
      area.focus();
    }

    function show(found) {
      people = found;
      list.textContent = "";
      if (!found.length) return close();
      found.forEach(function (person, i) {
        var item = document.createElement("li");
        item.id = listId + "-" + i;
        item.setAttribute("role", "option");
        item.textContent = person.name + " (@" + person.login + ")";
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(i);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      area.setAttribute("aria-expanded", "true");
      highlight(0);
    }

    function ask() {
      var at = token();
      if (!at) return close();
      var mine = ++asked;
      var url = area.dataset.mentions + "?q=" + encodeURIComponent(at.text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { people: [] };
        })
        .then(function (data) {
          if (mine === asked) show(data.people || []);
        })
        .catch(close);
    }

    area.addEventListener("input", function () {
      clearTimeout(timer);
      if (!token()) return close();
      timer = setTimeout(ask, 120);
    });
    area.addEventListener("keydown", function (event) {
      if (list.hidden || !people.length) return;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % people.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight((active - 1 + people.length) % people.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(active < 0 ? 0 : active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    area.addEventListener("blur", function () {
      setTimeout(close, 150);
    });
  }

  startBell();
  document.querySelectorAll("textarea[data-mentions]").forEach(mentionBox);
})();
