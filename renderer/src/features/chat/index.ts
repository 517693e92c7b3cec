// The chat feature: the Chat page (`#/chat/<agent id>`), opened from the sidebar or an agent's Chat button.
import { ChatIcon } from '../../components/Icons';
import type { Feature } from '../types';
import { ChatPage } from './ChatPage';
import './chat.css';

export const chatFeature: Feature = {
  id: 'chat',
  label: 'Chat',
  icon: ChatIcon,
  section: 'main',
  Page: ChatPage,
  fill: true,
};

export { ChatView } from './ChatView';
export { chatHashFor, openChatOf } from './ChatPage';
