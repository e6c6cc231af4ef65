/** The embedded SQLite store. */
export { openDatabase, migrate, type Db } from './db.js';
