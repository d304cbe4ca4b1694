import { Route, Routes } from 'react-router';
import { Layout } from './components/Layout';
import { useMaybeSession } from './session/SessionContext';
import { SignInPage } from './pages/SignInPage';
import { OverviewPage } from './pages/OverviewPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { WebhookFormPage } from './pages/WebhookFormPage';
import { WebhookPage } from './pages/WebhookPage';
import { DeadLettersPage } from './pages/DeadLettersPage';
import { EventsPage } from './pages/EventsPage';
import { EventPage } from './pages/EventPage';
import { NotFoundPage } from './pages/NotFoundPage';

export function App() {
  const session = useMaybeSession();
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
