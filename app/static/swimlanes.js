/* Swimlanes (issue 25): every cell of templates/boards/_lanes.html is a SortableJS list of one
 * shared group, so a card can be dropped into another lane, another column, or both. The drop
 * posts to /boards/<id>/lanes/drop (lane key, column, position, the card's version); the answer
 * puts the alert in #alerts and the whole lanes area back as the database holds it (hx-swap-oob),
 * so a refused card returns to its place with the reason under it. Without JavaScript each card
 * keeps its "Move to…" form; app.js handles that dialog. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* As app.js: the card's index among ALL cards of the target column (without itself), from
   * the neighbours' stored positions; null means "at the bottom" of the column. */
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

  function onDrop(evt) {
    var item = evt.item;
    var area = item.closest(".lanes-area");
    if (!area || (evt.from === evt.to && evt.oldIndex === evt.newIndex)) return;
    var sameColumn = evt.from.dataset.columnId === evt.to.dataset.columnId;
    var values = {
      lanes: area.dataset.lanes,
      card_id: item.dataset.cardId,
      version: item.dataset.version,
      lane: evt.to.dataset.lane,
      column_id: evt.to.dataset.columnId,
    };
    var position = positionFor(item, sameColumn);
    if (position !== null) values.position = String(position);
    item.classList.add("is-saving");
    htmx.ajax("POST", area.dataset.dropUrl, {
      source: item,
      target: "#alerts",
      swap: "innerHTML",
      values: values,
      headers: { "X-CSRFToken": csrfToken() },
    });
  }

  function initLane(list) {
    if (!window.Sortable || list.dataset.sortable) return;
    list.dataset.sortable = "1";
    window.Sortable.create(list, {
      group: "lanes",
      draggable: ".card",
      filter: "a.move",
      preventOnFilter: false,
      animation: 150,
      delay: 200,
      delayOnTouchOnly: true,
      ghostClass: "card-ghost",
      chosenClass: "card-chosen",
      onEnd: onDrop,
    });
  }

  function initWithin(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches(".lane-list")) initLane(root);
    root.querySelectorAll(".lane-list").forEach(initLane);
  }

  if (!window.htmx) return;
  htmx.onLoad(initWithin);
  // A failed save that htmx does not swap (500, network): show the lanes as stored.
  document.body.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.closest || !elt.closest(".lane-list")) return;
    htmx.ajax("GET", window.location.href, { target: "#board-columns", swap: "outerHTML" });
  });
})();
