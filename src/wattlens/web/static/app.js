// Draws every chart of a page: figures embedded as JSON, or fetched from the JSON API.
(function () {
  "use strict";
  var config = {displaylogo: false, responsive: true};

  function draw(figure, fig) {
    var plot = figure.querySelector(".plot");
    return Plotly.newPlot(plot, fig.data, fig.layout, config).then(function () {
      figure.setAttribute("data-drawn", "true");
    });
  }

  // Other scripts of a page (scenarios.js) draw the figures they fetch with the same settings.
  window.wattlens = {draw: draw};

  function fail(figure, text) {
    figure.setAttribute("data-error", text);
    figure.querySelector(".plot").textContent = text;
  }

  function start() {
    document.querySelectorAll("figure.chart").forEach(function (figure) {
      var embedded = figure.querySelector("script.figure-data");
      if (embedded) {
        draw(figure, JSON.parse(embedded.textContent));
        return;
      }
      var src = figure.getAttribute("data-src");
      if (!src) return;
      fetch(src, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error + (body.hint ? " (" + body.hint + ")" : ""));
            return body;
          });
        })
        .then(function (body) {
          figure.setAttribute("data-points", String(body.points));
          figure.setAttribute("data-source-points", String(body.source_points));
          return draw(figure, body.figure);
        })
        .catch(function (error) { fail(figure, "could not load the chart: " + error.message); });
    });
    document.querySelectorAll("input[data-filter-table]").forEach(function (input) {
      var table = document.getElementById(input.getAttribute("data-filter-table"));
      input.addEventListener("input", function () {
        var needle = input.value.toLowerCase();
        table.querySelectorAll("tbody tr").forEach(function (row) {
          row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) < 0;
        });
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
