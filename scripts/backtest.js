// `npm run backtest -- <config.json> <series.csv|json> [--url URL] [--wallet JWK.json] [--quote-decimals N] [--json]`:
// runs a market maker in paper mode over a price series on a running platform (default
// http://localhost:$PORT): an oracle process receives each price as a signed message, the agent
// simulates its fills, and the report (fills, PnL, inventory, max drawdown) is printed. Both
// processes stay on the platform: `npm run verify -- <id>` reproduces the run from the gateway.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, createDataItemSigner } from '@permaweb/aoconnect';
import { parseSeries, runBacktest } from '@ao/agents';

function usage(message) {
  if (message) process.stderr.write(`error: ${message}\n`);
  process.stderr.write('usage: npm run backtest -- <config.json> <series.csv|json> [--url URL] [--wallet JWK.json] [--quote-decimals N] [--json]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const positional = [];
const opts = { url: `http://localhost:${process.env.PORT || 3000}`, quoteDecimals: 6, json: false, wallet: undefined };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--url') opts.url = args[++i];
  else if (a === '--wallet') opts.wallet = args[++i];
  else if (a === '--quote-decimals') opts.quoteDecimals = Number(args[++i]);
  else if (a === '--json') opts.json = true;
  else if (a.startsWith('--')) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (positional.length !== 2) usage();
if (!Number.isInteger(opts.quoteDecimals) || opts.quoteDecimals < 0 || opts.quoteDecimals > 30) usage('--quote-decimals must be 0..30');

const fixed = (v, d) => {
  const s = String(v ?? '0');
  const neg = s.startsWith('-');
  const m = (neg ? s.slice(1) : s).padStart(d + 1, '0');
  return `${neg ? '-' : ''}${d ? `${m.slice(0, -d)}.${m.slice(-d)}` : m}`;
};

try {
  const config = JSON.parse(readFileSync(positional[0], 'utf8'));
  const series = parseSeries(readFileSync(positional[1], 'utf8'), opts.quoteDecimals);
  const info = await (await fetch(`${opts.url}/info`)).json();
  const jwk = opts.wallet
    ? JSON.parse(readFileSync(opts.wallet, 'utf8'))
    : generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 }).privateKey.export({ format: 'jwk' });
  const signer = createDataItemSigner(jwk);
  const ao = connect({ MODE: 'legacy', MU_URL: `${opts.url}/mu`, CU_URL: `${opts.url}/cu`, GATEWAY_URL: info.gateway });
  const tagList = (tags) => Object.entries(tags).map(([name, value]) => ({ name, value }));
  const client = {
    async spawn(name, bootCode, tags = []) {
      const id = await ao.spawn({
        module: info.modules['lua-5.4-aos'],
        scheduler: info.scheduler.address,
        signer,
        tags: [{ name: 'Name', value: name }, { name: 'On-Boot', value: 'Data' }, { name: 'Authority', value: info.scheduler.address }, ...tags],
        data: bootCode,
      });
      const boot = await ao.result({ process: id, message: id });
      if (boot.Error) throw new Error(`${name} failed to boot: ${boot.Error}`);
      return id;
    },
    async message(process, tags, data = '') {
      const id = await ao.message({ process, signer, tags: tagList(tags), data });
      return ao.result({ process, message: id });
    },
    async query(process, tags) {
      const r = await ao.dryrun({ process, tags: tagList(tags) });
      const m = r.Messages?.[0];
      if (!m) throw new Error(`no answer to ${tags.Action} from ${process}`);
      return { tags: Object.fromEntries(m.Tags.map((t) => [t.name, t.value])), data: m.Data };
    },
  };
  const report = await runBacktest(client, config, series, {
    timeoutMs: 120_000,
    onProgress: opts.json ? undefined : (done, total) => process.stderr.write(`\rprices ${done}/${total}`),
  });
  if (!opts.json) process.stderr.write('\n');
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const q = opts.quoteDecimals;
    const b = config.baseDenomination ?? 12;
    const out = (line) => process.stdout.write(`${line}\n`);
    out(`oracle ${report.oracle}\nagent  ${report.agent}\nprices ${report.prices}, fills ${report.fills.length}`);
    out('seq  time           side  price            quantity         fee');
    for (const f of report.fills) out(`${String(f.seq).padEnd(4)} ${String(f.timestamp).padEnd(14)} ${String(f.side).padEnd(5)} ${fixed(f.price, q).padEnd(16)} ${fixed(f.quantity, b).padEnd(16)} ${f.fee} ${f.feeToken}`);
    const p = report.pnl;
    if (p) {
      out(`pnl at ${fixed(p.price, q)}: hold ${fixed(p.hold, q)}, trade ${fixed(p.tradePnl, q)}, fees ${fixed(p.fees, q)}, total ${fixed(p.total, q)} (${fixed(p.returnBps, 2)} %), realised ${fixed(p.realised, q)}, unrealised ${fixed(p.unrealised, q)}`);
    }
    if (report.inventory) out(`inventory: base ${fixed(report.inventory.base, b)}, quote ${fixed(report.inventory.quote, q)}, base share ${fixed(report.inventory.baseShareBps, 2)} %`);
    out(`max drawdown ${fixed(report.maxDrawdown, q)}`);
    out(`reproduce: npm run verify -- ${report.agent}`);
  }
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
