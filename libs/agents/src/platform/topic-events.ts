/** One event an agent published to a topic (a Notify-On-Topic message in its result's outbox). */
export interface TopicEvent {
  topic: string;
  eventSeq: number;
  /** The event's JSON payload (the message's Data), or the raw text when it is not JSON. */
  payload: unknown;
}

interface OutboxMessage {
  Target?: string;
  Data?: unknown;
  Tags?: { name: string; value: string }[];
}

/**
 * The topic events of one result, once each: subscribers get one Notify-On-Topic per event with the
 * same Event-Seq, so events are told apart by Event-Seq, not by recipient. In outbox order.
 */
export function topicEvents(result: { Messages?: OutboxMessage[] } | null | undefined): TopicEvent[] {
  const seen = new Set<number>();
  const events: TopicEvent[] = [];
  for (const message of result?.Messages ?? []) {
    const tags = new Map((message.Tags ?? []).map((t) => [t.name, t.value]));
    if (tags.get('Action') !== 'Notify-On-Topic') continue;
    const topic = tags.get('Topic');
    const eventSeq = Number(tags.get('Event-Seq'));
    if (!topic || !Number.isSafeInteger(eventSeq) || seen.has(eventSeq)) continue;
    seen.add(eventSeq);
    events.push({ topic, eventSeq, payload: parsePayload(message.Data) });
  }
  return events;
}

function parsePayload(data: unknown): unknown {
  if (typeof data !== 'string') return data ?? null;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
