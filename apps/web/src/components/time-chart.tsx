import { ColorType, createChart, LineSeries, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import { theme } from '../lib/theme';

export interface ChartSeries {
  name: string;
  /** A CSS colour variable of the style sheet, e.g. `--series-1`. */
  color: string;
  /** Points in time order: time in ms, value in the series' unit. */
  points: { at: number; value: number }[];
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function colours() {
  return {
    layout: { background: { type: ColorType.Solid, color: 'transparent' }, textColor: cssVar('--muted') },
    grid: { vertLines: { color: cssVar('--grid') }, horzLines: { color: cssVar('--grid') } },
  };
}

/**
 * One point per second (the chart's time resolution), the last value of each second kept. The
 * library draws its times as UTC: shifting each by the local offset shows the user's clock.
 */
function toData(points: ChartSeries['points']) {
  const bySecond = new Map<number, number>();
  for (const p of points) bySecond.set(Math.floor((p.at - new Date(p.at).getTimezoneOffset() * 60_000) / 1000), p.value);
  return [...bySecond].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time: time as UTCTimestamp, value }));
}

/**
 * Line series over time (lightweight-charts), following the theme. Loaded on demand: pages
 * import it lazily, so the charting library is not part of the first load.
 */
export default function TimeChart({ series, label, height = 220, unit }: { series: ChartSeries[]; label: string; height?: number; unit?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const lines = useRef(new Map<string, ISeriesApi<'Line'>>());

  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, { autoSize: true, ...colours(), layout: { ...colours().layout, attributionLogo: false }, timeScale: { timeVisible: true, secondsVisible: true }, localization: { locale: navigator.language } });
    chart.current = c;
    const stop = theme.subscribe(() => c.applyOptions(colours()));
    const owned = lines.current;
    return () => {
      stop();
      owned.clear();
      c.remove();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    for (const s of series) {
      let line = lines.current.get(s.name);
      if (!line) {
        line = c.addSeries(LineSeries, { color: cssVar(s.color), lineWidth: 2, title: s.name, priceLineVisible: false });
        lines.current.set(s.name, line);
      }
      line.setData(toData(s.points));
    }
  }, [series]);

  const last = series.map((s) => `${s.name} ${s.points.at(-1)?.value.toFixed(1) ?? 'no data'}${unit ? ` ${unit}` : ''}`).join(', ');
  return (
    <figure className="chart">
      <div ref={box} style={{ height }} role="img" aria-label={`${label}. Latest: ${last}.`} />
      <figcaption>
        {series.map((s) => (
          <span key={s.name} className="legend">
            <span className="swatch" style={{ background: `var(${s.color})` }} aria-hidden="true" />
            {s.name}
            {unit ? ` (${unit})` : ''}
          </span>
        ))}
        {/* The library's own logo link would sit inside the chart's image role; its attribution is here instead. */}
        <span className="attribution">
          Chart: <a href="https://www.tradingview.com/lightweight-charts/">TradingView Lightweight Charts</a>
        </span>
      </figcaption>
    </figure>
  );
}
