// Client-side prediction with server reconciliation.
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
export class Predictor {
    constructor(opts) {
        this.pendingInputs = [];
        this.applyFn = opts.apply;
        this.cloneFn = opts.clone ?? ((s) => structuredClone(s));
        this.maxPending = opts.maxPending ?? 256;
    }
    /** state is the predicted state: the last authoritative one plus every pending input. */
    get state() {
        return this.predicted;
    }
    /** pending is the number of inputs sent but not yet acknowledged. */
    get pending() {
        return this.pendingInputs.length;
    }
    /**
     * input records input, sent with sequence number seq, and applies it to
     * the predicted state (if there is one yet).
     */
    input(seq, input) {
        this.pendingInputs.push({ seq, input });
        if (this.pendingInputs.length > this.maxPending) {
            this.pendingInputs.shift();
        }
        if (this.predicted !== undefined) {
            this.predicted = this.step(this.predicted, input);
        }
    }
    /**
     * reconcile rebases the prediction on an authoritative state that
     * reflects every input up to lastInputSeq: acknowledged inputs are
     * dropped and the rest are replayed on a copy of authoritative. It returns
     * the new predicted state.
     */
    reconcile(authoritative, lastInputSeq) {
        let i = 0;
        while (i < this.pendingInputs.length && this.pendingInputs[i].seq <= lastInputSeq) {
            i++;
        }
        if (i > 0) {
            this.pendingInputs.splice(0, i);
        }
        let s = this.cloneFn(authoritative);
        for (const p of this.pendingInputs) {
            s = this.step(s, p.input);
        }
        this.predicted = s;
        return s;
    }
    /** reset forgets every pending input and the prediction (after a reconnect: seqs restart). */
    reset() {
        this.pendingInputs = [];
        this.predicted = undefined;
    }
    step(s, input) {
        const next = this.applyFn(s, input);
        return next === undefined ? s : next;
    }
}
