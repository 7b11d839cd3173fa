// CRC-32 of a concatenation from the CRCs of its parts (what zlib's crc32_combine computes): lets
// blocks be checksummed in parallel and the whole stream's CRC be assembled in order afterwards.
// Works in GF(2) polynomials modulo the CRC polynomial (bit-reflected, as the CRC itself): appending
// n zero bytes to A multiplies crc(A) by x^(8n), and x^(8n) is assembled from precomputed powers
// x^(2^k) — a few dozen multiplications, whatever n is.

const POLY = 0xedb88320;
/** x^0 in the reflected representation. */
const ONE = 0x80000000;

/** a·b modulo the CRC polynomial. */
function multiply(a: number, b: number): number {
  let product = 0;
  for (let m = ONE; m !== 0; m >>>= 1) {
    if (a & m) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** POWERS[k] = x^(2^k) modulo the polynomial. */
const POWERS = (() => {
  const table = new Uint32Array(32);
  let p = ONE >>> 1; // x^1
  table[0] = p;
  for (let k = 1; k < 32; k++) table[k] = p = multiply(p, p);
  return table;
})();

/** x^(n·2^k) modulo the polynomial. */
function powerOfX(n: number, k: number): number {
  let p = ONE;
  while (n > 0) {
    if (n % 2 === 1) p = multiply(POWERS[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** CRC-32 of A ‖ B, given crc(A), crc(B) and the length of B in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multiply(powerOfX(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}
