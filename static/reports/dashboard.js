/* Draws the dashboard's charts from the JSON the page carries (json_script "dashboard-data"). No inline script. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var text = data.text;
  var palette = ["#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"];
  var phaseColours = {lapsed: "#6c757d", final_days: "#dc3545", notice: "#fd7e14", pre_notice: "#ffc107",
                      later: "#9ec5fe"};
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function canvas(id) { return document.getElementById(id); }
  function shortDay(iso) { return iso.slice(5).replace("-", "/"); }

  if (canvas("chart-dormancy")) {
    new Chart(canvas("chart-dormancy"), {
      type: "line",
      data: {
        labels: data.dormancy.labels.map(shortDay),
        datasets: data.dormancy.series.map(function (series, i) {
          return {label: series.label, data: series.data, borderColor: palette[i % palette.length],
                  backgroundColor: palette[i % palette.length], pointRadius: 0, borderWidth: 2, tension: .2,
                  spanGaps: true};
        })
      },
      options: {interaction: {mode: "index", intersect: false},
                scales: {x: {ticks: {maxTicksLimit: 10}}, y: {beginAtZero: false,
                         ticks: {callback: function (v) { return number.format(v); }}}},
                plugins: {legend: {position: "bottom"}}}
    });
  }

  if (canvas("chart-moves")) {
    new Chart(canvas("chart-moves"), {
      type: "bar",
      data: {
        labels: data.dormancy.labels.map(shortDay),
        datasets: [
          {label: text.newly, data: data.dormancy.moves.newly, backgroundColor: "#dc3545"},
          {label: text.reactivated, data: data.dormancy.moves.reactivated.map(function (v) { return -v; }),
           backgroundColor: "#198754"}
        ]
      },
      options: {interaction: {mode: "index", intersect: false},
                scales: {x: {stacked: true, ticks: {maxTicksLimit: 8}}, y: {stacked: true,
                         ticks: {precision: 0, callback: function (v) { return number.format(Math.abs(v)); }}}},
                plugins: {legend: {position: "bottom"},
                          tooltip: {callbacks: {label: function (c) {
                            return c.dataset.label + ": " + number.format(Math.abs(c.raw)); }}}}}
    });
  }

  if (canvas("chart-funnel")) {
    new Chart(canvas("chart-funnel"), {
      type: "bar",
      data: {
        labels: data.funnel.stages,
        datasets: data.funnel.campaigns.map(function (campaign, i) {
          return {label: campaign.label, data: campaign.data, backgroundColor: palette[i % palette.length]};
        })
      },
      options: {scales: {y: {beginAtZero: true, title: {display: true, text: text.messages},
                             ticks: {precision: 0, callback: function (v) { return number.format(v); }}}},
                plugins: {legend: {position: "bottom"}}}
    });
  }

  if (canvas("chart-pipeline")) {
    new Chart(canvas("chart-pipeline"), {
      type: "bar",
      data: {
        labels: data.pipeline.labels.map(shortDay),
        datasets: data.pipeline.phases.map(function (phase) {
          return {label: phase.label, data: phase.counts, amounts: phase.amounts,
                  backgroundColor: phaseColours[phase.phase]};
        })
      },
      options: {scales: {x: {stacked: true, title: {display: true, text: text.week_of}},
                         y: {stacked: true, beginAtZero: true, ticks: {precision: 0},
                             title: {display: true, text: text.contracts}}},
                plugins: {legend: {position: "bottom"},
                          tooltip: {callbacks: {label: function (c) {
                            var amount = c.dataset.amounts[c.dataIndex];
                            return c.dataset.label + ": " + number.format(c.raw) + " (¥" + number.format(amount) + ")";
                          }}}}}
    });
  }

  if (canvas("chart-response")) {
    new Chart(canvas("chart-response"), {
      type: "bar",
      data: {
        labels: data.response.map(function (row) { return row.rep; }),
        datasets: [{label: text.minutes, data: data.response.map(function (row) { return row.avg_minutes; }),
                    backgroundColor: "#0d6efd"}]
      },
      options: {indexAxis: "y", scales: {x: {beginAtZero: true, title: {display: true, text: text.minutes}}},
                plugins: {legend: {display: false},
                          tooltip: {callbacks: {afterLabel: function (c) {
                            var row = data.response[c.dataIndex];
                            return [text.claimed + ": " + number.format(row.claimed),
                                    text.within_hour + ": " + row.within_hour];
                          }}}}}
    });
  }
}());
