import { useEffect } from 'react';

/** The document's title for the page shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · ao platform`;
  }, [title]);
}
