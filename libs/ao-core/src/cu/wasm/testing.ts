import type { Tag } from '../../types.js';
import type { ModuleDef } from '../evaluator.js';
import { WASM_MODULE_FORMAT } from './wasm-format.js';
import { watToWasm } from './wabt.js';

/**
 * Fixtures for tests and benches: a token-transfer-like process written in WebAssembly text and
 * compiled at run time, following the `wasm32-ao-json-1` ABI.
 *
 * The token reads its input with plain substring search, relying on the host's JSON encoding of
 * the message (no whitespace, tags as `{"name":..,"value":..}`): the `Action`, `Quantity` and
 * `Recipient` tags and `From`. Balances live in memory (a table of up to 1,000 accounts); the
 * account count and a message counter are non-exported mutable globals.
 *
 * Actions: `Mint` (credits From with Quantity), `Transfer` (moves Quantity from From to
 * Recipient and sends the recipient a `Credit-Notice`, with the ao protocol tags the MU requires
 * of every pushed message; `Error` when the balance is short),
 * `Balance` (Output = From's balance), `Count` (Output = messages handled), and for tests:
 * `Trap` (credits, then traps), `Grow` (memory.grow by Quantity pages, Output `grew`/`refused`),
 * `Spin` (loops forever), `Recurse` (recursion without end), `BadJson`, `BadPtr`.
 */

const STRINGS = {
  action: '"name":"Action","value":"',
  quantity: '"name":"Quantity","value":"',
  recipient: '"name":"Recipient","value":"',
  from: '"From":"',
  mint: 'Mint',
  transfer: 'Transfer',
  balance: 'Balance',
  count: 'Count',
  trap: 'Trap',
  grow: 'Grow',
  spin: 'Spin',
  recurse: 'Recurse',
  badJson: 'BadJson',
  badPtr: 'BadPtr',
  outOpen: '{"Output":"',
  outClose: '","Messages":[]}',
  minted: 'minted',
  grew: 'grew',
  refused: 'refused',
  noAction: 'no action',
  unknown: 'unknown action',
  short: '{"Error":"insufficient balance"}',
  creditOpen: '{"Output":"ok","Messages":[{"Target":"',
  creditTags:
    '","Tags":[{"name":"Data-Protocol","value":"ao"},{"name":"Variant","value":"ao.TN.1"},{"name":"Type","value":"Message"},' +
    '{"name":"Action","value":"Credit-Notice"},{"name":"Sender","value":"',
  creditQty: '"},{"name":"Quantity","value":"',
  creditClose: '"}],"Data":""}]}',
  notJson: '{not json',
} as const;

type Name = keyof typeof STRINGS;

function layout(): { data: string; at: (name: Name) => string } {
  const offsets = new Map<Name, [number, number]>();
  let offset = 0;
  let data = '';
  for (const [name, value] of Object.entries(STRINGS) as [Name, string][]) {
    offsets.set(name, [offset, value.length]);
    offset += value.length;
    data += value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  }
  if (offset > 990) throw new Error('fixture strings overflow their area');
  const at = (name: Name): string => {
    const [o, l] = offsets.get(name)!;
    return `(i32.const ${o}) (i32.const ${l})`;
  };
  return { data: `(data (i32.const 0) "${data}")`, at };
}

/** The token process in WebAssembly text; `maxPages` is the memory's declared maximum. */
export function tokenModuleWat(maxPages = 256): string {
  const { data, at } = layout();
  const is = (name: Name): string => `(call $eq (local.get $act) (local.get $alen) ${at(name)})`;
  return `(module
  (memory (export "memory") 3 ${maxPages})
  ${data}
  (global $bump (mut i32) (i32.const 131072))
  (global $out (mut i32) (i32.const 0))
  (global $count (mut i32) (i32.const 0))
  (global $handled (mut i64) (i64.const 0))

  (func $alloc (export "alloc") (param $len i32) (result i32) (local $p i32) (local $need i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7)) (i32.const -8)))
    (local.set $need (i32.add (global.get $bump) (i32.const 4096)))
    (if (i32.gt_u (local.get $need) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $need) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))) (i32.const -1))
        (then unreachable))))
    (local.get $p))

  (func $find (param $h i32) (param $hl i32) (param $n i32) (param $nl i32) (result i32) (local $i i32) (local $j i32)
    (block $done
      (loop $outer
        (br_if $done (i32.gt_s (i32.add (local.get $i) (local.get $nl)) (local.get $hl)))
        (local.set $j (i32.const 0))
        ;; most positions fail on the first byte: test it before entering the inner loop
        (if (i32.ne (i32.load8_u (i32.add (local.get $h) (local.get $i))) (i32.load8_u (local.get $n)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $outer)))
        (block $mismatch
          (loop $inner
            (if (i32.eq (local.get $j) (local.get $nl)) (then (return (i32.add (i32.add (local.get $h) (local.get $i)) (local.get $nl)))))
            (br_if $mismatch (i32.ne (i32.load8_u (i32.add (local.get $h) (i32.add (local.get $i) (local.get $j)))) (i32.load8_u (i32.add (local.get $n) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $inner)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (i32.const -1))

  (func $qlen (param $p i32) (result i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.eq (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 34)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))

  (func $eq (param $a i32) (param $al i32) (param $b i32) (param $bl i32) (result i32) (local $i i32)
    (if (i32.ne (local.get $al) (local.get $bl)) (then (return (i32.const 0))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $al)))
      (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i))) (i32.load8_u (i32.add (local.get $b) (local.get $i))))
        (then (return (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.const 1))

  (func $u64 (param $p i32) (result i64) (local $v i64) (local $c i32)
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i64.const 0))))
    (block $done (loop $l
      (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
      (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
      (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l)))
    (local.get $v))

  ;; the balance slot of an account (created at 0 when new): table at 1024, 64-byte entries
  (func $account (param $p i32) (param $len i32) (result i32) (local $i i32) (local $e i32)
    (if (i32.gt_u (local.get $len) (i32.const 52)) (then (local.set $len (i32.const 52))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (global.get $count)))
      (local.set $e (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 64))))
      ;; a first test on 8 bytes skips most full compares (keys shorter than that always get one)
      (if (i32.or (i32.lt_u (local.get $len) (i32.const 8)) (i64.eq (i64.load (i32.add (local.get $e) (i32.const 4))) (i64.load (local.get $p))))
        (then (if (call $eq (i32.add (local.get $e) (i32.const 4)) (i32.load (local.get $e)) (local.get $p) (local.get $len))
          (then (return (i32.add (local.get $e) (i32.const 56)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (if (i32.ge_u (global.get $count) (i32.const 1000)) (then unreachable))
    (local.set $e (i32.add (i32.const 1024) (i32.mul (global.get $count) (i32.const 64))))
    (i32.store (local.get $e) (local.get $len))
    (memory.copy (i32.add (local.get $e) (i32.const 4)) (local.get $p) (local.get $len))
    (i64.store (i32.add (local.get $e) (i32.const 56)) (i64.const 0))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.add (local.get $e) (i32.const 56)))

  (func $emit (param $p i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $p) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  (func $emitNum (param $v i64) (local $p i32)
    (local.set $p (i32.const 1016))
    (loop $l
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $l (i64.ne (local.get $v) (i64.const 0))))
    (call $emit (local.get $p) (i32.sub (i32.const 1016) (local.get $p))))

  (func $output (param $p i32) (param $len i32)
    (call $emit ${at('outOpen')})
    (call $emit (local.get $p) (local.get $len))
    (call $emit ${at('outClose')}))

  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  (func $handle (export "handle") (param $msg i32) (param $len i32) (param $env i32) (param $envLen i32) (result i32)
    (local $res i32) (local $act i32) (local $alen i32) (local $from i32) (local $flen i32)
    (local $q i64) (local $rcp i32) (local $rlen i32) (local $slot i32) (local $qp i32)
    (local.set $res (global.get $bump))
    (global.set $out (i32.add (local.get $res) (i32.const 4)))
    (global.set $handled (i64.add (global.get $handled) (i64.const 1)))
    (local.set $from (call $find (local.get $msg) (local.get $len) ${at('from')}))
    (local.set $flen (if (result i32) (i32.ge_s (local.get $from) (i32.const 0)) (then (call $qlen (local.get $from))) (else (i32.const 0))))
    (local.set $qp (call $find (local.get $msg) (local.get $len) ${at('quantity')}))
    (local.set $q (call $u64 (local.get $qp)))
    (local.set $act (call $find (local.get $msg) (local.get $len) ${at('action')}))
    (block $done
      (if (i32.lt_s (local.get $act) (i32.const 0)) (then (call $output ${at('noAction')}) (br $done)))
      (local.set $alen (call $qlen (local.get $act)))
      (if ${is('mint')} (then
        (local.set $slot (call $account (local.get $from) (local.get $flen)))
        (i64.store (local.get $slot) (i64.add (i64.load (local.get $slot)) (local.get $q)))
        (call $output ${at('minted')})
        (br $done)))
      (if ${is('transfer')} (then
        (local.set $rcp (call $find (local.get $msg) (local.get $len) ${at('recipient')}))
        (if (i32.lt_s (local.get $rcp) (i32.const 0)) (then unreachable))
        (local.set $rlen (call $qlen (local.get $rcp)))
        (local.set $slot (call $account (local.get $from) (local.get $flen)))
        (if (i64.lt_u (i64.load (local.get $slot)) (local.get $q)) (then (call $emit ${at('short')}) (br $done)))
        (i64.store (local.get $slot) (i64.sub (i64.load (local.get $slot)) (local.get $q)))
        (local.set $slot (call $account (local.get $rcp) (local.get $rlen)))
        (i64.store (local.get $slot) (i64.add (i64.load (local.get $slot)) (local.get $q)))
        (call $emit ${at('creditOpen')})
        (call $emit (local.get $rcp) (local.get $rlen))
        (call $emit ${at('creditTags')})
        (call $emit (local.get $from) (local.get $flen))
        (call $emit ${at('creditQty')})
        (call $emitNum (local.get $q))
        (call $emit ${at('creditClose')})
        (br $done)))
      (if ${is('balance')} (then
        (call $emit ${at('outOpen')})
        (call $emitNum (i64.load (call $account (local.get $from) (local.get $flen))))
        (call $emit ${at('outClose')})
        (br $done)))
      (if ${is('count')} (then
        (call $emit ${at('outOpen')})
        (call $emitNum (global.get $handled))
        (call $emit ${at('outClose')})
        (br $done)))
      (if ${is('trap')} (then
        (local.set $slot (call $account (local.get $from) (local.get $flen)))
        (i64.store (local.get $slot) (i64.add (i64.load (local.get $slot)) (local.get $q)))
        unreachable))
      (if ${is('grow')} (then
        (if (i32.eq (memory.grow (i32.wrap_i64 (local.get $q))) (i32.const -1))
          (then (call $output ${at('refused')}))
          (else (call $output ${at('grew')})))
        (br $done)))
      (if ${is('spin')} (then (loop $forever (br $forever))))
      (if ${is('recurse')} (then (drop (call $recurse (i32.const 0)))))
      (if ${is('badJson')} (then (call $emit ${at('notJson')}) (br $done)))
      (if ${is('badPtr')} (then (return (i32.const -16))))
      (call $output ${at('unknown')}))
    (i32.store (local.get $res) (i32.sub (i32.sub (global.get $out) (local.get $res)) (i32.const 4)))
    (global.set $bump (i32.const 131072))
    (local.get $res))
)`;
}

/** The token process compiled to a binary. */
export function tokenModuleWasm(maxPages?: number): Promise<Uint8Array> {
  return watToWasm(tokenModuleWat(maxPages), 'token.wat');
}

/** Tags of a `Type: Module` item for a WASM process module. */
export function wasmModuleTags(extra: Tag[] = []): Tag[] {
  return [
    { name: 'Data-Protocol', value: 'ao' },
    { name: 'Variant', value: 'ao.TN.1' },
    { name: 'Type', value: 'Module' },
    { name: 'Module-Format', value: WASM_MODULE_FORMAT },
    { name: 'Input-Encoding', value: 'JSON-1' },
    { name: 'Output-Encoding', value: 'JSON-1' },
    ...extra,
  ];
}

/** A module definition for a WASM binary (tests). */
export function wasmModuleDef(source: Uint8Array, id = 'wasm-module-id-00000000000000000000000000000', owner = 'owner-address-0000000000000000000000000000'): ModuleDef {
  return { id, owner, tags: wasmModuleTags(), format: WASM_MODULE_FORMAT, source };
}
