// The frame of every page once signed in: navigation, who is signed in, sign out.
import { Suspense } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { PageErrorBoundary } from './PageErrorBoundary';
import { useSession } from '../session/SessionContext';

const LINKS = [
  { to: '/', label: 'Overview', end: true },
  { to: '/webhooks', label: 'Webhooks', end: false },
  { to: '/dead-letters', label: 'Dead letters', end: false },
  { to: '/events', label: 'Events', end: false },
];

export function Layout() {
  const { role, signOut } = useSession();
  const { pathname } = useLocation();
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Herald</span>
        <nav aria-label="Main">
          <ul>
            {LINKS.map((link) => (
              <li key={link.to}>
                <NavLink to={link.to} end={link.end}>
                  {link.label}
                </NavLink>
              </li>
            ))}
            {role === 'admin' ? (
              <li>
                {/* Bull Board is another page, behind the cookie the admin sign-in obtained. */}
                <a href="/admin/queues">Queues</a>
              </li>
            ) : null}
          </ul>
        </nav>
        <span className="who">{role === 'admin' ? 'Admin' : 'Tenant token'}</span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <PageErrorBoundary page={pathname}>
          <Suspense fallback={<p role="status">Loading…</p>}>
            <Outlet />
          </Suspense>
        </PageErrorBoundary>
      </main>
    </div>
  );
}
