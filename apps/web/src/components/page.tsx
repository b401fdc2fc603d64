import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Empty, ErrorNote, Loading } from './status';

/** A page's heading, its lead sentence and whatever sits beside them (a breadcrumb, a button). */
export function PageHead({ title, lead, before, children }: { title: ReactNode; lead?: ReactNode; before?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-head">
      {before}
      <h1>{title}</h1>
      {lead && <p className="muted">{lead}</p>}
      {children}
    </div>
  );
}

/**
 * The three states of a query every list shows: loading (announced), the API's error with a
 * retry, and the data, or what an empty answer means. `isEmpty` defaults to an empty array.
 */
export function QueryView<T>({ query, what, empty, isEmpty = (d) => Array.isArray(d) && d.length === 0, children }: { query: UseQueryResult<T>; what: string; empty: ReactNode; isEmpty?: (data: T) => boolean; children: (data: T) => ReactNode }) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <ErrorNote error={query.error} retry={() => void query.refetch()} />;
  return <>{isEmpty(query.data) ? empty : children(query.data)}</>;
}

export interface Column {
  label: string;
  /** Right-aligned figures. */
  num?: boolean;
  /** Read by screen readers only (an actions column). */
  hidden?: boolean;
}

/** A table in its sideways-scrolling box, with a caption for screen readers and column headers. */
export function DataTable({ testId, caption, columns, children }: { testId: string; caption?: string; columns: (string | Column)[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        {caption && <caption className="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => {
              const col = typeof c === 'string' ? { label: c } : c;
              return (
                <th key={col.label} scope="col" className={col.num ? 'num' : undefined}>
                  {col.hidden ? <span className="visually-hidden">{col.label}</span> : col.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export { Empty };
