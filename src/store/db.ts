/**
 * The embedded SQLite database (better-sqlite3): WAL so readers never block the writer and a kill
 * at any moment leaves a consistent file; migrations run in one transaction at open.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import { makeDataDirPrivate } from './private-dir.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) `<dataDir>/cca.db` and brings its schema up to date; the data dir is
 * made private first, and a new database file is created 0600 (SQLite gives its -wal and -shm
 * files the mode of the database).
 */
export function openDatabase(dataDir: string): Db {
  makeDataDirPrivate(dataDir);
  const file = path.join(dataDir, 'cca.db');
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** Applies the migrations this database has not seen yet. */
export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`Database schema version ${current} is newer than this build knows (${MIGRATIONS.length}); upgrade claude-code-agent.`);
  }
  db.transaction(() => {
    for (let version = current; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version] as string);
    }
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
