// Recording form: picking a class preselects the kind it still misses this month (one tap less).
(function () {
  var select = document.getElementById("class_id");
  if (!select) return;
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var missing = (option && option.dataset.missing || "").split(" ").filter(Boolean);
    if (!missing.length) return;
    var radio = document.getElementById("kind-" + missing[0]);
    if (radio) radio.checked = true;
  });
})();
