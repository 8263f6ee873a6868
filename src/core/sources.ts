import { randomBytes, randomInt } from 'node:crypto';

/** Time as the domain sees it; tests inject a clock they can move. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Randomness as the domain sees it: every value comes from the operating system's CSPRNG. */
export interface Random {
  /** A uniform integer in [0, max). */
  int(max: number): number;
  /** `bytes` random bytes, base64url-encoded. */
  token(bytes: number): string;
  /** `bytes` random bytes, hex-encoded (user and message ids). */
  hex(bytes: number): string;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Random bytes from the operating system's CSPRNG, drawn 4 KiB at a time: a login takes a dozen
 * small ids and secrets, and one system call for all of them costs less than one each. Every byte
 * is handed out once.
 */
class BufferedRandom implements Random {
  private pool = Buffer.alloc(0);
  private offset = 0;

  int(max: number): number {
    return randomInt(max);
  }

  token(bytes: number): string {
    return this.take(bytes).toString('base64url');
  }

  hex(bytes: number): string {
    return this.take(bytes).toString('hex');
  }

  private take(bytes: number): Buffer {
    if (bytes > 1024) return randomBytes(bytes);
    if (this.offset + bytes > this.pool.length) {
      this.pool = randomBytes(4096);
      this.offset = 0;
    }
    const slice = this.pool.subarray(this.offset, this.offset + bytes);
    this.offset += bytes;
    return slice;
  }
}

export const systemRandom: Random = new BufferedRandom();

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private current = Date.now()) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
