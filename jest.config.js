// `pnpm test` at the root: every package's tests in one run, sharing one redis-server.
module.exports = {
  projects: ['<rootDir>/packages/shared', '<rootDir>/apps/api', '<rootDir>/apps/worker', '<rootDir>/apps/cli', '<rootDir>/packages/sdk', '<rootDir>/apps/admin', '<rootDir>/packages/release'],
  // A global option: Jest ignores it inside projects.
  testTimeout: 60_000,
};
