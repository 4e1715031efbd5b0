import * as echarts from "echarts";
import { raw, type SafeHtml } from "./html.js";

/**
 * Charts drawn by ECharts on the server (its SVG renderer in SSR mode): the page gets a static
 * SVG, no client-side JavaScript.
 */
export function chartSvg(
  option: echarts.EChartsCoreOption,
  size: { width: number; height: number } = { width: 900, height: 360 },
): SafeHtml {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: "sans-serif" }, ...option });
    return raw(`<figure class="chart">${chart.renderToSVGString()}</figure>`);
  } finally {
    chart.dispose();
  }
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function barChart(
  title: string,
  categories: string[],
  series: { name: string; data: number[] }[],
  options: { percent?: boolean; stack?: boolean } = {},
) {
  return chartSvg({
    title: { text: title, textStyle: { fontSize: 14 } },
    legend: { top: 24 },
    grid: { top: 60, left: 60, right: 20, bottom: 60 },
    xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", axisLabel: options.percent ? { formatter: (v: number) => pct(v) } : {} },
    series: series.map((s) => ({ type: "bar", name: s.name, data: s.data, ...(options.stack ? { stack: "all" } : {}) })),
  });
}

export function lineChart(title: string, x: string[], series: { name: string; data: (number | null)[]; yAxisIndex?: number }[], yAxes = 1) {
  return chartSvg({
    title: { text: title, textStyle: { fontSize: 14 } },
    legend: { top: 24 },
    grid: { top: 60, left: 60, right: 60, bottom: 50 },
    xAxis: { type: "category", data: x },
    yAxis: Array.from({ length: yAxes }, () => ({ type: "value" })),
    series: series.map((s) => ({ type: "line", name: s.name, data: s.data, yAxisIndex: s.yAxisIndex ?? 0, showSymbol: x.length < 40 })),
  });
}

export function sankeyChart(title: string, nodes: string[], links: { source: string; target: string; value: number }[]) {
  return chartSvg(
    {
      title: { text: title, textStyle: { fontSize: 14 } },
      series: [
        { type: "sankey", top: 40, left: 20, right: 160, data: nodes.map((name) => ({ name })), links, emphasis: { focus: "adjacency" } },
      ],
    },
    { width: 900, height: 420 },
  );
}

/** A forest plot: each row's estimate with its 95% interval (ECharts custom series for the whiskers). */
export function forestPlot(title: string, rows: { label: string; estimate: number; low: number; high: number }[]) {
  const labels = rows.map((r) => r.label);
  return chartSvg(
    {
      title: { text: title, textStyle: { fontSize: 14 } },
      grid: { top: 40, left: 260, right: 30, bottom: 40 },
      xAxis: { type: "value", axisLabel: { formatter: (v: number) => pct(v) } },
      yAxis: { type: "category", data: labels, inverse: true },
      series: [
        {
          type: "custom",
          name: "95% interval",
          data: rows.map((r, i) => [r.low, r.high, i]),
          renderItem: (_params: unknown, api: { value(i: number): number; coord(p: [number, number]): [number, number] }) => {
            const a = api.coord([api.value(0), api.value(2)]);
            const b = api.coord([api.value(1), api.value(2)]);
            return {
              type: "group",
              children: [
                { type: "line", shape: { x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, style: { stroke: "#5470c6", lineWidth: 2 } },
                { type: "line", shape: { x1: a[0], y1: a[1] - 6, x2: a[0], y2: a[1] + 6 }, style: { stroke: "#5470c6", lineWidth: 2 } },
                { type: "line", shape: { x1: b[0], y1: b[1] - 6, x2: b[0], y2: b[1] + 6 }, style: { stroke: "#5470c6", lineWidth: 2 } },
              ],
            };
          },
          encode: { x: [0, 1], y: 2 },
        },
        {
          type: "scatter",
          name: "difference",
          data: rows.map((r, i) => [r.estimate, i]),
          symbolSize: 10,
          markLine: { silent: true, symbol: "none", data: [{ xAxis: 0 }], lineStyle: { color: "#999", type: "dashed" } },
        },
      ],
    },
    { width: 900, height: Math.max(160, 60 + rows.length * 36) },
  );
}

export function heatmapChart(title: string, x: string[], y: string[], cells: [number, number, number][]) {
  const max = Math.max(1, ...cells.map((c) => c[2]));
  return chartSvg(
    {
      title: { text: title, textStyle: { fontSize: 14 } },
      grid: { top: 40, left: 200, right: 30, bottom: 80 },
      xAxis: { type: "category", data: x, name: "fatigue", nameLocation: "middle", nameGap: 30 },
      yAxis: { type: "category", data: y },
      visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 200 },
      series: [{ type: "heatmap", data: cells, label: { show: true, fontSize: 10 } }],
    },
    { width: 900, height: Math.max(200, 140 + y.length * 30) },
  );
}

export function qiniChart(title: string, curves: { name: string; points: { fraction: number; gain: number }[] }[]) {
  return chartSvg({
    title: { text: title, textStyle: { fontSize: 14 } },
    legend: { top: 24 },
    grid: { top: 60, left: 60, right: 20, bottom: 50 },
    xAxis: {
      type: "value",
      min: 0,
      max: 1,
      name: "share targeted",
      nameLocation: "middle",
      nameGap: 30,
      axisLabel: { formatter: (v: number) => pct(v) },
    },
    yAxis: { type: "value", name: "incremental conversions" },
    series: curves.flatMap((c) => {
      const last = c.points.at(-1) ?? { fraction: 1, gain: 0 };
      return [
        { type: "line", name: c.name, showSymbol: false, data: c.points.map((p) => [p.fraction, p.gain]) },
        {
          type: "line",
          name: `${c.name} (random)`,
          showSymbol: false,
          lineStyle: { type: "dashed" },
          data: [
            [0, 0],
            [last.fraction, last.gain],
          ],
        },
      ];
    }),
  });
}
