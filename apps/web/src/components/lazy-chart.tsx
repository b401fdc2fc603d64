import { lazy, Suspense, type ComponentProps } from 'react';
import { Loading } from './status';

const TimeChart = lazy(() => import('./time-chart'));

/** TimeChart, its library fetched only when a page shows a chart. */
export function LazyChart(props: ComponentProps<typeof TimeChart>) {
  return (
    <Suspense fallback={<Loading what="the chart" />}>
      <TimeChart {...props} />
    </Suspense>
  );
}
