/** The package version; generated from package.json by scripts/sync-version.js (npm version). */
export const version = '0.1.0';
