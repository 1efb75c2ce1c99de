// The scenarios page: load an example or a file, run it through POST /api/scenarios/run,
// list the file's levers as checkboxes, and draw the yearly projection and the waterfall.
(function () {
  "use strict";

  var form, text, fileLabel, result, errorBox, leversBox;
  var label = "";          // the file's name in messages (an example's path or the upload's name)
  var leversOf = null;     // the text the lever checkboxes were made for
  var latest = 0;          // the newest request; older answers are dropped

  function g3(value) {     // Python's "%.3g"
    if (!isFinite(value)) return String(value);
    if (value === 0) return "0";
    var s = value.toPrecision(3);
    var mantissa = Number(s.split("e")[0]);
    var exponent = s.indexOf("e") >= 0 ? Number(s.split("e")[1]) : Math.floor(Math.log10(Math.abs(Number(s))));
    if (exponent < -4 || exponent >= 3) {
      if (s.indexOf("e") < 0) mantissa = Number((value / Math.pow(10, exponent)).toPrecision(3));
      return String(mantissa) + "e" + (exponent < 0 ? "-" : "+") + String(Math.abs(exponent)).padStart(2, "0");
    }
    return String(Number(s));
  }

  function scaled(steps) { // wattlens.units: the largest unit that keeps the number >= 1
    return function (value) {
      var chosen = steps[0];
      if (value !== 0 && isFinite(value)) {
        steps.forEach(function (step) { if (Math.abs(value) >= step[0]) chosen = step; });
      }
      return g3(value / chosen[0]) + " " + chosen[1];
    };
  }
  var WH = 3600;
  var energySteps = scaled([[1e-3, "mJ"], [1, "J"], [WH, "Wh"], [WH * 1e3, "kWh"], [WH * 1e6, "MWh"],
                            [WH * 1e9, "GWh"], [WH * 1e12, "TWh"]]);
  function energy(value) {
    if (value !== 0 && Math.abs(value) < 1) return energySteps(value);
    if (Math.abs(value) < 1e3) return g3(value) + " J";
    if (Math.abs(value) < WH) return g3(value / 1e3) + " kJ";
    return energySteps(value);
  }
  var mass = scaled([[1e-3, "mg"], [1, "g"], [1e3, "kg"], [1e6, "t"], [1e9, "kt"], [1e12, "Mt"]]);
  var volume = scaled([[1e-3, "mL"], [1, "L"], [1e3, "m³"], [1e6, "thousand m³"], [1e9, "million m³"]]);
  function count(value) { return Math.round(value).toLocaleString("en-US"); }
  function percent(value) { return Math.round(value * 100) + "%"; }

  function cell(row, q, format, spread) {
    var td = document.createElement("td");
    td.className = "num";
    if (q === null || q === undefined) { td.textContent = "—"; row.appendChild(td); return td; }
    td.setAttribute("data-p5", String(q.p5));
    td.setAttribute("data-p50", String(q.p50));
    td.setAttribute("data-p95", String(q.p95));
    td.textContent = format(q.p50);
    if (spread && (q.p5 !== q.p50 || q.p95 !== q.p50)) {
      // The range goes on its own line so that wide tables wrap instead of widening the page.
      var range = document.createElement("span");
      range.className = "range";
      range.textContent = "(" + format(q.p5) + "–" + format(q.p95) + ")";
      td.appendChild(document.createTextNode(" "));
      td.appendChild(range);
    }
    row.appendChild(td);
    return td;
  }

  function textCell(row, value) {
    var td = document.createElement("td");
    td.textContent = value;
    row.appendChild(td);
    return td;
  }

  function showError(message, hint) {
    errorBox.querySelector("[data-testid=error-message]").textContent = message;
    errorBox.querySelector("[data-testid=error-hint]").textContent = hint || "";
    errorBox.querySelector("[data-testid=error-hint-line]").hidden = !hint;
    errorBox.hidden = false;
  }

  function draw(figure, fig) {
    figure.removeAttribute("data-drawn");
    if (!fig) { figure.hidden = true; return Promise.resolve(); }
    figure.hidden = false;
    return window.wattlens.draw(figure, fig);
  }

  function renderLevers(levers) {
    leversBox.querySelectorAll("label, p").forEach(function (node) { node.remove(); });
    if (!levers.length) {
      var none = document.createElement("p");
      none.className = "none";
      none.textContent = "This file lists no levers.";
      leversBox.appendChild(none);
    }
    levers.forEach(function (lever) {
      var item = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "lever";
      box.value = String(lever.index);
      box.checked = lever.enabled;
      box.setAttribute("data-kind", lever.kind);
      item.appendChild(box);
      item.appendChild(document.createTextNode(lever.index + 1 + ". " + lever.lever + " (" + lever.kind + ")"));
      leversBox.appendChild(item);
    });
  }

  function renderYearly(run) {
    var body = result.querySelector("table[data-testid=yearly] tbody");
    body.textContent = "";
    run.yearly.forEach(function (year) {
      var row = document.createElement("tr");
      row.setAttribute("data-year", String(year.year));
      textCell(row, String(year.year));
      cell(row, year.requests, count, false).setAttribute("data-field", "requests");
      cell(row, year.energy_j, energy, true).setAttribute("data-field", "energy");
      cell(row, year.co2e_market_g, mass, true).setAttribute("data-field", "co2e_market");
      cell(row, year.water_l.total, volume, true).setAttribute("data-field", "water");
      var cost = year.cost;
      cell(row, cost ? cost.amount : null, function (v) { return g3(v) + " " + cost.currency; }, true)
        .setAttribute("data-field", "cost");
      body.appendChild(row);
    });
  }

  function renderWaterfall(waterfall) {
    var body = result.querySelector("table[data-testid=waterfall] tbody");
    body.textContent = "";
    result.querySelector("[data-testid=no-levers]").hidden = waterfall !== null;
    result.querySelector("table[data-testid=waterfall]").hidden = waterfall === null;
    if (waterfall === null) return;
    var rows = [{name: "baseline", after: waterfall.baseline, saving: null, share: null}];
    waterfall.steps.forEach(function (step) {
      rows.push({name: step.lever, after: step.after, saving: step.saving, share: step.saving_share_of_baseline});
    });
    rows.push({name: "optimised", after: waterfall.optimised,
               saving: {energy_j: waterfall.total_saving.energy_j.saving},
               share: {energy_j: waterfall.total_saving.energy_j.share}});
    rows.forEach(function (r, i) {
      var row = document.createElement("tr");
      row.setAttribute("data-step", i === 0 ? "baseline" : (i === rows.length - 1 ? "optimised" : String(i - 1)));
      var name = textCell(row, r.name);
      if (i === 0 || i === rows.length - 1) name.style.fontWeight = "600";
      cell(row, r.after.energy_j, energy, false).setAttribute("data-field", "energy");
      if (r.saving) {
        var q = r.saving.energy_j;
        cell(row, q, energy, false).setAttribute("data-field", "saving");
        var span = cell(row, q, energy, false);
        span.setAttribute("data-field", "saving-range");
        span.textContent = energy(q.p5) + " – " + energy(q.p95);
        cell(row, r.share.energy_j, percent, false).setAttribute("data-field", "share");
      } else {
        textCell(row, ""); textCell(row, ""); textCell(row, "");
      }
      cell(row, r.after.co2e_market_g, mass, false).setAttribute("data-field", "co2e_market");
      body.appendChild(row);
    });
  }

  function render(body, sent) {
    var run = body.run;
    result.querySelector("[data-testid=scenario-title]").textContent = run.scenario;
    result.querySelector("[data-testid=run-info]").textContent =
      "facility boundary · " + run.samples.toLocaleString("en-US") + " samples · seed " + run.seed +
      " · " + run.years + " year" + (run.years === 1 ? "" : "s") + " from " + run.yearly[0].year;
    renderYearly(run);
    renderWaterfall(body.waterfall);
    var warnings = result.querySelector("[data-testid=warnings]");
    warnings.textContent = "";
    run.warnings.forEach(function (w) {
      var li = document.createElement("li");
      li.textContent = w;
      warnings.appendChild(li);
    });
    result.hidden = false;
    var enabled = body.levers.filter(function (l) { return l.enabled; }).map(function (l) { return l.index; });
    result.setAttribute("data-levers", JSON.stringify(enabled));
    result.setAttribute("data-request", JSON.stringify(sent));
    return Promise.all([
      draw(document.getElementById("chart-yearly"), body.figures.energy_by_year),
      draw(document.getElementById("chart-waterfall"), body.figures.levers),
    ]);
  }

  function whole(name) {
    var value = form.elements[name].value.trim();
    return value === "" ? null : Number(value);
  }

  function run() {
    var yaml = text.value;
    var sent = {yaml: yaml, file: label || null, years: whole("years"), samples: whole("samples")};
    if (leversOf === yaml) {  // the checkboxes belong to this text: apply the ticked ones
      sent.levers = Array.prototype.map.call(
        leversBox.querySelectorAll("input[name=lever]:checked"), function (box) { return Number(box.value); });
    }
    var id = ++latest;
    errorBox.hidden = true;
    result.setAttribute("data-state", "running");
    return fetch("/api/scenarios/run", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", Accept: "application/json"},
      body: JSON.stringify(sent),
    })
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (answer) {
        if (id !== latest) return null;
        if (!answer.ok) {
          showError(answer.body.error, answer.body.hint);
          result.setAttribute("data-state", "error");
          return null;
        }
        if (leversOf !== yaml) {
          renderLevers(answer.body.levers);
          leversOf = yaml;
        }
        var request = {file: sent.file, years: sent.years, samples: sent.samples,
                       levers: sent.levers === undefined ? null : sent.levers};
        return render(answer.body, request).then(function () {
          if (id === latest) result.setAttribute("data-state", "done");
        });
      })
      .catch(function (error) {
        if (id !== latest) return;
        showError("could not run the scenario: " + error.message, null);
        result.setAttribute("data-state", "error");
      });
  }

  function loadText(yaml, name) {
    text.value = yaml;
    label = name;
    fileLabel.textContent = name;
    return run();
  }

  function start() {
    form = document.querySelector("form[data-testid=scenario-form]");
    if (!form) return;
    text = form.elements.yaml;
    fileLabel = form.querySelector("[data-testid=file-label]");
    leversBox = form.querySelector("fieldset.levers");
    result = document.querySelector("[data-testid=result]");
    errorBox = document.querySelector("[data-testid=error]");
    var maxBytes = Number(form.getAttribute("data-max-bytes"));

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });
    form.elements.example.addEventListener("change", function (event) {
      var option = event.target.selectedOptions[0];
      if (!option || !option.value) return;
      fetch("/api/scenarios/examples/" + encodeURIComponent(option.value),
            {credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) {
            return response.json().then(function (body) { throw new Error(body.error); });
          }
          return response.text();
        })
        .then(function (yaml) { return loadText(yaml, option.getAttribute("data-file")); })
        .catch(function (error) { showError("could not load the example: " + error.message, null); });
    });
    form.elements.upload.addEventListener("change", function (event) {
      var file = event.target.files[0];
      if (!file) return;
      if (file.size > maxBytes) {
        showError("the file is " + file.size.toLocaleString("en-US") + " bytes; the dashboard takes at most " +
                  maxBytes.toLocaleString("en-US"), "run it with `wattlens scenario run FILE` on the command line");
        return;
      }
      form.elements.example.value = "";
      file.text().then(function (yaml) { return loadText(yaml, file.name); });
    });
    text.addEventListener("input", function () {
      if (label && form.elements.example.value) {  // edited: no longer the example as shipped
        form.elements.example.value = "";
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
