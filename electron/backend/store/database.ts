// Opening a project file: pragmas, the version check and the migrations. Nothing is written to a file that is
// not a Finetune project or that a newer Finetune wrote.
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, linkSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations/index.js';

/** Marks a SQLite file as a Finetune project ("FTNE"), so other SQLite files are refused rather than altered. */
export const APPLICATION_ID = 0x46544e45;

export class ProjectVersionError extends Error {
  constructor(
    readonly file: string,
    readonly fileVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `${file}: this project was written by a newer Finetune (schema version ${fileVersion}; this version reads up to ` +
        `${supportedVersion}). Update Finetune to open it; the file was not changed.`,
    );
    this.name = 'ProjectVersionError';
  }
}

export class ProjectFileError extends Error {
  override name = 'ProjectFileError';
}

/** Another process holds the project's write lock for longer than the busy timeout (a long import). */
export class ProjectBusyError extends Error {
  override name = 'ProjectBusyError';
}

function connect(file: string, fileMustExist: boolean): Database.Database {
  try {
    return new Database(file, { fileMustExist });
  } catch (error) {
    throw new ProjectFileError(`${file}: cannot open the project file: ${(error as Error).message}`);
  }
}

function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // WAL + NORMAL never corrupts the file and keeps every committed transaction across a process crash.
  db.pragma('synchronous = NORMAL');
}

/** Applies every migration above `from`, each in its own transaction together with its user_version bump. */
export function migrate(db: Database.Database, from: number, migrations: readonly Migration[] = MIGRATIONS): void {
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/** An empty file is no project yet: creating one there replaces it, opening it says so. */
export const isEmptyFile = (file: string): boolean => existsSync(file) && statSync(file).size === 0;

/**
 * A new project file at the latest schema, with its first rows (`seed`), made whole or not at all: the file is
 * built under a hidden temporary name in one transaction (schema and seed together), closed, and only then linked
 * into place — so a process killed at any moment leaves either no project or a complete one, never a file that
 * later reads as "not a Finetune project". Refuses to overwrite anything but an empty file.
 */
export function createProjectDatabase(file: string, seed: (db: Database.Database) => void): Database.Database {
  if (existsSync(file) && !isEmptyFile(file)) throw new ProjectFileError(`${file}: a file already exists there; choose another name or open it.`);
  const folder = dirname(resolve(file));
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw new ProjectFileError(`${file}: cannot create the project there: the folder ${folder} is missing or read-only; choose a folder you can write to.`);
  }
  const temporary = join(folder, `.${basename(file)}.creating-${process.pid}-${Date.now().toString(36)}`);
  const draft = connect(temporary, false);
  try {
    draft.pragma(`application_id = ${APPLICATION_ID}`);
    draft.pragma('journal_mode = WAL');
    draft.transaction(() => {
      for (const migration of MIGRATIONS) migration.up(draft);
      draft.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
      seed(draft);
    }).immediate();
    // Closing checkpoints the WAL into the file: the temporary file alone is the whole project.
    draft.close();
    if (isEmptyFile(file)) rmSync(file);
    // link() refuses an existing target, unlike rename(): a file that appeared meanwhile is never replaced.
    linkSync(temporary, file);
  } catch (error) {
    if (draft.open) draft.close();
    if (error instanceof Error && 'code' in error && error.code === 'EEXIST') throw new ProjectFileError(`${file}: a file already exists there; choose another name or open it.`);
    throw error;
  } finally {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${temporary}${suffix}`, { force: true });
  }
  return openProjectDatabase(file);
}

/**
 * A project is always opened for writing (WAL keeps -wal and -shm files beside it), so a read-only file or folder
 * is refused with that reason, not as "not a Finetune project".
 */
function assertWritable(file: string): void {
  for (const [path, what] of [[file, 'file'], [dirname(file), 'folder']] as const) {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new ProjectFileError(
        `${file}: the project ${what} is read-only. Finetune writes to the project and to its -wal and -shm files beside it; ` +
          'make them writable, or copy the project to a folder you can write to.',
      );
    }
  }
}

function assertProjectFileExists(file: string): void {
  if (!existsSync(file)) throw new ProjectFileError(`${file}: no such project file.`);
  if (isEmptyFile(file)) throw new ProjectFileError(`${file}: the file is empty (0 bytes), so it is not a project yet; create a project there (finetune import --project ${basename(file)} --data ...) or open another file.`);
}

/** The checks that only read: a Finetune project, at a schema this version reads. Returns the schema version. */
function checkProjectHeader(db: Database.Database, file: string): number {
  let applicationId: number;
  let version: number;
  try {
    applicationId = db.pragma('application_id', { simple: true }) as number;
    version = db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    throw new ProjectFileError(`${file}: not a Finetune project (${(error as Error).message}).`);
  }
  if (applicationId !== APPLICATION_ID) throw new ProjectFileError(`${file}: not a Finetune project file.`);
  if (version > LATEST_SCHEMA_VERSION) throw new ProjectVersionError(file, version, LATEST_SCHEMA_VERSION);
  return version;
}

/** Opens an existing project, migrating an older schema forward. A newer schema is refused untouched. */
export function openProjectDatabase(file: string): Database.Database {
  assertProjectFileExists(file);
  assertWritable(file);
  const db = connect(file, true);
  try {
    // Read-only checks first: journal_mode=WAL would rewrite the header of a file we must not touch.
    const version = checkProjectHeader(db, file);
    configure(db);
    migrate(db, version);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Whether this process may write the project file and the folder its -wal and -shm files go in. */
export function isWritableProject(file: string): boolean {
  try {
    assertWritable(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * A read-only project (a shared folder, a locked file) for commands that only read: SQLite cannot open a WAL file
 * read-only without creating -shm beside it, so the file is read into memory and opened there, read-only. Changes
 * still waiting in a -wal file would be missing from that copy, so such a file is refused with the reason.
 */
export function openProjectSnapshot(file: string): Database.Database {
  assertProjectFileExists(file);
  if (existsSync(`${file}-wal`) && statSync(`${file}-wal`).size > 0) {
    throw new ProjectFileError(`${file}: the project is read-only and has changes not yet written into it (its -wal file); open it once where it can be written, or ask its owner to close Finetune.`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ProjectFileError(`${file}: cannot read the project file: ${(error as Error).message}`);
  }
  // Bytes 18 and 19 of the header say "WAL" (2); an in-memory copy has no -wal file, so it reads as a rollback-journal file (1).
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(bytes, { readonly: true });
  } catch (error) {
    throw new ProjectFileError(`${file}: not a Finetune project (${(error as Error).message}).`);
  }
  try {
    const version = checkProjectHeader(db, file);
    if (version < LATEST_SCHEMA_VERSION) {
      throw new ProjectFileError(`${file}: the project is read-only and was written by an older Finetune; open it once where it can be written, so that it is upgraded.`);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A second, read-only connection to an open project. In WAL mode it sees only committed transactions, so readers
 * served while an import's transaction is open never see rows that vanish if the import fails.
 */
export function openReadConnection(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
