/* The total as extras are ticked: the prices come from the page's data attributes. */
(function () {
  "use strict";
  var total = document.querySelector("[data-testid=order-total]");
  if (!total) { return; }
  var money = new Intl.NumberFormat(document.documentElement.lang || "fr", {style: "currency", currency: "EUR"});
  var boxes = document.querySelectorAll("input[name=extras][data-price-cents]");
  function update() {
    var cents = parseInt(total.getAttribute("data-base-cents"), 10);
    boxes.forEach(function (box) { if (box.checked) { cents += parseInt(box.getAttribute("data-price-cents"), 10); } });
    total.textContent = money.format(cents / 100);
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
