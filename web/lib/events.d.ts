/** Unsubscribe removes the handler that on() added. */
export type Unsubscribe = () => void;
/**
 * Emitter calls handlers registered per event name. Events maps each event
 * name to the type of its payload. A handler that throws does not stop the
 * others; the error is reported on the console.
 */
export declare class Emitter<Events extends object> {
    private handlers;
    /** on calls handler for every event of that name until unsubscribed. */
    on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe;
    /** once calls handler for the next event of that name only. */
    once<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe;
    /** emit calls every handler of event with payload. */
    protected emit<K extends keyof Events>(event: K, payload: Events[K]): void;
}
