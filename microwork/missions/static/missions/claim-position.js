/* Taking a mission done on the spot (HM12): the browser's position goes with the
   claim, and the server checks it against the radius. A tasker who declines to
   share it is told why by the server's answer. Without JavaScript the form posts as is. */
(function () {
  "use strict";
  var form = document.getElementById("claim-form");
  if (!form) { return; }
  var status = document.getElementById("claim-position-status");
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (sending) { return; }
    event.preventDefault();
    sending = true;
    var send = function () { form.submit(); };
    if (!navigator.geolocation) { form.elements.geo.value = "unavailable"; send(); return; }
    status.textContent = form.getAttribute("data-asking");
    form.querySelector("button[type=submit]").disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      form.elements.lon.value = pos.coords.longitude.toFixed(6);
      send();
    }, function (error) {
      form.elements.geo.value = error.code === 1 ? "refused" : "unavailable";
      send();
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
  });
})();
