/** PredictorOptions configure a Predictor. */
export interface PredictorOptions<S, I> {
    /**
     * apply advances state by one input, the way the server's game does. It
     * may change state in place or return a new one.
     */
    apply: (state: S, input: I) => S | void;
    /**
     * clone copies a state, so that predictions never touch the authoritative
     * one. For protobuf states pass `(s) => clone(Schema, s)`. Default:
     * structuredClone.
     */
    clone?: (state: S) => S;
    /** At most this many unacknowledged inputs are kept (oldest dropped). Default 256. */
    maxPending?: number;
}
/**
 * Predictor runs the local player ahead of the server: every input is
 * applied at once to a predicted state and kept until the server
 * acknowledges it (a StateFrame whose last_input_seq reaches its seq). Each
 * authoritative state is then rebased: the prediction restarts from it and
 * replays the inputs still unacknowledged, so the server always wins and
 * mispredictions heal within one round trip.
 *
 * The state may be the whole room state or just the local player's part.
 */
export declare class Predictor<S, I> {
    private readonly applyFn;
    private readonly cloneFn;
    private readonly maxPending;
    private pendingInputs;
    private predicted;
    constructor(opts: PredictorOptions<S, I>);
    /** state is the predicted state: the last authoritative one plus every pending input. */
    get state(): S | undefined;
    /** pending is the number of inputs sent but not yet acknowledged. */
    get pending(): number;
    /**
     * input records input, sent with sequence number seq, and applies it to
     * the predicted state (if there is one yet).
     */
    input(seq: number, input: I): void;
    /**
     * reconcile rebases the prediction on an authoritative state that
     * reflects every input up to lastInputSeq: acknowledged inputs are
     * dropped and the rest are replayed on a copy of authoritative. It returns
     * the new predicted state.
     */
    reconcile(authoritative: S, lastInputSeq: number): S;
    /** reset forgets every pending input and the prediction (after a reconnect: seqs restart). */
    reset(): void;
    private step;
}
