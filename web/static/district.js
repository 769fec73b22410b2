// The district dashboard's chart: on-time rate by month, a bar per school and the district's line
// (a bar, too, while there is a single month). The data is the page's
// <script type="application/json" id="dashboard-data"> block: the CSP allows no inline script.
// A 0 % rate still draws a short bar labelled 0%; a rate of too few pieces of work (thin) is grey.
(function () {
  var canvas = document.getElementById("on-time-chart");
  var source = document.getElementById("dashboard-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#0b5cad", "#d97706", "#1a7f37", "#8250df", "#bf3989", "#0a7ea4", "#b42318", "#57606a"];
  var THIN = "#afb8c1";
  var districtAsLine = data.labels.length > 1;
  function byThin(thin, colour) {
    return function (context) { return thin[context.dataIndex] ? THIN : colour; };
  }
  var districtColour = districtAsLine ? "#1f2328" : "rgba(31, 35, 40, 0.8)";
  var datasets = [{
    type: districtAsLine ? "line" : "bar", label: "全区", data: data.district, thin: data.district_thin,
    borderColor: districtAsLine ? "#1f2328" : byThin(data.district_thin, "#1f2328"),
    backgroundColor: byThin(data.district_thin, districtColour),
    pointBackgroundColor: byThin(data.district_thin, "#1f2328"),
    pointBorderColor: byThin(data.district_thin, "#1f2328"),
    pointStyle: function (context) { return data.district_thin[context.dataIndex] ? "rectRot" : "circle"; },
    borderWidth: districtAsLine ? 3 : 1, pointRadius: 5, spanGaps: true, order: 0, minBarLength: 4, clip: 8,
    // The line into or out of a thin month is grey and dashed: it is no trend to read.
    segment: {
      borderColor: function (s) { return thinEnd(s) ? THIN : undefined; },
      borderDash: function (s) { return thinEnd(s) ? [6, 4] : undefined; }
    }
  }];
  function thinEnd(s) { return data.district_thin[s.p0DataIndex] || data.district_thin[s.p1DataIndex]; }
  data.schools.forEach(function (school, index) {
    var colour = palette[index % palette.length];
    datasets.push({
      type: "bar", label: school.name, data: school.rates, thin: school.thin,
      borderColor: byThin(school.thin, colour), backgroundColor: byThin(school.thin, colour + "b3"),
      borderWidth: 1, order: 1, minBarLength: 4
    });
  });
  // "0%" above each bar of a 0 % rate, so an empty month is not mistaken for a month without work.
  var zeroLabels = {
    id: "zeroLabels",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "#b42318";
      ctx.font = "12px sans-serif";
      ctx.textAlign = "center";
      chart.data.datasets.forEach(function (set, d) {
        var meta = chart.getDatasetMeta(d);
        if (meta.type !== "bar" || meta.hidden) return;
        meta.data.forEach(function (bar, i) {
          if (set.data[i] === 0) ctx.fillText("0%", bar.x, bar.y - 4);
        });
      });
      ctx.restore();
    }
  };
  new Chart(canvas, {
    data: { labels: data.labels, datasets: datasets },
    plugins: [zeroLabels],
    options: {
      responsive: true, maintainAspectRatio: false, animation: false, layout: { padding: { top: 12 } },
      interaction: { mode: "index", intersect: false },
      scales: {
        y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } }
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: function (c) {
          var thin = c.dataset.thin && c.dataset.thin[c.dataIndex] ? "（样本不足）" : "";
          return c.dataset.label + "：" + (c.parsed.y === null ? "—" : c.parsed.y + "%") + thin;
        } } }
      }
    }
  });
  canvas.dataset.ready = "1";  // browser tests may wait for this
})();
