// Relance's own script: small conveniences over pages that work without it. No inline script
// anywhere (the Content-Security-Policy allows files from 'self' only); data for charts comes in
// <script type="application/json"> blocks, which are data, not code.
(function () {
  "use strict";

  // A form marked data-autosubmit sends itself when one of its selects or checkboxes changes (its
  // button stays for people without JavaScript).
  function autosubmit(root) {
    var controls = "form[data-autosubmit] select, form[data-autosubmit] input[type=checkbox]";
    root.querySelectorAll(controls).forEach(function (control) {
      control.addEventListener("change", function () { control.form.requestSubmit(); });
    });
  }

  // The organisation switcher's search box filters its list as one types.
  function switcher(root) {
    root.querySelectorAll("[data-switcher]").forEach(function (menu) {
      var filter = menu.querySelector(".switcher-filter");
      if (!filter) { return; }
      menu.addEventListener("toggle", function () { if (menu.open) { filter.focus(); } });
      filter.addEventListener("input", function () {
        var needle = filter.value.trim().toLowerCase();
        menu.querySelectorAll("li").forEach(function (item) {
          item.hidden = needle !== "" && item.textContent.toLowerCase().indexOf(needle) === -1;
        });
      });
    });
  }

  // A <canvas data-chart="ID"> draws the Chart.js configuration in <script type="application/json" id="ID">.
  function charts(root) {
    if (typeof window.Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, JSON.parse(source.textContent));
    });
  }

  function enhance(root) { autosubmit(root); switcher(root); charts(root); }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // Content htmx swaps in gets the same treatment.
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
  window.Relance = { enhance: enhance };
})();
