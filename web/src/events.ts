// A tiny typed event emitter for Client and Room.

/** Unsubscribe removes the handler that on() added. */
export type Unsubscribe = () => void;

/**
 * Emitter calls handlers registered per event name. Events maps each event
 * name to the type of its payload. A handler that throws does not stop the
 * others; the error is reported on the console.
 */
export class Emitter<Events extends object> {
  private handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  /** on calls handler for every event of that name until unsubscribed. */
  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    const h = handler as (payload: never) => void;
    set.add(h);
    return () => {
      set.delete(h);
    };
  }

  /** once calls handler for the next event of that name only. */
  once<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe {
    const off = this.on(event, (p) => {
      off();
      handler(p);
    });
    return off;
  }

  /** emit calls every handler of event with payload. */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (set === undefined) {
      return;
    }
    for (const h of [...set]) {
      try {
        (h as (payload: Events[K]) => void)(payload);
      } catch (e) {
        console.error(`tickwire: ${String(event)} handler failed:`, e);
      }
    }
  }
}
