/** An on/off switch: a button with role="switch", named by `label`, its state in aria-checked. */
export function Switch({ label, checked, onChange, disabled }: { label: string; checked: boolean; onChange(next: boolean): void; disabled?: boolean }) {
  return (
    <button type="button" role="switch" aria-checked={checked} aria-label={label} className="switch" disabled={disabled} onClick={() => onChange(!checked)}>
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      <span className="switch-text" aria-hidden="true">
        {checked ? 'On' : 'Off'}
      </span>
    </button>
  );
}
