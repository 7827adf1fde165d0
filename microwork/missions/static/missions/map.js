/* A mission's place on a small map (HM12): a marker and the circle of its radius.
   Each .place-map element carries data-lat, data-lon, data-radius-km and data-tiles;
   on the mission form (data-editable) the map follows the address and radius fields. */
(function () {
  "use strict";
  if (!window.L) { return; }

  function number(text) {
    var value = parseFloat(String(text || "").replace(",", "."));
    return isNaN(value) ? null : value;
  }

  function setUp(box) {
    var map = null, marker = null, circle = null;

    function draw(lat, lon, radiusKm) {
      if (lat === null || lon === null) { box.hidden = true; return; }
      box.hidden = false;
      if (!map) {
        map = L.map(box, {scrollWheelZoom: false});
        L.tileLayer(box.getAttribute("data-tiles"), {
          maxZoom: 19,
          attribution: "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>"
        }).addTo(map);
      }
      map.invalidateSize();
      var center = L.latLng(lat, lon);
      /* The view first: layers are drawn once the map has one. */
      if (radiusKm && radiusKm > 0) {
        map.fitBounds(center.toBounds(radiusKm * 2000), {padding: [8, 8]});
      } else {
        map.setView(center, 14);
      }
      if (marker) { marker.setLatLng(center); } else { marker = L.marker(center, {keyboard: false}).addTo(map); }
      if (circle) { map.removeLayer(circle); circle = null; }
      if (radiusKm && radiusKm > 0) {
        circle = L.circle(center, {radius: radiusKm * 1000, weight: 2, color: "#1f4fd1", fillOpacity: 0.12}).addTo(map);
      }
    }

    function fromBox() {
      draw(number(box.getAttribute("data-lat")), number(box.getAttribute("data-lon")),
           number(box.getAttribute("data-radius-km")));
    }

    if (box.getAttribute("data-editable")) {
      var form = box.closest("form");
      var redraw = function () {
        draw(number(form.elements.lat.value), number(form.elements.lon.value), number(form.elements.radius_km.value));
      };
      form.addEventListener("place:chosen", redraw);
      form.elements.radius_km.addEventListener("input", redraw);
      var details = box.closest("details");
      if (details) { details.addEventListener("toggle", function () { if (details.open) { redraw(); } }); }
      redraw();
    } else {
      fromBox();
    }
  }

  var boxes = document.querySelectorAll(".place-map");
  for (var i = 0; i < boxes.length; i++) { setUp(boxes[i]); }
})();
