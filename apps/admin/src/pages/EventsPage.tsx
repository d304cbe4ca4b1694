// The newest events Herald accepted, newest first.
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSession } from '../session/SessionContext';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatTime } from '../lib/format';

export function EventsPage() {
  const { client } = useSession();
  const [typed, setTyped] = useState('');
  const [type, setType] = useState('');
  const events = useQuery({
    queryKey: ['events', 'recent', type],
    queryFn: () => client.events.list({ limit: 100, ...(type ? { type } : {}) }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setType(typed.trim());
  };
  return (
    <section>
      <h1>Events</h1>
      <form className="filters" onSubmit={submit} aria-label="Event filters">
        <div className="field">
          <label htmlFor="events-type">Event type</label>
          <input id="events-type" value={typed} spellCheck={false} onChange={(event) => setTyped(event.target.value)} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <ErrorMessage error={events.error} context="Could not load the events" />
      <table>
        <caption>Recent events</caption>
        <thead>
          <tr>
            <th scope="col">Received</th>
            <th scope="col">Type</th>
            <th scope="col">Tenant</th>
            <th scope="col">Event</th>
          </tr>
        </thead>
        <tbody>
          {events.data?.length === 0 ? (
            <tr>
              <td colSpan={4}>No events{type ? ` of type ${type}` : ''} among the newest.</td>
            </tr>
          ) : null}
          {(events.data ?? []).map((event) => (
            <tr key={event.id}>
              <td>
                <time dateTime={new Date(event.receivedAt).toISOString()}>{formatTime(event.receivedAt)}</time>
              </td>
              <td>{event.type}</td>
              <td>{event.tenant}</td>
              <td>
                <Link to={`/events/${event.id}`}>{event.id}</Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
