import { api, body } from './client';
import { platformFigures, parseMetrics, ratePerSecond, type PlatformFigures } from './metrics';
import type { HealthReport } from './views';

/** /health answers 503 with the same report when a check is down: both are a report to show. */
export async function fetchHealth(): Promise<HealthReport> {
  const { data, error, response } = await api.GET('/health');
  if (response.status === 200 || response.status === 503) return (data ?? error) as unknown as HealthReport;
  return body<HealthReport>(Promise.resolve({ data, error, response }));
}

export interface RatePoint {
  at: number;
  messages: number;
  results: number;
}

/** Rates between scrapes, kept while the tab lives (10 minutes) so the chart survives navigation. */
const history: { at: number; figures: PlatformFigures }[] = [];
const rates: RatePoint[] = [];
const KEEP_MS = 10 * 60_000;

export interface MetricsReading {
  at: number;
  figures: PlatformFigures;
  /** Log entries (messages scheduled) and results per second since the previous scrape; null on the first. */
  messagesPerSecond: number | null;
  resultsPerSecond: number | null;
  rates: RatePoint[];
}

export async function fetchMetrics(): Promise<MetricsReading> {
  const text = await body<string>(api.GET('/metrics', { parseAs: 'text' }));
  const at = Date.now();
  const figures = platformFigures(parseMetrics(text));
  const before = history.at(-1);
  const messagesPerSecond = ratePerSecond(before && { at: before.at, value: before.figures.logEntries }, { at, value: figures.logEntries });
  const resultsPerSecond = ratePerSecond(before && { at: before.at, value: before.figures.results }, { at, value: figures.results });
  history.push({ at, figures });
  if (messagesPerSecond !== null && resultsPerSecond !== null) rates.push({ at, messages: messagesPerSecond, results: resultsPerSecond });
  while (history.length > 2) history.shift();
  while (rates.length && rates[0].at < at - KEEP_MS) rates.shift();
  return { at, figures, messagesPerSecond, resultsPerSecond, rates: [...rates] };
}
