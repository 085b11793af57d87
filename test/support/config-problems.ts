import { ConfigError } from '@shared/config/config-loader';

/** The problems of the ConfigError `load` throws (both packages throw the shared one); fails when it throws none. */
export function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
