// Four projects: unit tests (no network, no database, no real timers), integration tests against the
// real services, the fault and abuse suite (test/faults: killed processes, stopped services, fuzzing,
// load) and browser tests (test/e2e). `npm test` runs all four through test/support/run-tests.mjs.
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
}];
const moduleNameMapper = {
  '^@protos/(.*)$': '<rootDir>/protos/$1',
  '^@shared/(.*)$': '<rootDir>/shared/$1',
  '^@proxy/(.*)$': '<rootDir>/proxy-plugin/src/$1',
  '^@server/(.*)$': '<rootDir>/ui-extension/src/server/$1',
  '^@common/(.*)$': '<rootDir>/ui-extension/src/common/$1',
  '^@migrations/(.*)$': '<rootDir>/migrations/$1',
  '^@test/(.*)$': '<rootDir>/test/$1',
};
const common = { rootDir: __dirname, transform: { '^.+\\.tsx?$': swc }, moduleNameMapper, testEnvironment: 'node' };
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$', '\\.faults\\.test\\.ts$', '\\.e2e\\.test\\.ts$', '/node_modules/'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.int.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'] },
    // Faults, load and bad input against the real stack; each test bounded in time and traffic.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.faults.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'] },
    // Real browser (Debian's chromium) against the real stack; builds the web UI first.
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'], globalSetup: '<rootDir>/test/e2e/support/global-setup.ts', setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'] },
  ],
};
