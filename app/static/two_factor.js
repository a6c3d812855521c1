/* Recovery codes (templates/auth/_recovery_codes.html): copy them, print them. The buttons stay
 * hidden without JavaScript; the download link works without it. */
(function () {
  "use strict";
  function codesText() {
    var items = document.querySelectorAll("#recovery-code-list code");
    return Array.prototype.map.call(items, function (item) { return item.textContent; }).join("\n") + "\n";
  }
  function init() {
    var copy = document.querySelector(".js-copy-codes");
    var print = document.querySelector(".js-print");
    if (copy && navigator.clipboard) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(codesText()).then(function () {
          copy.textContent = copy.dataset.copied;
        });
      });
    }
    if (print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
