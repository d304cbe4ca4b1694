// Jest settings every package shares: swc for TypeScript, sources mapped directly, one Redis per run.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      require.resolve('@swc/jest'),
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: {
    '^@herald/shared$': path.join(__dirname, 'packages/shared/src/index.ts'),
    '^@herald/testing$': path.join(__dirname, 'packages/testing/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: path.join(__dirname, 'packages/testing/src/jest-global-setup.ts'),
  globalTeardown: path.join(__dirname, 'packages/testing/src/jest-global-teardown.ts'),
  testTimeout: 60_000,
};
