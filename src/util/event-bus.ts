// A small synchronous event bus; a failing listener never breaks the emitter or other listeners.

export type Listener<T> = (event: T) => void;

export class EventBus<T> {
  private readonly listeners = new Set<Listener<T>>();

  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        /* listeners must not affect the operation */
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
