// What one analysis answers, as JSON text (see ../README.md for the fields).
import { Hasher, ahash, dhash } from "./gray";

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34 || c == 92) out += "\\" + String.fromCharCode(c);
    else if (c < 32) out += " ";
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

function list(values: StaticArray<i32>): string {
  let out = "[";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    out += values[i].toString();
  }
  return out + "]";
}

export class Result {
  format: string = "unknown";
  width: u32 = 0;
  height: u32 = 0;
  /** "" when decoding succeeded, else one of unsupported, too-large, corrupt, empty. */
  error: string = "";
  reason: string = "";
  grid9: StaticArray<i32> | null = null;
  grid8: StaticArray<i32> | null = null;

  fail(code: string, reason: string): void {
    if (this.error.length) return;
    this.error = code;
    this.reason = reason;
  }

  finish(h: Hasher): void {
    this.grid9 = h.d.values();
    this.grid8 = h.a.values();
  }

  toJson(sha256: string, size: i32): string {
    let out = '{"sha256":"' + sha256 + '","size":' + size.toString() + ',"format":' + jsonString(this.format);
    out += ',"width":' + this.width.toString() + ',"height":' + this.height.toString();
    if (this.error.length || this.grid9 == null || this.grid8 == null) {
      const code = this.error.length ? this.error : "corrupt";
      return out + ',"ok":false,"error":' + jsonString(code) + ',"reason":' + jsonString(this.reason) + "}";
    }
    const g9 = <StaticArray<i32>>this.grid9;
    const g8 = <StaticArray<i32>>this.grid8;
    out += ',"ok":true,"dhash":"' + dhash(g9) + '","ahash":"' + ahash(g8) + '"';
    return out + ',"grid9x8":' + list(g9) + ',"grid8x8":' + list(g8) + "}";
  }
}
