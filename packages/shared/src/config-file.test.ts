import { ConfigError } from './errors/config-error';
import { loadConfigDocument, parseConfigFile } from './config-file';

const problemsOf = (text: string) => {
  try {
    parseConfigFile(text, {}, 'herald.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('parseConfigFile', () => {
  it('reads a webhook with its headers as written', () => {
    const config = parseConfigFile(['webhooks:', '  - name: billing', '    url: https://example.com/hook', '    headers:', '      x-team: billing'].join('\n'), {});
    expect(config.webhooks).toMatchObject([{ name: 'billing', headers: { 'x-team': 'billing' } }]);
  });

  it('refuses a "__proto__" key by its path instead of dropping it', () => {
    const text = ['webhooks:', '  - name: billing', '    url: https://example.com/hook', '    headers:', '      __proto__: x', '      x-team: billing'].join('\n');
    expect(problemsOf(text)).toEqual([{ variable: 'herald.yaml: webhooks.0.headers.__proto__', problem: expect.stringMatching(/named "__proto__"/) }]);
  });
});

describe('a filter in a config file (HERALD_CONFIG)', () => {
  const file = (filterLines: string[]) => ['webhooks:', '  - name: orders', '    url: https://example.com/hook', '    filter:', ...filterLines].join('\n');

  it('is read as written, ${env.NAME} references resolved', () => {
    const config = parseConfigFile(file(['      data:', '        amount: { $gte: 100 }', '        status: { $in: [paid, "${env.STATUS}"] }']), { STATUS: 'refunded' });
    expect(config.webhooks[0]?.filter).toEqual({ data: { amount: { $gte: 100 }, status: { $in: ['paid', 'refunded'] } } });
  });

  it('is refused naming the path of a bad operand or unknown operator', () => {
    expect(problemsOf(file(['      data:', '        amount: { $gte: true }']))).toEqual([
      { variable: 'herald.yaml: webhooks.0.filter.data.amount.$gte', problem: 'must be a number or a string' },
    ]);
    expect(problemsOf(file(['      data:', '        amount: { $above: 1 }']))).toEqual([
      { variable: 'herald.yaml: webhooks.0.filter.data.amount.$above', problem: expect.stringMatching(/^is not an operator/) },
    ]);
  });
});

describe('a file nested too deep', () => {
  it('is refused naming the nesting, for HERALD_CONFIG and `herald apply` alike', () => {
    const files = {
      'flow collections 100,000 deep': `webhooks: ${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      'block sequences 1,000 deep': ['webhooks:', ...Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i + 1)}- `)].join('\n'),
      'flow collections 200 deep': `webhooks: ${'['.repeat(200)}${']'.repeat(200)}`,
    };
    for (const [what, text] of Object.entries(files)) {
      expect([what, problemsOf(text)]).toEqual([what, [{ variable: 'herald.yaml', problem: 'nests deeper than 64 levels' }]]);
      expect(() => loadConfigDocument(text, {}, 'herald.yaml')).toThrow(ConfigError);
    }
  });

  it('is refused when aliases nest it deeper than its text does', () => {
    const twenty = (inner: string) => `${'['.repeat(20)}${inner}${']'.repeat(20)}`;
    const lines = ['x0: &x0 1', ...Array.from({ length: 4 }, (_, i) => `x${i + 1}: &x${i + 1} ${twenty(`*x${i}`)}`), 'webhooks: *x4'];
    expect(problemsOf(lines.join('\n'))).toEqual([{ variable: 'herald.yaml', problem: 'nests deeper than 64 levels' }]);
  });
});
