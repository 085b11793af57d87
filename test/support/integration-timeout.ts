// Jest 30 ignores `testTimeout` inside a `projects` entry (each test got the 5 s default), so the
// integration and browser projects set their per-test limit here, where it takes effect.
jest.setTimeout(60_000);
