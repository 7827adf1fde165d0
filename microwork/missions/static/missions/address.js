/* The mission form's address (HM12): suggestions from the national address service
   (Base Adresse Nationale) as the company types; choosing one fills the hidden
   lat and lon fields. Typed without choosing, the server looks the address up. */
(function () {
  "use strict";
  var picker = document.getElementById("address-picker");
  if (!picker || !window.fetch) { return; }
  var form = picker.closest("form");
  var input = form.elements.address;
  var list = document.getElementById("address-suggestions");
  var status = document.getElementById("address-status");
  var help = status.textContent;
  var timer = null, asked = 0;

  function clearList() { list.innerHTML = ""; list.hidden = true; }

  function choose(feature) {
    input.value = feature.properties.label;
    form.elements.lon.value = feature.geometry.coordinates[0].toFixed(6);
    form.elements.lat.value = feature.geometry.coordinates[1].toFixed(6);
    clearList();
    status.textContent = help;
    form.dispatchEvent(new CustomEvent("place:chosen"));
    if (!form.elements.radius_km.value) { form.elements.radius_km.focus(); }
  }

  function show(features) {
    list.innerHTML = "";
    features.forEach(function (feature) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "option");
      button.textContent = feature.properties.label;
      button.addEventListener("click", function () { choose(feature); });
      item.appendChild(button);
      list.appendChild(item);
    });
    list.hidden = features.length === 0;
    status.textContent = features.length ? help : picker.getAttribute("data-none");
  }

  function search() {
    var query = input.value.trim();
    if (query.length < 3) { clearList(); return; }
    var mine = ++asked;
    fetch(picker.getAttribute("data-api") + "?q=" + encodeURIComponent(query) + "&limit=5")
      .then(function (response) { return response.ok ? response.json() : {features: []}; })
      .then(function (body) { if (mine === asked) { show(body.features || []); } })
      .catch(function () { clearList(); });  /* the server looks the address up on saving */
  }

  input.addEventListener("input", function () {
    /* A changed address no longer matches the chosen position. */
    form.elements.lat.value = "";
    form.elements.lon.value = "";
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 250);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { clearList(); }
    if (event.key === "ArrowDown" && !list.hidden) { event.preventDefault(); list.querySelector("button").focus(); }
  });
})();
