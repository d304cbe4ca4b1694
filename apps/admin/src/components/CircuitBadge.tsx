// A webhook's circuit, when it is not closed: "Circuit open" (deliveries wait) or "Circuit half-open"
// (one probe is out). A closed circuit says nothing: it is the normal state.
import type { Webhook } from '@herald/sdk/browser';
import { formatTime } from '../lib/format';

export function circuitText(circuit: Webhook['circuit']): string | null {
  if (circuit.state === 'open') return 'Circuit open';
  if (circuit.state === 'half_open') return 'Circuit half-open';
  return null;
}

/** Since when, and when a probe may go: for a title or a line of detail. */
export function circuitDetail(circuit: Webhook['circuit']): string | null {
  if (circuit.state === 'open') return `Opened ${formatTime(circuit.openedAt)}; deliveries wait, and one goes through as a probe from ${formatTime(circuit.nextProbeAt)}.`;
  if (circuit.state === 'half_open') return `Opened ${formatTime(circuit.openedAt)}; a probe is out: its success closes the circuit.`;
  return null;
}

export function CircuitBadge({ circuit }: { circuit: Webhook['circuit'] }) {
  const text = circuitText(circuit);
  if (!text) return null;
  return (
    <span className="badge warn" title={circuitDetail(circuit) ?? undefined}>
      {text}
    </span>
  );
}
