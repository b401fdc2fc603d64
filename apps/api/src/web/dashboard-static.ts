import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

/**
 * First path segments that belong to the API: a request under one of them is never answered with
 * the dashboard, so an unknown API path still gets the API's JSON 404 and not index.html.
 */
export const API_PREFIXES: readonly string[] = ['api', 'mu', 'su', 'cu', 'docs', 'health', 'info', 'metrics', 'admin'];

/** Hashed build output (`assets/<name>-<hash>.<ext>`): a changed file gets a new name, so it never goes stale. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current assets: the browser revalidates it (ETag → 304) on every load. */
export const REVALIDATE = 'no-cache';
/** Unhashed extras (favicon): cached for an hour. */
export const SHORT = 'public, max-age=3600';

/**
 * What index.html may load: only this origin's scripts and styles, no plugins, no framing. Style
 * attributes stay allowed (the chart library and React set inline styles); images may come from
 * elsewhere (the media page shows thumbnails from the gateway).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

interface StaticFile {
  path: string;
  type: string;
  size: number;
  etag: string;
  cacheControl: string;
  /** Precompressed siblings written by the build (`.br`, `.gz`), with their sizes. */
  encoded: { encoding: 'br' | 'gzip'; path: string; size: number }[];
}

type Next = (error?: unknown) => void;

/**
 * Serves the built dashboard: the files of `dir` by their path, `index.html` for any other GET
 * outside the API's prefixes (deep links such as `/explorer/<pid>` are the app's routes), with
 * caching headers, ETag revalidation and the build's precompressed variants. Only files found in
 * `dir` when it is first read are served (no path ever reaches the file system from a request).
 * Everything it does not answer goes to `next` (Nest's routes and their JSON 404).
 */
export class DashboardStatic {
  private files?: Promise<Map<string, StaticFile>>;

  constructor(private readonly dir: string) {}

  /** An express-style middleware. */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = pathname(req.url ?? '/');
    if (path === undefined || API_PREFIXES.includes(path.split('/')[1] ?? '')) return next();
    this.load()
      .then((files) => {
        const file = files.get(path === '/' ? '/index.html' : path) ?? (isAppRoute(path) ? files.get('/index.html') : undefined);
        if (file) return send(req, res, file);
        if (files.size === 0 && isAppRoute(path)) return notBuilt(res, this.dir);
        next();
      })
      .catch(next);
  };

  /** Reads the directory once (concurrent first requests share the read). */
  private load(): Promise<Map<string, StaticFile>> {
    this.files ??= scan(this.dir).catch((error: unknown) => {
      this.files = undefined;
      throw error;
    });
    return this.files;
  }
}

/** The decoded path of a request URL, or undefined when it cannot be a file of ours. */
function pathname(url: string): string | undefined {
  const raw = url.split('?')[0].split('#')[0];
  try {
    const path = decodeURIComponent(raw);
    // Dot segments never name a file of the build (browsers resolve them before asking).
    return path.startsWith('/') && !path.includes('\0') && !path.split('/').some((s) => s === '..' || s === '.') ? path : undefined;
  } catch {
    return undefined;
  }
}

/** A path the single-page app routes itself: not an asset, not a file name. */
function isAppRoute(path: string): boolean {
  if (path.startsWith('/assets/')) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

async function scan(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const present = new Set(names);
  for (const path of names) {
    if (path.endsWith('.br') || path.endsWith('.gz')) continue;
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    const bytes = await readFile(path);
    const encoded: StaticFile['encoded'] = [];
    for (const [encoding, suffix] of [['br', '.br'], ['gzip', '.gz']] as const) {
      if (present.has(path + suffix)) encoded.push({ encoding, path: path + suffix, size: (await stat(path + suffix)).size });
    }
    files.set(url, {
      path,
      type: TYPES[extname(path)] ?? 'application/octet-stream',
      size: bytes.length,
      etag: `W/"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
      cacheControl: url.startsWith('/assets/') ? IMMUTABLE : url.endsWith('.html') ? REVALIDATE : SHORT,
      encoded,
    });
  }
  return files;
}

/** The answer at `/` of an API whose dashboard was never built (the API itself works). */
function notBuilt(res: ServerResponse, dir: string): void {
  const body = JSON.stringify({ error: 'The dashboard is not built: run npm run build (or set WEB_DIR)', code: 'NOT_FOUND', details: { dir } });
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Accepted content codings of a request, by name (q=0 excluded). */
function acceptedEncodings(header: string | string[] | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) accepted.add(name);
  }
  return accepted;
}

function send(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
  const headers: Record<string, string | number> = {
    'content-type': file.type,
    'cache-control': file.cacheControl,
    etag: file.etag,
    vary: 'Accept-Encoding',
    'x-content-type-options': 'nosniff',
  };
  if (file.type.startsWith('text/html')) {
    headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    headers['referrer-policy'] = 'same-origin';
  }
  const tags = String(req.headers['if-none-match'] ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags.includes(file.etag.replace(/^W\//, '')) || tags.includes('*')) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const accepted = acceptedEncodings(req.headers['accept-encoding']);
  const variant = file.encoded.find((e) => accepted.has(e.encoding));
  if (variant) headers['content-encoding'] = variant.encoding;
  headers['content-length'] = variant ? variant.size : file.size;
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(variant ? variant.path : file.path);
  stream.on('error', (error) => res.destroy(error));
  stream.pipe(res);
}

/** Where the built dashboard is: WEB_DIR, else apps/web/dist of this checkout (the same from src/ and dist/). */
export function dashboardDir(webDir: string): string | undefined {
  if (webDir === 'off') return undefined;
  return webDir || new URL('../../../web/dist', import.meta.url).pathname;
}
