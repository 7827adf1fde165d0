/* Behaviour shared by every page. No inline handlers: the Content-Security-Policy forbids them. */
(function () {
  "use strict";
  /* A form with data-confirm asks before it is sent. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);
})();
