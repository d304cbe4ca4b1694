import { describeError } from '../api/errors';

/** A refusal or an unreachable API, said in words; announced to screen readers as it appears. */
export function ErrorMessage({ error, context }: { error: unknown; context?: string }) {
  if (!error) return null;
  return (
    <div role="alert" className="error">
      {context ? <strong>{context}: </strong> : null}
      {describeError(error)}
    </div>
  );
}
