// Receiving an uploaded backup file (Home Assistant's `/api/backup/upload`, and onboarding's): the
// request is checked — known location ids, a plain file name — and the bytes go straight to disk
// and on to the locations, unchanged.

import { isSafeBackupName } from '../archive/backup-json.js';
import { isValidAgentId } from '../agents/agent.js';
import type { ReceiveResult } from '../manager/receive-job.js';
import { InvalidRequestError } from '../util/errors.js';
import type { CoreParts } from './parts.js';

export interface UploadRequest {
  /** The file name the client gave. */
  fileName: string;
  agentIds: string[];
  body: AsyncIterable<Buffer>;
  /** Refuse uploads larger than this (bytes). */
  maxBytes?: number;
}

export class ReceiveUpload {
  constructor(private readonly parts: CoreParts) {}

  /** Checks the locations before a byte is read. */
  checkAgents(agentIds: string[]): void {
    if (agentIds.length === 0 || !agentIds.every(isValidAgentId)) {
      throw new InvalidRequestError('invalid_agent_id', 'agent_id is required (one or more known backup agents)');
    }
  }

  /** Checks that the client's file name is one plain name. */
  checkFileName(fileName: string): void {
    if (!isSafeBackupName(fileName)) throw new InvalidRequestError('invalid_filename', `Invalid filename: ${fileName}`);
  }

  async run(request: UploadRequest): Promise<ReceiveResult> {
    this.checkAgents(request.agentIds);
    this.checkFileName(request.fileName);
    return this.parts.manager.receive(request);
  }
}
