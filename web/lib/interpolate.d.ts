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
export declare class Interpolator<T> {
    /** The render delay, in the samples' time unit. */
    delay: number;
    private readonly lerp;
    private readonly maxSamples;
    private samples;
    constructor(opts: InterpolatorOptions<T>);
    /** push adds a sample taken at time. A sample at the newest time replaces it; an older one is dropped. */
    push(time: number, value: T): void;
    /** size is the number of buffered samples. */
    get size(): number;
    /**
     * sample returns the value at now − delay: a blend of the samples around
     * that time, the oldest sample before them, or the newest one after them
     * (it does not extrapolate). undefined until the first push.
     */
    sample(now: number): T | undefined;
    /** clear drops every sample. */
    clear(): void;
}
/** lerpNumber blends two numbers. */
export declare function lerpNumber(a: number, b: number, t: number): number;
/**
 * lerpRecord blends two records of entities by key (a protobuf map field
 * such as arena State.players): an entity in both is blended with
 * lerpEntity, one only in b appears as it is in b, one only in a is gone.
 */
export declare function lerpRecord<V>(a: Record<string, V>, b: Record<string, V>, t: number, lerpEntity: (a: V, b: V, t: number) => V): Record<string, V>;
