// State of the Tasks view: every task, the run history with its filters, and what is being done.
import type { Task, TaskRun, TaskRunStatus } from '../../../../../contract/tasks';
import type { ShownError } from '../../../stores/errors';

/** Filters of the run history (sent to `tasks.history`, applied to live runs too). */
export interface RunFilters {
  agentId: string | null;
  taskId: string | null;
  /** Empty = every status. */
  statuses: TaskRunStatus[];
}

export interface TasksState extends RunFilters {
  tasks: Task[];
  /** Newest first, at most {@link RUNS_KEPT}. */
  runs: TaskRun[];
  loaded: boolean;
  loading: boolean;
  error: ShownError | null;
  /** An action in progress per task id (`run`, `toggle`, `remove`) or run id (`cancel`). */
  busy: Record<string, 'run' | 'toggle' | 'remove' | 'cancel' | 'secret'>;
  /** The last action's failure, per task or run id. */
  rowErrors: Record<string, ShownError>;
  /** A webhook URL with its secret, shown once after create or a new secret. */
  revealed: { taskId: string; url: string } | null;
}

/** Most runs kept in memory (the history's page size). */
export const RUNS_KEPT = 200;

export const initialTasksState: TasksState = {
  agentId: null,
  taskId: null,
  statuses: [],
  tasks: [],
  runs: [],
  loaded: false,
  loading: false,
  error: null,
  busy: {},
  rowErrors: {},
  revealed: null,
};
