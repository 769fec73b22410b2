// Shared by every page (base.html). Sideways scrollers (.scroll-x, .table-wrap, .tabs) say which edge has
// more to see: data-more="left", "right" or "left right" (empty when all fits), which app.css turns into
// a fade or a shadow at that edge. A tab bar (.tabs) scrolls its current tab ([aria-current]) into view.
(function () {
  var SCROLLERS = ".scroll-x, .table-wrap, .tabs";

  function mark(el) {
    var max = el.scrollWidth - el.clientWidth;
    var more = [];
    if (max > 1 && el.scrollLeft > 1) more.push("left");
    if (max > 1 && el.scrollLeft < max - 1) more.push("right");
    var value = more.join(" ");
    if (el.getAttribute("data-more") !== value) el.setAttribute("data-more", value);
  }

  // Scroll the container only (scrollIntoView would move the page too): the item in the middle if it can be.
  function reveal(container, item) {
    var box = container.getBoundingClientRect();
    var at = item.getBoundingClientRect();
    if (at.left >= box.left && at.right <= box.right) return;
    container.scrollLeft += at.left - box.left - (box.width - at.width) / 2;
  }

  function setUp() {
    var scrollers = Array.prototype.slice.call(document.querySelectorAll(SCROLLERS));
    scrollers.forEach(function (el) {
      if (el.classList.contains("tabs")) {
        var current = el.querySelector("[aria-current]");
        if (current) reveal(el, current);
      }
      mark(el);
      el.addEventListener("scroll", function () { mark(el); }, { passive: true });
    });
    var pending = false;
    window.addEventListener("resize", function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; scrollers.forEach(mark); });
    });
    // Pages may show more later (a folded <details> opened): re-measure what changed size.
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(function () { scrollers.forEach(mark); });
      scrollers.forEach(function (el) {
        observer.observe(el);
        if (el.firstElementChild) observer.observe(el.firstElementChild);
      });
    }
  }

  window.xinyuScroll = { mark: mark, reveal: reveal };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
