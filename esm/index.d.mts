// Types of the ESM entry (esm/index.mjs): the CommonJS build's declarations, re-exported in ES
// module form so TypeScript's node16/bundler resolution sees an ES module for `import`.
export * from '../dist/src/index.js';
import * as cjs from '../dist/src/index.js';
export default cjs;
