// A tiny typed event emitter for Client and Room.
/**
 * Emitter calls handlers registered per event name. Events maps each event
 * name to the type of its payload. A handler that throws does not stop the
 * others; the error is reported on the console.
 */
export class Emitter {
    constructor() {
        this.handlers = new Map();
    }
    /** on calls handler for every event of that name until unsubscribed. */
    on(event, handler) {
        let set = this.handlers.get(event);
        if (set === undefined) {
            set = new Set();
            this.handlers.set(event, set);
        }
        const h = handler;
        set.add(h);
        return () => {
            set.delete(h);
        };
    }
    /** once calls handler for the next event of that name only. */
    once(event, handler) {
        const off = this.on(event, (p) => {
            off();
            handler(p);
        });
        return off;
    }
    /** emit calls every handler of event with payload. */
    emit(event, payload) {
        const set = this.handlers.get(event);
        if (set === undefined) {
            return;
        }
        for (const h of [...set]) {
            try {
                h(payload);
            }
            catch (e) {
                console.error(`tickwire: ${String(event)} handler failed:`, e);
            }
        }
    }
}
