// What a restore can start before the application is loaded: the extraction worker, which then
// boots on another core while the command line loads and opens the core (a restore that never
// reaches its extraction leaves it idle; it does not keep the process alive).

export { warmUpExtractWorker as warmUpRestore } from '../archive/extract-writer.js';
