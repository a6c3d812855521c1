/* The board settings page's editors, enhanced: a person field suggests the people whose name
 * contains what is typed (the server resolves a name or NIP without this), and a card type
 * picker shows the "new type" field only when "Another type…" is chosen. No build step; the
 * page works without it. */
(function () {
  "use strict";

  var timers = new WeakMap();

  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var text = input.value.trim();
    if (!list || text.length < 2) return;
    var url = input.dataset.suggest + "?q=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { people: [] }; })
      .then(function (data) {
        list.textContent = "";
        (data.people || []).forEach(function (label) {
          var option = document.createElement("option");
          option.value = label;
          list.appendChild(option);
        });
      })
      .catch(function () { /* suggestions are a help; the field still resolves on save */ });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-suggest]")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { suggest(input); }, 200));
  });

  function toggleOther(select) {
    var other = select.parentNode.querySelector(".js-type-other");
    if (other) other.hidden = select.value !== "__other__";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select.js-type-pick")) {
      toggleOther(event.target);
      if (event.target.value === "__other__") {
        var field = event.target.parentNode.querySelector(".js-type-other input");
        if (field) field.focus();
      }
    }
  });

  document.querySelectorAll("select.js-type-pick").forEach(toggleOther);
})();
