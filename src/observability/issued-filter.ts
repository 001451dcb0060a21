import type { EventType } from './events.js';

/** `events.issued`: token.issued is the hot path, so the durable sinks take none, a sampled fraction, or all. */
export interface IssuedSetting {
  readonly issued: 'off' | 'sampled' | 'all';
  readonly issuedSampleRate: number;
}

/** Does a sink under this setting take events of `type` at all (EventSink.takes)? */
export function takesType(setting: IssuedSetting, type: EventType): boolean {
  return type !== 'token.issued' || (setting.issued !== 'off' && (setting.issued === 'all' || setting.issuedSampleRate > 0));
}

/** Per event: a sampled setting keeps each token.issued with probability issuedSampleRate. */
export function keepsEvent(setting: IssuedSetting, type: EventType, random: () => number = Math.random): boolean {
  if (type !== 'token.issued' || setting.issued === 'all') return true;
  return setting.issued === 'sampled' && random() < setting.issuedSampleRate;
}
