/** LatencyStats summarises latency samples in milliseconds. */
export declare class LatencyStats {
    /** The newest sample; NaN before the first. */
    last: number;
    /** Exponentially weighted moving average (weight 1/8 for the newest sample, like TCP's SRTT); NaN before the first. */
    avg: number;
    min: number;
    max: number;
    count: number;
    /** add records one sample. */
    add(ms: number): void;
}
