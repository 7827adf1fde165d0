/* The time left before the first delivery is due (AM08), updated every second.
   The "late" text and the day unit come from the script tag's data-late and data-day. */
(function () {
  "use strict";
  var script = document.currentScript;
  var late = (script && script.getAttribute("data-late")) || "";
  var d = (script && script.getAttribute("data-day")) || "";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-due")) - Date.now()) / 1000);
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = late; el.classList.add("over"); return; }
      var days = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (days ? days + " " + d + " " : "") + h + " h " + pad(m) + " min " + pad(s) + " s";
    });
  }
  tick();
  setInterval(tick, 1000);
})();
