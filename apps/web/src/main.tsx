import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { connection } from './api/client';
import { ApiError } from './api/errors';
import { applyTheme, theme } from './lib/theme';
import './styles.css';

applyTheme();
theme.watchSystem();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // An unreachable API is the connection banner's business (it refetches everything once the
      // API answers again); 4xx answers are final. Only a 5xx of a working API is tried again.
      retry: (failures, error) => error instanceof ApiError && !error.unreachable && error.status >= 500 && failures < 2,
      staleTime: 2_000,
    },
    mutations: { retry: false },
  },
});
connection.onRecovered(() => void queryClient.invalidateQueries());

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
