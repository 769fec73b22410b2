// The district dashboard's chart: on-time rate by month, the district's line and the schools' lines.
// The data is the page's <script type="application/json" id="dashboard-data"> block (CSP: no inline script).
(function () {
  var canvas = document.getElementById("on-time-chart");
  var source = document.getElementById("dashboard-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#0b5cad", "#b42318", "#9a6700", "#1a7f37", "#8250df", "#bf3989", "#0a7ea4", "#57606a"];
  var datasets = [{
    label: "全区", data: data.district, borderColor: "#1f2328", backgroundColor: "#1f2328",
    borderWidth: 3, pointRadius: 4, spanGaps: true, order: 0
  }];
  data.schools.forEach(function (school, index) {
    var colour = palette[index % palette.length];
    datasets.push({
      label: school.name, data: school.rates, borderColor: colour, backgroundColor: colour,
      borderWidth: 1.5, borderDash: [4, 3], pointRadius: 3, spanGaps: true, order: 1
    });
  });
  new Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } }
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: function (c) {
          return c.dataset.label + "：" + (c.parsed.y === null ? "—" : c.parsed.y + "%");
        } } }
      }
    }
  });
  canvas.dataset.ready = "1";  // browser tests wait for this
})();
