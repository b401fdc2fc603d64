import { lazy, Suspense, useEffect } from 'react';
import { Route, Switch, useLocation } from 'wouter';
import { ConnectionBanner } from './components/connection-banner';
import { Header } from './components/header';
import { Loading } from './components/status';
import { SignedIn } from './components/signed-in';
import { Overview } from './pages/overview';

const ExplorerSearch = lazy(() => import('./pages/explorer/explorer-search'));
const ProcessPage = lazy(() => import('./pages/explorer/process-page'));
const DeadLetters = lazy(() => import('./pages/dead-letters'));
const CronPage = lazy(() => import('./pages/cron'));
const NotFound = lazy(() => import('./pages/not-found'));
const SignIn = lazy(() => import('./pages/sign-in'));
const AgentsPage = lazy(() => import('./pages/agents/agents-list'));
const CreateAgent = lazy(() => import('./pages/agents/create-agent'));
const AgentPage = lazy(() => import('./pages/agents/agent-page'));
const Strategies = lazy(() => import('./pages/trader/strategies'));
const Subscriptions = lazy(() => import('./pages/trader/subscriptions'));
const Feed = lazy(() => import('./pages/trader/feed'));
const Account = lazy(() => import('./pages/account'));
const VenueSearch = lazy(() => import('./pages/trader/venue').then((m) => ({ default: m.VenueSearch })));
const VenuePage = lazy(() => import('./pages/trader/venue'));
const MediaPage = lazy(() => import('./pages/trader/media'));

/** After a navigation, focus goes to the new page's main region (screen readers announce it). */
function useFocusOnNavigate(): void {
  const [location] = useLocation();
  useEffect(() => {
    const main = document.getElementById('main');
    if (main && document.activeElement !== document.body) main.focus({ preventScroll: true });
  }, [location]);
}

export function App() {
  useFocusOnNavigate();
  useEffect(() => {
    document.documentElement.dataset.ready = 'true';
  }, []);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>
          <Switch>
            <Route path="/" component={Overview} />
            <Route path="/explorer" component={ExplorerSearch} />
            <Route path="/explorer/:pid">{(params) => <ProcessPage key={params.pid} pid={params.pid} />}</Route>
            <Route path="/dead-letters" component={DeadLetters} />
            <Route path="/cron" component={CronPage} />
            <Route path="/sign-in" component={SignIn} />
            <Route path="/agents">{() => <SignedIn role="admin" page={AgentsPage} />}</Route>
            <Route path="/agents/new">{() => <SignedIn role="admin" page={CreateAgent} />}</Route>
            <Route path="/agents/:id">{(params) => <SignedIn role="admin" page={AgentPage} id={params.id} key={params.id} />}</Route>
            <Route path="/strategies">{() => <SignedIn page={Strategies} />}</Route>
            <Route path="/subscriptions">{() => <SignedIn page={Subscriptions} />}</Route>
            <Route path="/feed">{() => <SignedIn page={Feed} />}</Route>
            <Route path="/venue">{() => <SignedIn page={VenueSearch} />}</Route>
            <Route path="/venue/:pid">{(params) => <SignedIn page={VenuePage} pid={params.pid} key={params.pid} />}</Route>
            <Route path="/media">{() => <SignedIn page={MediaPage} />}</Route>
            <Route path="/account">{() => <SignedIn page={Account} />}</Route>
            <Route component={NotFound} />
          </Switch>
        </Suspense>
      </main>
    </>
  );
}
