// A recorder database on MariaDB, end to end through the CLI (the suite: recorder-database-suite.ts).

import { recorderDatabaseSuite } from './recorder-database-suite.js';
import * as mariadb from '../servers/mariadb.js';

recorderDatabaseSuite('MariaDB', () => mariadb.start());
