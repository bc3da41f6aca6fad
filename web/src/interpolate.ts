// Interpolation of remote entities between timestamped snapshots.

/** InterpolatorOptions configure an Interpolator. */
export interface InterpolatorOptions<T> {
  /**
   * lerp blends two samples: t = 0 gives a, t = 1 gives b. It must not
   * modify a or b. lerpRecord builds one for records of entities.
   */
  lerp: (a: T, b: T, t: number) => T;
  /**
   * How far behind the newest time samples are rendered, in the samples'
   * time unit (milliseconds). About two server ticks hides one late frame.
   * Default 100.
   */
  delay?: number;
  /** Samples kept at most. Default 64. */
  maxSamples?: number;
}

/**
 * Interpolator buffers timestamped samples of what remote entities look
 * like and renders them a little in the past (now − delay), blending the two
 * samples around that moment. Remote players then move smoothly between
 * ticks at the cost of the delay. Push a copy of each state (the replica
 * changes its state in place).
 */
export class Interpolator<T> {
  /** The render delay, in the samples' time unit. */
  delay: number;
  private readonly lerp: (a: T, b: T, t: number) => T;
  private readonly maxSamples: number;
  private samples: { time: number; value: T }[] = [];

  constructor(opts: InterpolatorOptions<T>) {
    this.lerp = opts.lerp;
    this.delay = opts.delay ?? 100;
    this.maxSamples = opts.maxSamples ?? 64;
  }

  /** push adds a sample taken at time. A sample at the newest time replaces it; an older one is dropped. */
  push(time: number, value: T): void {
    const last = this.samples[this.samples.length - 1];
    if (last !== undefined && time < last.time) {
      return;
    }
    if (last !== undefined && time === last.time) {
      last.value = value;
      return;
    }
    this.samples.push({ time, value });
    if (this.samples.length > this.maxSamples) {
      this.samples.shift();
    }
  }

  /** size is the number of buffered samples. */
  get size(): number {
    return this.samples.length;
  }

  /**
   * sample returns the value at now − delay: a blend of the samples around
   * that time, the oldest sample before them, or the newest one after them
   * (it does not extrapolate). undefined until the first push.
   */
  sample(now: number): T | undefined {
    const at = now - this.delay;
    const s = this.samples;
    if (s.length === 0) {
      return undefined;
    }
    if (at <= s[0].time) {
      return s[0].value;
    }
    for (let i = s.length - 1; i > 0; i--) {
      const a = s[i - 1];
      const b = s[i];
      if (at >= a.time) {
        if (at >= b.time) {
          return b.value;
        }
        // Samples before a are no longer needed.
        if (i > 1) {
          this.samples = s.slice(i - 1);
        }
        return this.lerp(a.value, b.value, (at - a.time) / (b.time - a.time));
      }
    }
    return s[s.length - 1].value;
  }

  /** clear drops every sample. */
  clear(): void {
    this.samples = [];
  }
}

/** lerpNumber blends two numbers. */
export function lerpNumber(a: number, b: number, t: number): number {
  return a + (b - a) * t;
}

/**
 * lerpRecord blends two records of entities by key (a protobuf map field
 * such as arena State.players): an entity in both is blended with
 * lerpEntity, one only in b appears as it is in b, one only in a is gone.
 */
export function lerpRecord<V>(
  a: Record<string, V>,
  b: Record<string, V>,
  t: number,
  lerpEntity: (a: V, b: V, t: number) => V,
): Record<string, V> {
  const out: Record<string, V> = {};
  for (const key of Object.keys(b)) {
    const from = Object.prototype.hasOwnProperty.call(a, key) ? a[key] : undefined;
    out[key] = from === undefined ? b[key] : lerpEntity(from, b[key], t);
  }
  return out;
}
