// The proof-of-work check (docs/security.md#proof-of-work): find a nonce such that
// SHA-256(challenge ":" nonce) begins with `bits` zero bits, with the browser's own WebCrypto, then
// post the form again with it. Nothing is fetched from anywhere; the page allows only this origin's
// scripts. Digests are asked for in batches: one at a time, waiting on each promise costs more
// than the hashing.
const form = document.getElementById('pow');
const status = document.getElementById('pow-status');
const challenge = form.dataset.challenge;
const bits = Number(form.dataset.bits);
const encoder = new TextEncoder();
const BATCH = 64;

const leadingZeroBits = (digest) => {
  const bytes = new Uint8Array(digest);
  let count = 0;
  for (const byte of bytes) {
    if (byte !== 0) return count + Math.clz32(byte) - 24;
    count += 8;
  }
  return count;
};

const solve = async () => {
  for (let first = 0; ; first += BATCH) {
    const batch = [];
    for (let nonce = first; nonce < first + BATCH; nonce++)
      batch.push(crypto.subtle.digest('SHA-256', encoder.encode(`${challenge}:${nonce}`)));
    const found = (await Promise.all(batch)).findIndex((digest) => leadingZeroBits(digest) >= bits);
    if (found >= 0) return first + found;
  }
};

// WebCrypto exists only in a secure context (https, or localhost).
if (window.crypto?.subtle) {
  solve().then((nonce) => {
    form.elements.pow.value = `${challenge}:${nonce}`;
    form.submit();
  });
} else {
  status.textContent = form.dataset.unsupported;
  status.className = 'error';
}
