/** Process states and their numeric codes, as in Pup's API. The one table of them. */
export const ProcessState = {
  CREATED: 0,
  STARTING: 100,
  RUNNING: 200,
  STOPPING: 250,
  FINISHED: 300,
  ERRORED: 400,
  EXHAUSTED: 450,
  MIXED: 500,
} as const;

export type ProcessStateName = keyof typeof ProcessState;
export type ProcessStateCode = (typeof ProcessState)[ProcessStateName];

const NAMES = new Map<number, ProcessStateName>(
  Object.entries(ProcessState).map(([name, code]) => [code, name as ProcessStateName]),
);

export function stateName(code: number): ProcessStateName | "UNKNOWN" {
  return NAMES.get(code) ?? "UNKNOWN";
}

/** A child exists (or is being spawned) in these states. */
export const ACTIVE_STATES: ReadonlySet<number> = new Set([
  ProcessState.STARTING,
  ProcessState.RUNNING,
  ProcessState.STOPPING,
]);

/** No child exists in these states; a start is allowed from them. */
export const STOPPED_STATES: ReadonlySet<number> = new Set([
  ProcessState.CREATED,
  ProcessState.FINISHED,
  ProcessState.ERRORED,
  ProcessState.EXHAUSTED,
]);

/** Legal transitions: every change of state is checked against this table. */
export const TRANSITIONS: Readonly<Record<number, ReadonlySet<number>>> = {
  [ProcessState.CREATED]: new Set([ProcessState.STARTING]),
  [ProcessState.STARTING]: new Set([
    ProcessState.RUNNING,
    ProcessState.ERRORED,
    ProcessState.STOPPING,
    ProcessState.FINISHED,
  ]),
  [ProcessState.RUNNING]: new Set([ProcessState.STOPPING, ProcessState.FINISHED, ProcessState.ERRORED]),
  [ProcessState.STOPPING]: new Set([ProcessState.FINISHED, ProcessState.ERRORED]),
  [ProcessState.FINISHED]: new Set([ProcessState.STARTING, ProcessState.EXHAUSTED]),
  [ProcessState.ERRORED]: new Set([ProcessState.STARTING, ProcessState.EXHAUSTED]),
  [ProcessState.EXHAUSTED]: new Set([ProcessState.STARTING]),
};

export function canTransition(from: number, to: number): boolean {
  return TRANSITIONS[from]?.has(to) ?? false;
}

/** The state shown for a group of instances: theirs when they agree, MIXED when they differ. */
export function combinedState(states: ReadonlyArray<number>): number {
  if (states.length === 0) return ProcessState.CREATED;
  const first = states[0];
  return states.every((s) => s === first) ? first : ProcessState.MIXED;
}
