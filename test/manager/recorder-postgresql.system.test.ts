// A recorder database on PostgreSQL, end to end through the CLI (the suite: recorder-database-suite.ts).

import { recorderDatabaseSuite } from './recorder-database-suite.js';
import * as postgresql from '../servers/postgresql.js';

recorderDatabaseSuite('PostgreSQL', () => postgresql.start());
