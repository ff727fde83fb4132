// The `items` collection the child-process tests write (crash, lock, live readers): one place.
'use strict';
const { Database } = require('../../dist/src/index.js');

/** Open `file` for writing with `opts` and register `items` (id, txn, note; index on txn). */
function openItems(file, opts) {
  const db = Database.open(file, opts);
  db.registerCollection(
    'items',
    [
      { path: 'id', type: 'int64' },
      { path: 'txn', type: 'int64' },
      { path: 'note', type: 'string' },
    ],
    'id',
    [{ name: 'items_txn', path: 'txn', kind: 'index' }],
  );
  return db;
}

module.exports = { openItems };
