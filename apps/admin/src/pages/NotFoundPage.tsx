import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no such page in the console. Go to the <Link to="/">Overview</Link>.
      </p>
    </section>
  );
}
