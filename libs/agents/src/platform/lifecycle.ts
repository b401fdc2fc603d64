/**
 * An agent's lifecycle on the platform: draft → running ⇄ paused → killed. Each action is one
 * message of the agent contract (agent.lua): Start, Stop or Kill, signed by the platform.
 */
export type AgentStatus = 'draft' | 'running' | 'paused' | 'killed';
export type LifecycleAction = 'start' | 'pause' | 'resume' | 'kill';

export const AGENT_STATUSES: readonly AgentStatus[] = ['draft', 'running', 'paused', 'killed'];
export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ['start', 'pause', 'resume', 'kill'];

interface Transition {
  from: readonly AgentStatus[];
  to: AgentStatus;
  /** The agent contract's Action tag. */
  message: 'Start' | 'Stop' | 'Kill';
}

const TRANSITIONS: Record<LifecycleAction, Transition> = {
  start: { from: ['draft'], to: 'running', message: 'Start' },
  pause: { from: ['running'], to: 'paused', message: 'Stop' },
  resume: { from: ['paused'], to: 'running', message: 'Start' },
  kill: { from: ['draft', 'running', 'paused'], to: 'killed', message: 'Kill' },
};

/** An action the agent's current status does not allow. */
export class IllegalTransitionError extends Error {
  constructor(readonly status: AgentStatus, readonly action: LifecycleAction, readonly allowed: LifecycleAction[]) {
    super(`cannot ${action} an agent that is ${status}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (no action is allowed)'}`);
    this.name = 'IllegalTransitionError';
  }
}

/** The actions allowed from a status, in a fixed order. */
export function allowedActions(status: AgentStatus): LifecycleAction[] {
  return LIFECYCLE_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(status));
}

/** The status an action leads to from `status` and the message it sends, or {@link IllegalTransitionError}. */
export function transition(status: AgentStatus, action: LifecycleAction): { to: AgentStatus; message: Transition['message'] } {
  const t = TRANSITIONS[action];
  if (!t.from.includes(status)) throw new IllegalTransitionError(status, action, allowedActions(status));
  return { to: t.to, message: t.message };
}
