// The queue's charts (finished, spent, open per bucket) as TimeChart props, for the dashboard's
// last day and the insights card's chosen range alike.
import type { TaskSeries } from "../../domain/tasks/index.ts"
import { formatUsd } from "../../domain/tasks/index.ts"
import type { TimeChartProps } from "./TimeChart.vue"

const count = (n: number) => String(n)

/** `per` names a bucket in the labels ("hour", "day"). */
export function queueCharts(s: TaskSeries, bucketMs: number, per: string): Record<"throughput" | "spend" | "depth", TimeChartProps> {
  const common = { ends: s.ends, bucketMs }
  return {
    throughput: {
      ...common,
      label: `Tasks approved and failed per ${per}`,
      kind: "bars",
      format: count,
      series: [
        { name: "approved", values: s.approved, tone: "accent" },
        { name: "failed", values: s.failed, tone: "bad" },
      ],
    },
    spend: { ...common, label: `LLM spend per ${per}`, kind: "bars", format: formatUsd, series: [{ name: "spent", values: s.spendUsd, tone: "run" }] },
    depth: { ...common, label: "Open tasks", kind: "line", format: count, series: [{ name: "open", values: s.depth, tone: "run" }] },
  }
}
