// Draws the toolbar icons (a play triangle on a rounded square) as PNGs with
// nothing but node:zlib, so the build needs no image tools.
import { deflateSync } from "node:zlib";

const crcTable = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** RGBA pixels (size*size*4) -> PNG bytes. */
export function encodePng(size, rgba) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The vidkeep icon at `size` pixels, 4x4 supersampled. */
export function drawIcon(size) {
  const rgba = Buffer.alloc(size * size * 4);
  const ss = 4;
  const r = size * 0.22; // corner radius
  const inRoundedSquare = (x, y) => {
    const cx = Math.min(Math.max(x, r), size - r);
    const cy = Math.min(Math.max(y, r), size - r);
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
  };
  // Play triangle, slightly right of centre.
  const ax = size * 0.38, ay = size * 0.27, bx = size * 0.38, by = size * 0.73, cx = size * 0.76, cy = size * 0.5;
  const side = (px, py, x1, y1, x2, y2) => (px - x2) * (y1 - y2) - (x1 - x2) * (py - y2);
  const inTriangle = (x, y) => {
    const d1 = side(x, y, ax, ay, bx, by), d2 = side(x, y, bx, by, cx, cy), d3 = side(x, y, cx, cy, ax, ay);
    return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let bg = 0, fg = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const px = x + (sx + 0.5) / ss, py = y + (sy + 0.5) / ss;
          if (inRoundedSquare(px, py)) {
            if (inTriangle(px, py)) fg++;
            else bg++;
          }
        }
      }
      const n = ss * ss, cover = (bg + fg) / n, white = fg / Math.max(1, bg + fg);
      // Background gradient from #2f6fe4 (top) to #6a3fd0 (bottom).
      const t = y / size;
      const br = 0x2f + (0x6a - 0x2f) * t, bgc = 0x6f + (0x3f - 0x6f) * t, bb = 0xe4 + (0xd0 - 0xe4) * t;
      const i = (y * size + x) * 4;
      rgba[i] = Math.round(br + (255 - br) * white);
      rgba[i + 1] = Math.round(bgc + (255 - bgc) * white);
      rgba[i + 2] = Math.round(bb + (255 - bb) * white);
      rgba[i + 3] = Math.round(255 * cover);
    }
  }
  return encodePng(size, rgba);
}
