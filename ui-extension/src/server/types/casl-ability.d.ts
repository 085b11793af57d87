// @casl/ability 7 publishes its types only through package.json `exports`, which this project's
// `moduleResolution: node` does not read; this points the compiler at the same declarations.
declare module '@casl/ability' {
  export * from '@casl/ability/dist/types/index';
}
