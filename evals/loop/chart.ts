import * as echarts from "echarts";
import type { LoopReport } from "./run-loop.js";

/** One colour per policy, for both panels. */
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e"];

/**
 * The loop as a chart, drawn by ECharts' server-side SVG renderer: cumulative incremental margin
 * against `none` (left) and cumulative opt-outs (right), per cycle, one line per policy.
 */
export function loopChartSvg(report: LoopReport, options: { width?: number; height?: number } = {}): string {
  const width = options.width ?? 1100;
  const height = options.height ?? 440;
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  const cycles = report.policies[0]?.series.map((s) => String(s.cycle + 1)) ?? [];
  const policies = report.policies;
  try {
    chart.setOption({
      animation: false,
      backgroundColor: "#ffffff",
      title: [
        {
          text: `Pulse eval loop: ${report.customers.toLocaleString("en")} customers, ${report.cycles} cycles every ${report.cadenceDays} days, seed ${report.seed}`,
          left: "center",
          top: 6,
          textStyle: { fontSize: 14 },
        },
        {
          text: "cumulative incremental margin vs none",
          left: "25%",
          top: 34,
          textAlign: "center",
          textStyle: { fontSize: 12, fontWeight: "normal" },
        },
        { text: "cumulative opt-outs", left: "75%", top: 34, textAlign: "center", textStyle: { fontSize: 12, fontWeight: "normal" } },
      ],
      legend: { bottom: 6, data: policies.map((p) => p.policy) },
      grid: [
        { left: 70, right: "54%", top: 64, bottom: 70 },
        { left: "56%", right: 30, top: 64, bottom: 70 },
      ],
      xAxis: [
        { type: "category", gridIndex: 0, data: cycles, name: "cycle", nameLocation: "middle", nameGap: 26 },
        { type: "category", gridIndex: 1, data: cycles, name: "cycle", nameLocation: "middle", nameGap: 26 },
      ],
      yAxis: [
        { type: "value", gridIndex: 0, scale: true },
        { type: "value", gridIndex: 1, min: 0 },
      ],
      series: policies.flatMap((p, i) => [
        {
          name: p.policy,
          color: PALETTE[i % PALETTE.length],
          type: "line",
          xAxisIndex: 0,
          yAxisIndex: 0,
          data: p.series.map((s) => (s.cumulative_incremental_margin === null ? null : Math.round(s.cumulative_incremental_margin))),
        },
        {
          name: p.policy,
          color: PALETTE[i % PALETTE.length],
          type: "line",
          xAxisIndex: 1,
          yAxisIndex: 1,
          data: p.series.map((s) => s.cumulative_optouts),
        },
      ]),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
