// Why Bull Board's "failed" and the console's dead letters differ: they count different things.
import { Link } from 'react-router';

export function FailedJobsNote({ onDeadLetterPage = false }: { onDeadLetterPage?: boolean }) {
  const page = onDeadLetterPage ? 'this page' : <Link to="/dead-letters">the dead-letter page</Link>;
  return (
    <aside className="note" aria-label="Failed jobs and dead letters">
      <p>
        <strong>Failed jobs are not dead letters.</strong> <a href="/admin/queues">Bull Board</a>&apos;s &ldquo;failed&rdquo; counts the queue&apos;s jobs whose
        last try failed, kept a week (at most 10,000): a delivery that failed for good at its first attempt, sent straight from the stream, never had a
        job, and a replayed dead letter leaves its failed job behind. Dead letters are Herald&apos;s own record of every delivery that failed for good,
        kept until it is replayed or purged on {page}.
      </p>
    </aside>
  );
}
