// supertest, with every exchange checked against docs/openapi.json (the answer always; the request
// when the API accepted it): a test whose exchange the document does not describe fails.
import supertest from 'supertest';
import type { App } from 'supertest/types';
import { OpenApiValidator } from '@herald/testing';

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

interface SentRequest {
  _data?: unknown;
  get(field: string): string | undefined;
}

export default function request(app: App): ReturnType<typeof supertest> {
  const validator = OpenApiValidator.fromRepository();
  const agent = supertest(app);
  return new Proxy(agent, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== 'string' || !METHODS.has(property) || typeof value !== 'function') return value;
      return (url: string) => {
        const test: supertest.Test = value.call(target, url);
        return test.expect((res) => {
          const sent = test as unknown as SentRequest;
          const type = res.headers['content-type'] as string | undefined;
          validator.assert({
            method: property,
            url,
            requestBody: sent._data,
            requestContentType: sent.get('content-type'),
            status: res.status,
            responseHeaders: res.headers as Record<string, string>,
            responseBody: type && /json/.test(type) ? res.body : res.text,
          });
        });
      };
    },
  });
}
