// Draws the report's charts with uPlot from the JSON in #report-data: one
// x axis (seconds since the run started) shared by every chart, zoomed
// together, with load phases shaded and chaos actions marked.
(function () {
  "use strict";
  var spec = JSON.parse(document.getElementById("report-data").textContent);
  var tl = spec.timeline;
  tl.phases = tl.phases || [];
  tl.marks = tl.marks || [];
  var plots = [];
  var drawn = {};
  var zooming = false;

  function fmtNum(v) {
    if (v == null || isNaN(v)) return "–";
    var a = Math.abs(v);
    if (a >= 100 || v === Math.round(v)) return String(Math.round(v));
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return String(parseFloat(v.toPrecision(2)));
  }

  // The shaded phases go under the series, the chaos lines over them.
  function timelinePlugin() {
    var px = function () { return window.devicePixelRatio || 1; };
    function clip(u, ctx) {
      ctx.beginPath();
      ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
      ctx.clip();
    }
    return {
      hooks: {
        drawAxes: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          clip(u, ctx);
          ctx.font = Math.round(11 * px()) + "px sans-serif";
          ctx.textBaseline = "bottom";
          ctx.textAlign = "left";
          tl.phases.forEach(function (p) {
            var x0 = u.valToPos(p.from, "x", true), x1 = u.valToPos(p.to, "x", true);
            ctx.fillStyle = p.drain ? "rgba(110,119,129,0.10)" : "rgba(9,105,218,0.08)";
            ctx.fillRect(x0, u.bbox.top, Math.max(x1 - x0, 1), u.bbox.height);
            ctx.fillStyle = p.drain ? "rgba(87,96,106,0.9)" : "rgba(9,105,218,0.85)";
            ctx.fillText(p.label, x0 + 4 * px(), u.bbox.top + u.bbox.height - 3 * px());
          });
          ctx.restore();
        }],
        draw: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          clip(u, ctx);
          ctx.font = "600 " + Math.round(11 * px()) + "px sans-serif";
          ctx.textBaseline = "top";
          ctx.textAlign = "left";
          tl.marks.forEach(function (m, i) {
            var x = u.valToPos(m.at, "x", true);
            var color = m.failed ? "#cf222e" : "#8250df";
            ctx.strokeStyle = color;
            ctx.lineWidth = 1.5 * px();
            ctx.setLineDash([5 * px(), 3 * px()]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            // Labels of nearby actions are staggered in three rows.
            var y = u.bbox.top + (2 + 14 * (i % 3)) * px();
            var w = ctx.measureText(m.label).width;
            var tx = x + 4 * px();
            if (tx + w > u.bbox.left + u.bbox.width) tx = x - 4 * px() - w;
            ctx.fillStyle = "rgba(255,255,255,0.85)";
            ctx.fillRect(tx - 2 * px(), y - 1 * px(), w + 4 * px(), 13 * px());
            ctx.fillStyle = color;
            ctx.fillText(m.label, tx, y);
          });
          ctx.restore();
        }]
      }
    };
  }

  function seriesOpts(s, unit) {
    var o = {
      label: s.label,
      stroke: s.color,
      width: s.width || 1.5,
      spanGaps: !!s.span,
      value: function (u, v) { return v == null ? "–" : fmtNum(v) + (unit ? " " + unit : ""); }
    };
    if (s.dash) o.dash = s.dash;
    switch (s.style) {
      case "dots":
        o.paths = function () { return null; };
        o.points = { show: true, space: 0, size: 4, width: 0, fill: s.color, stroke: s.color };
        break;
      case "step":
        o.paths = uPlot.paths.stepped({ align: 1 });
        o.points = { show: false };
        break;
      case "bound":
        o.points = { show: false };
        break;
      // "line": uPlot shows its points where they are far enough apart.
    }
    return o;
  }

  function niceCeil(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var ms = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < ms.length; i++) if (ms[i] * p >= v) return ms[i] * p;
    return 10 * p;
  }

  function width(el) { return Math.max(el.clientWidth, 320); }

  spec.charts.forEach(function (c) {
    var el = document.getElementById("chart-" + c.id);
    if (c.empty) return;
    var yScale = c.log
      ? { distr: 3, log: 10 }
      : { range: function (u, min, max) { return [Math.min(0, min), niceCeil(max * 1.05)]; } };
    var opts = {
      width: width(el),
      height: 260,
      plugins: [timelinePlugin()],
      cursor: {
        sync: { key: "hookbench-run" },
        drag: { x: true, y: false, setScale: true }
      },
      scales: {
        // Every chart's data holds x = 0 and x = end: one axis for all.
        x: { time: false, range: function (u, min, max) { return [min, max]; } },
        y: yScale
      },
      axes: [
        { label: "seconds since the run started", values: function (u, vals) { return vals.map(function (v) { return +v.toFixed(3) + " s"; }); } },
        { label: c.yLabel, size: 64, values: function (u, vals) { return vals.map(function (v) { return v == null ? "" : fmtNum(v); }); } }
      ],
      series: [{ label: "time", value: function (u, v) { return v == null ? "–" : v.toFixed(3) + " s"; } }]
        .concat(c.series.map(function (s) { return seriesOpts(s, c.unit); })),
      hooks: {
        draw: [function (u) {
          drawn[c.id] = true;
          document.body.setAttribute("data-drawn", Object.keys(drawn).length);
        }],
        setScale: [function (u, key) {
          if (key !== "x" || zooming) return;
          zooming = true;
          plots.forEach(function (o) {
            if (o !== u) o.setScale("x", { min: u.scales.x.min, max: u.scales.x.max });
          });
          zooming = false;
        }]
      }
    };
    plots.push(new uPlot(opts, c.data, el));
  });
  document.body.setAttribute("data-charts", String(plots.length));
  // For a reader's console (and the browser test): the uPlot instances.
  window.hookbenchCharts = plots;

  window.addEventListener("resize", function () {
    plots.forEach(function (u) { u.setSize({ width: width(u.root.parentNode), height: 260 }); });
  });
})();
