// Every schema migration, in order. A new schema version adds one file and one line here; never edit a shipped one.
import type Database from 'better-sqlite3';
import { initialSchema } from './0001_initial.js';
import { runOwner } from './0002_run_owner.js';
import { skippedEmpty } from './0003_skipped_empty.js';
import { syntheticTables } from './0004_synthetic_tables.js';
import { pairColumn } from './0005_pair_column.js';
import { tokenTasks } from './0006_token_tasks.js';
import { taxonomyHistory } from './0007_taxonomy_history.js';

export interface Migration {
  /** The user_version the file has after this migration. */
  version: number;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [initialSchema, runOwner, skippedEmpty, syntheticTables, pairColumn, tokenTasks, taxonomyHistory];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
