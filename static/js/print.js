// The confirmation page's "Print this page" button: shown only when this script runs, since printing
// needs it; without it the browser's own Print menu prints the same page (static/css/print.css).
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
