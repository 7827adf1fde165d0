/* The time left before each claim's deadline (HM04), updated every second.
   The "time is up" text comes from the script tag's data-over attribute. */
(function () {
  "use strict";
  var script = document.currentScript;
  var over = (script && script.getAttribute("data-over")) || "";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 1000);
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = over; el.classList.add("over"); return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = h + " h " + pad(m) + " min " + pad(s) + " s";
    });
  }
  tick();
  setInterval(tick, 1000);
})();
