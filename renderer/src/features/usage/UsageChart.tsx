// A stacked bar chart of USD per day and agent (Chart.js on a canvas: no inline styles, nothing remote).
import { useEffect, useRef } from 'react';
import type { ReactElement } from 'react';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Distinct colours for agents' series (readable on light and dark themes). */
const COLORS = ['#4f7cff', '#e0793b', '#2fa37a', '#b45ad3', '#d4a514', '#e0475c', '#3bb3c9', '#7a8699'];

/** One series of the chart. */
export interface ChartSeries {
  label: string;
  values: number[];
}

/**
 * Bars per day (`labels`), stacked by series; `unit` `usd` formats the axis and tooltips as dollars.
 * The canvas has a text alternative: the total of each series.
 */
export function UsageChart({
  labels,
  series,
  unit,
}: {
  labels: string[];
  series: ChartSeries[];
  unit: 'usd' | 'tokens';
}): ReactElement {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  const fmt = (v: number) =>
    unit === 'usd' ? `$${v.toFixed(v > 0 && v < 0.01 ? 4 : 2)}` : v.toLocaleString();
  useEffect(() => {
    if (!canvas.current) return;
    const text = getComputedStyle(canvas.current).color || '#888';
    chart.current = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, ticks: { color: text }, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, ticks: { color: text, callback: (v) => fmt(Number(v)) } },
        },
        plugins: {
          legend: { labels: { color: text } },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label ?? ''}: ${fmt(Number(c.raw))}` } },
        },
      },
    });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // The chart is made once; data changes are applied below.
  }, [unit]);
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = labels.map((d) => d.slice(5));
    c.data.datasets = series.map((s, i) => ({
      label: s.label,
      data: s.values,
      backgroundColor: COLORS[i % COLORS.length],
      borderRadius: 3,
    }));
    c.update();
  }, [labels, series]);
  const summary = series.map((s) => `${s.label}: ${fmt(s.values.reduce((a, b) => a + b, 0))}`).join('; ');
  return (
    <div className="usage-chart" data-testid="usage-chart">
      <canvas
        ref={canvas}
        role="img"
        aria-label={`${unit === 'usd' ? 'Spend' : 'Tokens'} per day by agent. ${summary}`}
      />
    </div>
  );
}
