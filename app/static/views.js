/* Board views (issue 25): the "Print" button of the board, card, sprint review and calendar pages
 * and the "Copy" button of the calendar address. No inline script (the CSP forbids it); without
 * JavaScript the browser's own print command and selecting the address still work. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    if (event.target.closest(".js-print")) {
      event.preventDefault();
      window.print();
      return;
    }
    var button = event.target.closest(".js-copy");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    var done = function () {
      button.textContent = button.dataset.copied || button.textContent;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
