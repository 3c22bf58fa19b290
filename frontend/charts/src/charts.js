// Charts of the console: a stacked-free multi-series line chart of counts per status over
// time (Event Delivery) and a small sparkline (Connection Health), both drawn by uPlot.
import uPlot from "uplot";

const PALETTE = {
  delivered: "#2e7d32",
  retrying: "#f9a825",
  failed: "#c62828",
  filtered: "#6d8fb3",
  filtered_by_destination_filter: "#90a4ae",
  dropped: "#8d6e63",
  message_rejected: "#ad1457",
  unsupported_event_type: "#7b1fa2",
  invalid_settings: "#ef6c00",
  bad_request: "#d84315",
  timeout: "#5d4037",
};

function color(name, index) {
  return PALETTE[name] || `hsl(${(index * 67) % 360} 55% 45%)`;
}

// data: {times: [epoch seconds], series: {status: [counts]}}
export function statusChart(element, data) {
  const names = Object.keys(data.series);
  const opts = {
    width: element.clientWidth || 900,
    height: 260,
    scales: { x: { time: true } },
    axes: [{}, { label: "events" }],
    series: [
      {},
      ...names.map((name, i) => ({
        label: name,
        stroke: color(name, i),
        width: 2,
        points: { show: data.times.length < 60 },
      })),
    ],
  };
  const chart = new uPlot(opts, [data.times, ...names.map((n) => data.series[n])], element);
  new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: 260 })).observe(
    element,
  );
  return chart;
}

export function sparkline(element, values, stroke = "#c62828") {
  const times = values.map((_, i) => i);
  const opts = {
    width: 140,
    height: 32,
    cursor: { show: false },
    legend: { show: false },
    scales: { x: { time: false }, y: { range: [0, 1] } },
    axes: [{ show: false }, { show: false }],
    series: [{}, { stroke, width: 1.5, fill: "rgba(198, 40, 40, 0.08)" }],
  };
  return new uPlot(opts, [times, values], element);
}

// Every element with data-chart reads its JSON from the <script type="application/json">
// named by data-chart, so pages stay free of inline script.
for (const element of document.querySelectorAll("[data-status-chart]")) {
  const data = JSON.parse(document.getElementById(element.dataset.statusChart).textContent);
  statusChart(element, data);
}
for (const element of document.querySelectorAll("[data-sparkline]")) {
  sparkline(element, JSON.parse(element.dataset.sparkline));
}
