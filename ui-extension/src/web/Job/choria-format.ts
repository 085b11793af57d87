/** Moved to common (the CLI prints them too); re-exported for the job page's imports. */
export * from '@common/aggregate-format';
