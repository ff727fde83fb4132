/** The package version; generated from package.json by scripts/sync-version.js (npm version). */
export const version = '1.0.0-rc.1';
