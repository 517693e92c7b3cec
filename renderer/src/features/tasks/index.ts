// The Tasks feature: the sidebar page and the per-agent tasks pane (agentsStore.openPane(id, 'tasks')).
import { registerAgentPane } from '../agents/panes';
import type { Feature } from '../types';
import { AgentTasksPane } from './AgentTasksPane';
import { TasksIcon } from './TasksIcon';
import { TasksPage } from './TasksPage';
import './tasks.css';

registerAgentPane('tasks', AgentTasksPane);

export { tasksStore, useTasks } from './store';

export const tasksFeature: Feature = {
  id: 'tasks',
  label: 'Tasks',
  icon: TasksIcon,
  section: 'main',
  Page: TasksPage,
};
