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

/* A link with data-dialog loads a page's text into that dialog (htmx), then opens it. */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var id = source && source.getAttribute && source.getAttribute("data-dialog");
    var dialog = id && document.getElementById(id);
    if (!dialog || dialog.open) { return; }
    dialog.showModal();
    dialog.scrollTop = 0;
  });
  /* A tap outside the dialog's box closes it. */
  document.addEventListener("click", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.open) {
      var box = dialog.getBoundingClientRect();
      var inside = event.clientX >= box.left && event.clientX <= box.right &&
                   event.clientY >= box.top && event.clientY <= box.bottom;
      if (!inside) { dialog.close(); }
    }
  });
})();
