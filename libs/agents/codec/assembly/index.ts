// The media codec: a WebAssembly module run by the Compute Unit for a process (ao.wasm), so the
// decoding a verdict rests on is code on Arweave, not host code. ABI in ../README.md.
import { setBudget } from "./mem";
import { sha256Hex } from "./sha256";
import { decodePng } from "./png";
import { decodeJpeg } from "./jpeg";
import { Result } from "./result";

/** Bytes the host may write input into. */
export function alloc(len: i32): i32 {
  return <i32>heap.alloc(len > 0 ? <usize>len : 1);
}

function parseParam(p: usize, len: i32, name: string): i64 {
  // params: "name=value;name=value" in ASCII
  const text = String.UTF8.decodeUnsafe(p, <usize>len);
  const parts = text.split(";");
  for (let i = 0; i < parts.length; i++) {
    const kv = parts[i].split("=");
    if (kv.length == 2 && kv[0] == name) return I64.parseInt(kv[1]);
  }
  return -1;
}

function answer(text: string): i32 {
  const bytes = String.UTF8.encode(text);
  const n = bytes.byteLength;
  const out = heap.alloc(<usize>n + 4);
  store<u32>(out, <u32>n);
  memory.copy(out + 4, changetype<usize>(bytes), <usize>n);
  return <i32>out;
}

/**
 * analyze(params, content): SHA-256 of the content, then format detection, decoding to gray and
 * the 9×8 / 8×8 grids with dHash and aHash. params: "maxPixels=N" (N ≥ 1).
 */
export function analyze(pp: i32, plen: i32, dp: i32, dlen: i32): i32 {
  let maxPixels = parseParam(<usize>pp, plen, "maxPixels");
  if (maxPixels <= 0) maxPixels = 25000000;
  // buffers: the compressed copy, rows, planes or coefficients (≤ 11 bytes a pixel for JPEG)
  setBudget(<i64>dlen * 2 + maxPixels * 12 + 4194304);
  const data = <usize>dp;
  const sha = sha256Hex(data, <usize>dlen);
  const r = new Result();
  if (dlen >= 8 && load<u64>(data) == 0x0a1a0a0d474e5089) decodePng(data, dlen, maxPixels, r);
  else if (dlen >= 3 && load<u8>(data) == 0xff && load<u8>(data + 1) == 0xd8 && load<u8>(data + 2) == 0xff) decodeJpeg(data, dlen, maxPixels, r);
  else r.fail("unsupported", "not a PNG or JPEG file");
  return answer(r.toJson(sha, dlen));
}

/** sha256(params ignored, content): the hex digest. */
export function sha256(_pp: i32, _plen: i32, dp: i32, dlen: i32): i32 {
  return answer(sha256Hex(<usize>dp, <usize>dlen));
}
