import type { StoredEvent } from './schemas/event';
import { expandTemplate, renderTemplate, templateFor, TEMPLATE_PRESETS } from './template';

const event: StoredEvent = {
  id: 'evt_1',
  type: 'order.created',
  data: { order: { id: 42, note: 'say "hi"\n\\ </script>' }, tags: ['a', 'b'] },
  tenant: 'acme',
  occurredAt: '2026-01-01T00:00:00.000Z',
  receivedAt: 0,
};

const render = (template: string, vars?: Record<string, string>) => renderTemplate(template, { event, vars });
const parsed = (template: string, vars?: Record<string, string>) => {
  const result = render(template, vars);
  if (!result.ok) throw new Error(result.reason);
  return JSON.parse(result.body) as Record<string, unknown>;
};

describe('renderTemplate', () => {
  it('inserts values JSON-encoded outside strings and escaped inside them', () => {
    expect(parsed('{"id": {{id}}, "order": {{data.order}}, "tags": {{data.tags}}, "n": {{data.order.id}}}')).toEqual({
      id: 'evt_1', order: event.data.order, tags: ['a', 'b'], n: 42,
    });
    expect(parsed('{"text": "Order {{data.order.id}}: {{data.order.note}} ({{event}}, {{tenant}})"}')).toEqual({
      text: 'Order 42: say "hi"\n\\ </script> (order.created, acme)',
    });
    expect(parsed('{"all": {{payload}}, "obj": "{{data.order}}"}')).toEqual({
      all: { id: 'evt_1', type: 'order.created', timestamp: event.occurredAt, tenant: 'acme', data: event.data },
      obj: JSON.stringify(event.data.order),
    });
  });

  it('renders missing values as null and never evaluates anything', () => {
    expect(parsed('{"x": {{data.nope.deeper}}, "y": "{{data.constructor}}"}')).toEqual({ x: null, y: 'null' });
    expect(parsed('{"x": "{{ data.order.id }}"}')).toEqual({ x: '42' });
  });

  it('fails with a reason for unknown placeholders and for templates that are not JSON', () => {
    expect(render('{"x": {{process.env}}}')).toEqual({ ok: false, reason: expect.stringMatching(/unknown placeholder \{\{process.env\}\}/) });
    expect(render('{"x": {{id}')).toMatchObject({ ok: false, reason: expect.stringMatching(/malformed placeholder/) });
    expect(render('{"x": {{id}} {{id}}}')).toMatchObject({ ok: false, reason: expect.stringMatching(/valid JSON/) });
    expect(render('not json')).toMatchObject({ ok: false });
  });

  it('does not let data act as an escape after a backslash', () => {
    // Before this was guarded, "\\{{vars.v}}" with v = "nope" rendered "\\nope": a newline chosen by the data.
    expect(render('{"x": "\\{{vars.v}}"}', { v: 'nope' })).toMatchObject({ ok: false });
  });

  it('keeps an escaped quote inside a string from ending it', () => {
    expect(parsed('{"x": "a \\" {{id}}"}')).toEqual({ x: 'a " evt_1' });
  });
});

describe('presets', () => {
  it('slack sends text, discord content, pagerduty an Events API v2 trigger', () => {
    expect(parsed(TEMPLATE_PRESETS.slack)).toEqual({ text: expect.stringContaining('*order.created* (evt_1)') });
    const discord = parsed(TEMPLATE_PRESETS.discord);
    expect(Object.keys(discord)).toEqual(['content']);
    expect((discord.content as string).length).toBeLessThanOrEqual(2000);
    expect(parsed(TEMPLATE_PRESETS.pagerduty, { routingKey: 'R0UTING', severity: 'critical' })).toEqual({
      routing_key: 'R0UTING',
      event_action: 'trigger',
      dedup_key: 'evt_1',
      payload: { summary: 'order.created (acme)', source: 'herald', severity: 'critical', timestamp: event.occurredAt, custom_details: event.data },
    });
  });
});

describe('templateFor', () => {
  it('picks the most specific per-type template, else the webhook template', () => {
    const byType = { '*': '{"w": 1}', 'order.*': '{"w": 2}', 'order.created': 'slack' };
    expect(templateFor('order.created', undefined, byType)).toBe('slack');
    expect(templateFor('order.paid', undefined, byType)).toBe('{"w": 2}');
    expect(templateFor('user.x', undefined, byType)).toBe('{"w": 1}');
    expect(templateFor('user.x', 'discord', { 'order.*': '{}' })).toBe('discord');
    expect(templateFor('user.x', undefined, undefined)).toBeUndefined();
  });

  it('expands presets with their default variables', () => {
    expect(expandTemplate('pagerduty')).toEqual({ text: TEMPLATE_PRESETS.pagerduty, defaultVars: { severity: 'error' } });
    expect(expandTemplate('{"x": 1}')).toEqual({ text: '{"x": 1}', defaultVars: {} });
  });
});
