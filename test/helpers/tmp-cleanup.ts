// A setup file (vitest.config.ts): after every test file, the temporary folders it made go.
import { afterAll } from 'vitest';
import { removeTmpDirs } from './tmp.js';

afterAll(removeTmpDirs);
