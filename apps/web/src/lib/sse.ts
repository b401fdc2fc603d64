/** One Server-Sent Event as the feed sends it. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Splits a text/event-stream into events (WHATWG rules: `field: value` lines, a blank line ends
 * an event, `:` lines are comments). Feed it chunks as they come; it keeps a partial event.
 */
export class SseParser {
  private buffer = '';
  private id?: string;
  private event = '';
  private data: string[] = [];
  /** The `retry:` the server asked for, ms. */
  retry?: number;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (let end = this.buffer.search(/\r\n|\r|\n/); end >= 0; end = this.buffer.search(/\r\n|\r|\n/)) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (this.data.length) out.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
      else if (field === 'id' && !value.includes('\0')) this.id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    }
    return out;
  }
}

export type FeedState = 'connecting' | 'open' | 'retrying' | 'closed';

/**
 * A resumable event stream over fetch (so it carries the session cookie and a Last-Event-ID
 * header on every reconnect): when the stream ends or fails it reconnects by itself after
 * `retry` ms (then doubling, at most 15 s), from the last id received, so nothing is missed.
 */
export class ResumableFeed {
  private controller?: AbortController;
  private stopped = false;
  private attempt = 0;
  lastEventId?: string;

  constructor(
    private readonly url: string,
    private readonly onEvent: (message: SseMessage) => void,
    private readonly onState: (state: FeedState, detail?: string) => void,
    lastEventId?: string,
  ) {
    this.lastEventId = lastEventId;
  }

  start(): void {
    this.stopped = false;
    void this.run();
  }

  /** Drops the connection at once and opens a new one from the last id (what a network blip does). */
  restart(): void {
    this.controller?.abort();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.onState('closed');
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const parser = new SseParser();
      this.controller = new AbortController();
      this.onState('connecting');
      let detail = 'the stream ended';
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
        const res = await fetch(this.url, { headers, credentials: 'same-origin', signal: this.controller.signal, cache: 'no-store' });
        if (res.status === 401) {
          this.onState('closed', 'signed out');
          return;
        }
        if (!res.ok || !res.body) throw new Error(`the feed answered ${res.status}`);
        this.onState('open');
        this.attempt = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.push(value)) {
            if (message.id) this.lastEventId = message.id;
            this.onEvent(message);
          }
        }
      } catch (error) {
        detail = (error as Error).name === 'AbortError' ? 'reconnecting' : (error as Error).message;
      }
      if (this.stopped) return;
      const wait = this.attempt === 0 && detail === 'reconnecting' ? 0 : Math.min(15_000, (parser.retry ?? 2000) * 2 ** this.attempt);
      this.attempt += 1;
      this.onState('retrying', detail);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
