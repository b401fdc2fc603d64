import { Link } from 'wouter';
import { useTitle } from '../lib/use-title';

export default function NotFound() {
  useTitle('Not found');
  return (
    <div className="page">
      <h1>Nothing here</h1>
      <p>
        This address is not a page of the dashboard. Go to the <Link href="/">overview</Link> or the <Link href="/explorer">process explorer</Link>.
      </p>
    </div>
  );
}
