// The chat feature: registers the chat pane shown beside the agents list (opened with agentsStore.openPane(id, 'chat')).
import { registerAgentPane } from '../agents/panes';
import { ChatPane } from './ChatPane';
import './chat.css';

registerAgentPane('chat', ChatPane);

export { ChatPane } from './ChatPane';
