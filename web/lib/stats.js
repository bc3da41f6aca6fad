// Running latency statistics (RTT, input-to-state).
/** LatencyStats summarises latency samples in milliseconds. */
export class LatencyStats {
    constructor() {
        /** The newest sample; NaN before the first. */
        this.last = NaN;
        /** Exponentially weighted moving average (weight 1/8 for the newest sample, like TCP's SRTT); NaN before the first. */
        this.avg = NaN;
        this.min = Infinity;
        this.max = -Infinity;
        this.count = 0;
    }
    /** add records one sample. */
    add(ms) {
        this.last = ms;
        this.avg = this.count === 0 ? ms : this.avg + (ms - this.avg) / 8;
        this.min = Math.min(this.min, ms);
        this.max = Math.max(this.max, ms);
        this.count++;
    }
}
