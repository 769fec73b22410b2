// The district dashboard's chart: on-time rate by month, a bar per school and the district's line
// (a bar, too, while there is a single month). The data is the page's
// <script type="application/json" id="dashboard-data"> block: the CSP allows no inline script.
(function () {
  var canvas = document.getElementById("on-time-chart");
  var source = document.getElementById("dashboard-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#0b5cad", "#d97706", "#1a7f37", "#8250df", "#bf3989", "#0a7ea4", "#b42318", "#57606a"];
  var districtAsLine = data.labels.length > 1;
  var datasets = [{
    type: districtAsLine ? "line" : "bar", label: "全区", data: data.district,
    borderColor: "#1f2328", backgroundColor: districtAsLine ? "#1f2328" : "rgba(31, 35, 40, 0.8)",
    borderWidth: districtAsLine ? 3 : 1, pointRadius: 4, spanGaps: true, order: 0
  }];
  data.schools.forEach(function (school, index) {
    var colour = palette[index % palette.length];
    datasets.push({
      type: "bar", label: school.name, data: school.rates, borderColor: colour, backgroundColor: colour + "b3",
      borderWidth: 1, order: 1
    });
  });
  new Chart(canvas, {
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
  canvas.dataset.ready = "1";  // browser tests may wait for this
})();
