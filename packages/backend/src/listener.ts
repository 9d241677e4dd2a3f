// The backend listens through the client library a real backend would import.
export {
  createDecisionListener,
  type DecisionListener,
  type DecisionListenerOptions,
  type ReceivedDecision,
} from '@fleet/client';
