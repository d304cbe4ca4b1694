import { lazy, useEffect } from 'react';
import { Route, Routes } from 'react-router';
import { Layout } from './components/Layout';
import { useMaybeSession } from './session/SessionContext';
import { SignInPage } from './pages/SignInPage';

// Each page is a chunk of its own: nothing but the sign-in form loads before a token is given, and
// the charts library comes with the Overview. Once signed in, the other pages load in the background,
// so that moving between them needs nothing more from the server than their data.
const PAGES = {
  OverviewPage: () => import('./pages/OverviewPage'),
  WebhooksPage: () => import('./pages/WebhooksPage'),
  WebhookFormPage: () => import('./pages/WebhookFormPage'),
  WebhookPage: () => import('./pages/WebhookPage'),
  DeadLettersPage: () => import('./pages/DeadLettersPage'),
  EventsPage: () => import('./pages/EventsPage'),
  EventPage: () => import('./pages/EventPage'),
  NotFoundPage: () => import('./pages/NotFoundPage'),
};
const OverviewPage = lazy(() => PAGES.OverviewPage().then((m) => ({ default: m.OverviewPage })));
const WebhooksPage = lazy(() => PAGES.WebhooksPage().then((m) => ({ default: m.WebhooksPage })));
const WebhookFormPage = lazy(() => PAGES.WebhookFormPage().then((m) => ({ default: m.WebhookFormPage })));
const WebhookPage = lazy(() => PAGES.WebhookPage().then((m) => ({ default: m.WebhookPage })));
const DeadLettersPage = lazy(() => PAGES.DeadLettersPage().then((m) => ({ default: m.DeadLettersPage })));
const EventsPage = lazy(() => PAGES.EventsPage().then((m) => ({ default: m.EventsPage })));
const EventPage = lazy(() => PAGES.EventPage().then((m) => ({ default: m.EventPage })));
const NotFoundPage = lazy(() => PAGES.NotFoundPage().then((m) => ({ default: m.NotFoundPage })));

export function App() {
  const session = useMaybeSession();
  const signedIn = session !== null;
  useEffect(() => {
    // A page that fails to load here says so when it is opened (a reload tries again).
    if (signedIn) for (const load of Object.values(PAGES)) load().catch(() => undefined);
  }, [signedIn]);
  if (!session) return <SignInPage />;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<OverviewPage />} />
        <Route path="webhooks" element={<WebhooksPage />} />
        <Route path="webhooks/new" element={<WebhookFormPage />} />
        <Route path="webhooks/:id" element={<WebhookPage />} />
        <Route path="webhooks/:id/edit" element={<WebhookFormPage />} />
        <Route path="dead-letters" element={<DeadLettersPage />} />
        <Route path="events" element={<EventsPage />} />
        <Route path="events/:id" element={<EventPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
