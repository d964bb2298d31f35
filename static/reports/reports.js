/* Report charts: each <canvas data-chart-source="ID"> draws the JSON that Django's json_script wrote under
   that id: {"labels": [...], "series": [{"label", "data": [...]}]}. No inline script, no network. */
(function () {
  "use strict";
  var palette = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#6c757d", "#198754", "#0dcaf0"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chartSource);
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.series || !data.series.length) {
      canvas.closest(".card").hidden = true;
      return;
    }
    var percent = canvas.dataset.chartPercent === "1";
    new Chart(canvas, {
      type: canvas.dataset.chartType || "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          return {label: series.label, data: series.data, backgroundColor: palette[i % palette.length]};
        })
      },
      options: {
        responsive: true,
        animation: false,
        // Counts are whole numbers: no 0.2-step ticks on a small campaign.
        scales: {y: {beginAtZero: true, max: percent ? 100 : undefined, ticks: {precision: percent ? 1 : 0}}},
        plugins: {legend: {position: "bottom"}}
      }
    });
  }

  document.querySelectorAll("canvas[data-chart-source]").forEach(draw);
})();
