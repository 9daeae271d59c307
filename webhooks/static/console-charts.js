// 概览's charts (ECharts, served by the app): the data is in the page as JSON, and the tables beside each
// chart hold the same numbers, so the page says everything without scripts too.
(function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var red = "#b71c1c", grey = "#9e9e9e", green = "#2e7d32";
  function draw(id, option) {
    var box = document.getElementById(id);
    if (!box) { return; }
    var chart = echarts.init(box, null, {renderer: "canvas"});
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    box.dataset.drawn = "true";
  }
  draw("trend-chart", {
    tooltip: {trigger: "axis"},
    legend: {data: ["反映", "办结"], top: 0},
    grid: {left: 40, right: 16, top: 32, bottom: 28},
    xAxis: {type: "category", data: data.months.map(function (m) { return m.slice(5) + "月"; })},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: "反映", type: "line", data: data.reported, color: red},
      {name: "办结", type: "line", data: data.resolved, color: green}
    ]
  });
  draw("category-chart", {
    tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
    legend: {data: ["未办结", "已结束"], top: 0},
    grid: {left: 90, right: 16, top: 32, bottom: 24},
    xAxis: {type: "value", minInterval: 1},
    yAxis: {type: "category", data: data.categories},
    series: [
      {name: "未办结", type: "bar", stack: "all", data: data.categoryOpen, color: red},
      {name: "已结束", type: "bar", stack: "all", data: data.categoryClosed, color: grey}
    ]
  });
})();

// A poll's answers: one stacked bar per question, best answer first; drawn again when htmx refreshes them.
function drawPoll() {
  var source = document.getElementById("poll-data");
  var box = document.getElementById("poll-chart");
  if (!source || !box || typeof echarts === "undefined" || box.dataset.drawn === "true") { return; }
  var data = JSON.parse(source.textContent), chart = data.chart, labels = data.labels;
  var instance = echarts.init(box, null, {renderer: "canvas"});
  instance.setOption({
    tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
    legend: {data: labels, top: 0},
    grid: {left: 160, right: 16, top: 32, bottom: 24},
    xAxis: {type: "value", minInterval: 1},
    yAxis: {type: "category", data: chart.questions, inverse: true,
            axisLabel: {width: 150, overflow: "truncate"}},
    series: [
      {name: labels[0], type: "bar", stack: "all", data: chart["3"], color: "#2e7d32"},
      {name: labels[1], type: "bar", stack: "all", data: chart["2"], color: "#9e9e9e"},
      {name: labels[2], type: "bar", stack: "all", data: chart["1"], color: "#b71c1c"}
    ]
  });
  window.addEventListener("resize", function () { instance.resize(); });
  box.dataset.drawn = "true";
}
drawPoll();
document.body.addEventListener("htmx:afterSettle", drawPoll);
