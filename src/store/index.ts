/** The embedded SQLite store. */
export { openDatabase, migrate, type Db } from './db.js';
export { DataDirPermissionError, makeDataDirPrivate, PRIVATE_DIRS, PRIVATE_FILES } from './private-dir.js';
