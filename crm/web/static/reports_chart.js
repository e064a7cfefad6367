// The reports page's chart: reads the JSON block the server rendered and draws it with
// ECharts (vendored, /static/echarts.min.js). No inline script: the CSP forbids it.
(function () {
  "use strict";
  var data = document.getElementById("report-data");
  var box = document.getElementById("report-chart");
  if (!data || !box || typeof echarts === "undefined") return;
  var spec = JSON.parse(data.textContent);
  var chart = echarts.init(box, null, { renderer: "canvas" });
  var option;
  if (spec.kind === "pie") {
    option = {
      tooltip: { trigger: "item" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        type: "pie", radius: "65%",
        data: spec.x.map(function (name, i) { return { name: name, value: spec.series[0].data[i] }; })
      }]
    };
  } else {
    option = {
      tooltip: { trigger: "axis" },
      legend: { data: spec.series.map(function (s) { return s.name; }) },
      grid: { left: 60, right: 30, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: spec.x, axisLabel: { rotate: spec.x.length > 8 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: spec.series.map(function (s) {
        return { name: s.name, type: spec.kind, data: s.data, smooth: spec.kind === "line" };
      })
    };
  }
  chart.setOption(option);
  box.setAttribute("data-rendered", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
