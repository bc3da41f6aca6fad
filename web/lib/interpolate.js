// Interpolation of remote entities between timestamped snapshots.
/**
 * Interpolator buffers timestamped samples of what remote entities look
 * like and renders them a little in the past (now − delay), blending the two
 * samples around that moment. Remote players then move smoothly between
 * ticks at the cost of the delay. Push a copy of each state (the replica
 * changes its state in place).
 */
export class Interpolator {
    constructor(opts) {
        this.samples = [];
        this.lerp = opts.lerp;
        this.delay = opts.delay ?? 100;
        this.maxSamples = opts.maxSamples ?? 64;
    }
    /** push adds a sample taken at time. A sample at the newest time replaces it; an older one is dropped. */
    push(time, value) {
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
    get size() {
        return this.samples.length;
    }
    /**
     * sample returns the value at now − delay: a blend of the samples around
     * that time, the oldest sample before them, or the newest one after them
     * (it does not extrapolate). undefined until the first push.
     */
    sample(now) {
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
    clear() {
        this.samples = [];
    }
}
/** lerpNumber blends two numbers. */
export function lerpNumber(a, b, t) {
    return a + (b - a) * t;
}
/**
 * lerpRecord blends two records of entities by key (a protobuf map field
 * such as arena State.players): an entity in both is blended with
 * lerpEntity, one only in b appears as it is in b, one only in a is gone.
 */
export function lerpRecord(a, b, t, lerpEntity) {
    const out = {};
    for (const key of Object.keys(b)) {
        const from = Object.prototype.hasOwnProperty.call(a, key) ? a[key] : undefined;
        out[key] = from === undefined ? b[key] : lerpEntity(from, b[key], t);
    }
    return out;
}
