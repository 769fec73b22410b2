// The district inbox: "select all in this school / step" boxes tick the items' boxes (which belong to the
// bulk form through their form= attribute), and the bar counts what is selected. No inline script (CSP).
(function () {
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var items = Array.prototype.slice.call(document.querySelectorAll("input[name=ids][form=bulk-form]"));
  var counter = form.querySelector("[data-testid=selected-count] b");
  function members(group) {
    return items.filter(function (box) {
      return !box.disabled && (" " + box.getAttribute("data-groups") + " ").indexOf(" " + group + " ") >= 0;
    });
  }
  function refresh() {
    var n = items.filter(function (box) { return box.checked; }).length;
    if (counter) counter.textContent = String(n);
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      var boxes = members(all.getAttribute("data-select-all"));
      var on = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = boxes.length > 0 && on === boxes.length;
      all.indeterminate = on > 0 && on < boxes.length;
    });
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    var group = box.getAttribute("data-select-all");
    if (group) members(group).forEach(function (item) { item.checked = box.checked; });
    if (group || box.name === "ids") refresh();
  });
  refresh();
})();
