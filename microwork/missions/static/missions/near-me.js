/* "Near me" (HM12): the browser's position fills the hidden fields, then the search runs.
   The messages come from the button's data-no-geo, data-finding and data-refused attributes. */
(function () {
  "use strict";
  var button = document.getElementById("near-me");
  var status = document.getElementById("near-status");
  var form = document.getElementById("filters");
  if (!button || !form) { return; }
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = button.getAttribute("data-no-geo"); return; }
    status.textContent = button.getAttribute("data-finding");
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(5);
      form.elements.lon.value = pos.coords.longitude.toFixed(5);
      form.submit();
    }, function () {
      status.textContent = button.getAttribute("data-refused");
    }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 300000});
  });
})();
