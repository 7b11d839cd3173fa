// Entry point of the web UI: defines every component; <lb-app> in index.html takes it from there.

import './components/lb-app.js';
import './components/lb-backup-now.js';
import './components/lb-job-progress.js';
import './components/lb-upload.js';
import './pages/lb-sign-in.js';
import './pages/lb-onboarding.js';
import './pages/lb-overview.js';
import './pages/lb-backups-page.js';
import './pages/lb-backup-details.js';
import './pages/lb-backup-files.js';
import './pages/lb-restore-wizard.js';
import './pages/lb-settings-page.js';
