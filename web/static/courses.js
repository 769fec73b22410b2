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

// The "1+1" grid: this month's column sticks between the class column and the semester total (courses.css);
// their measured widths place it, and on load the grid scrolls so that this month sits at its own place
// with the month before it in view.
(function () {
  var table = document.getElementById("course-grid");
  if (!table) return;
  var wrap = table.parentElement;
  var classHead = table.querySelector("thead .class-col");
  var totalHead = table.querySelector("thead .totals-col");

  function place() {
    if (classHead) table.style.setProperty("--class-w", classHead.getBoundingClientRect().width + "px");
    if (totalHead) table.style.setProperty("--total-w", totalHead.getBoundingClientRect().width + "px");
  }

  function showCurrentMonth() {
    var current = table.querySelector("thead th.current-month");
    if (!current || wrap.scrollWidth <= wrap.clientWidth) return;
    // The column before it is not sticky: its offset is where this month's column naturally begins.
    var before = current.previousElementSibling;
    var start = before && before !== classHead ? before.offsetLeft : current.offsetLeft;
    var classWidth = classHead ? classHead.offsetWidth : 0;
    wrap.scrollLeft = Math.max(0, start - classWidth);
  }

  place();
  showCurrentMonth();
  if (window.xinyuScroll) window.xinyuScroll.mark(wrap);
  window.addEventListener("resize", place);
})();
