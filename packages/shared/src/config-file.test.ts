import { ConfigError } from './errors/config-error';
import { parseConfigFile } from './config-file';

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
