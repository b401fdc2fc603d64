import { Logger } from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { toErrorResponse } from '../common/all-exceptions.filter.js';

/** A hot ingress route: the controller method that answers a raw item, and its success status. */
export interface IngressRoute {
  status: number;
  handle(body: Buffer): Promise<unknown>;
}

/** What a read route answers: a status, a JSON body and extra headers. */
export interface ReadAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A hot read route: a GET whose whole URL (path and query string) matches `url`. */
export interface ReadRoute {
  url: RegExp;
  handle(match: RegExpExecArray): Promise<ReadAnswer>;
}

export interface IngressFastPathOptions {
  /** Paths (without query) to the route answering them, e.g. `/su` and `/su/`. */
  routes: Record<string, IngressRoute>;
  /** GET routes, tried in order; a URL none matches exactly goes to express. */
  reads?: ReadRoute[];
  /** Bodies above this go the regular way (express's raw parser answers them 413). */
  maxBytes: number;
  /** Media types the regular raw body parser reads. */
  rawTypes: readonly string[];
  exposeErrors: boolean;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * `POST /su/` and `POST /mu/` with a raw signed item are the API's hot path: under load, express's
 * routing over every route, the body parser and Nest's per-request pipeline (pipes, interceptors,
 * response controller, ETag) cost more CPU than scheduling the item. This listener sits in front of
 * express and answers exactly those requests: the plain case, a raw octet-stream body with a
 * content-length within the limit, no query string, no content-encoding. It reads the body, calls the
 * same controller method Nest would, and maps errors with the same function as the exception filter,
 * so status and body are those of the Nest route. Everything else (assignments by query, other media
 * types, chunked or compressed or oversized bodies) goes to express unchanged.
 *
 * Read routes do the same for a GET whose whole URL matches a route's pattern (the pattern admits
 * only what the Nest route's validation admits, e.g. `GET /cu/result/{id}?process-id={id}`, which
 * every client waiting for a result sends). Conditional requests (If-None-Match, which express
 * answers 304 from its ETag) go to express.
 */
export class IngressFastPath {
  private readonly logger = new Logger('HTTP');
  private readonly rawTypes: Set<string>;

  constructor(private readonly options: IngressFastPathOptions) {
    this.rawTypes = new Set(options.rawTypes);
  }

  /** Puts the fast path in front of the server's request listeners (express). */
  install(server: Server): void {
    const regular = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const route = this.route(req);
      if (route) return this.answer(route, req, res);
      const read = this.read(req);
      if (read) return this.answerRead(read.route, read.match, res);
      for (const listener of regular) listener.call(server, req, res);
    });
  }

  /** The read route matching a plain GET's URL, with the match. */
  private read(req: IncomingMessage): { route: ReadRoute; match: RegExpExecArray } | undefined {
    if (req.method !== 'GET' || !this.options.reads || req.headers['if-none-match'] !== undefined) return undefined;
    const url = req.url ?? '';
    for (const route of this.options.reads) {
      const match = route.url.exec(url);
      if (match) return { route, match };
    }
    return undefined;
  }

  private answerRead(route: ReadRoute, match: RegExpExecArray, res: ServerResponse): void {
    route
      .handle(match)
      .then((answer) => send(res, answer.status, answer.body, answer.headers))
      .catch((error: unknown) => this.fail(res, error));
  }

  /** Answers an error as the exception filter does. */
  private fail(res: ServerResponse, error: unknown): void {
    const { status, body, headers } = toErrorResponse(error, this.options.exposeErrors);
    if (status >= 500) this.logger.error((error as Error)?.stack ?? String(error));
    send(res, status, body, headers);
  }

  /** The route for a request the fast path can answer exactly as Nest would, else undefined. */
  private route(req: IncomingMessage): IngressRoute | undefined {
    if (req.method !== 'POST') return undefined;
    const route = this.options.routes[req.url ?? ''];
    if (!route) return undefined;
    const { 'content-type': type, 'content-length': length, 'content-encoding': encoding } = req.headers;
    if (type === undefined || !this.rawTypes.has(mediaType(type))) return undefined;
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return undefined;
    if (length === undefined || !/^\d+$/.test(length) || Number(length) > this.options.maxBytes) return undefined;
    return route;
  }

  private answer(route: IngressRoute, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    // An aborted upload: the socket is gone, there is no one to answer.
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      // A result that cannot be serialized fails before anything is written, and is answered as an error.
      route
        .handle(body)
        .then((result) => send(res, route.status, result))
        .catch((error: unknown) => this.fail(res, error));
    });
  }
}

/** `type/subtype` of a content-type header, lower-cased, without parameters. */
function mediaType(header: string): string {
  const end = header.indexOf(';');
  return (end < 0 ? header : header.slice(0, end)).trim().toLowerCase();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(json) });
  res.end(json);
}
