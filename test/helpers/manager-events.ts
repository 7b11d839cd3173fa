// The state events Home Assistant's backup manager sends for one successful create, in order:
// what every create through Lifeboat's manager, WebSocket API or fan-out must produce too.

export const SUCCESSFUL_CREATE_EVENTS = [
  { manager_state: 'create_backup', reason: null, stage: null, state: 'in_progress' },
  { manager_state: 'create_backup', reason: null, stage: 'home_assistant', state: 'in_progress' },
  { manager_state: 'create_backup', reason: null, stage: 'upload_to_agents', state: 'in_progress' },
  { manager_state: 'create_backup', reason: null, stage: 'cleaning_up', state: 'in_progress' },
  { manager_state: 'create_backup', reason: null, stage: null, state: 'completed' },
  { manager_state: 'idle' },
] as const;
