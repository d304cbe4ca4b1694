// A webhook's signing secret, shown once (after creation or rotation), with a button to copy it.
import { useState } from 'react';
import { Dialog } from './Dialog';

export function SecretDialog({ title, secret, note, onClose }: { title: string; secret: string; note?: string; onClose(): void }) {
  const [copy, setCopy] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copySecret = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopy('copied');
    } catch {
      setCopy('failed');
    }
  };
  return (
    <Dialog
      title={title}
      onClose={onClose}
      actions={
        <>
          <button type="button" onClick={() => void copySecret()}>
            Copy secret
          </button>
          <button type="button" className="primary" onClick={onClose}>
            Done
          </button>
        </>
      }
    >
      <p>This is the only time the signing secret is shown. Give it to the receiver, which verifies every delivery with it.</p>
      {note ? <p>{note}</p> : null}
      <label htmlFor="signing-secret">Signing secret</label>
      <input id="signing-secret" className="secret" readOnly value={secret} onFocus={(event) => event.currentTarget.select()} />
      <p role="status" aria-live="polite">
        {copy === 'copied' ? 'Secret copied to the clipboard.' : copy === 'failed' ? 'Copying failed: select the secret and copy it yourself.' : ''}
      </p>
    </Dialog>
  );
}
