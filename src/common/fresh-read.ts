/**
 * One read shared by the callers that arrive while it is being prepared, never by one that
 * arrives after it was sent: every caller's answer comes from a read *started after it called*.
 * So a value written before a caller called (a revocation's INCR) is always in that caller's
 * answer, as if each had read on its own; only the number of reads changes. At most one read is
 * in flight; callers arriving meanwhile wait for the next one, which starts when it ends (so
 * 64 concurrent till requests cost about two Redis GETs, not 64).
 */
export class FreshRead<T> {
  private inFlight: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.inFlight) return this.start();
    // Started before this call: not fresh enough. Join (or queue) the one after it.
    this.next ??= this.inFlight.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.next;
  }

  private startQueued(): Promise<T> {
    this.next = null;
    return this.start();
  }

  private start(): Promise<T> {
    const p = this.read();
    this.inFlight = p;
    const clear = () => {
      if (this.inFlight === p) this.inFlight = null;
    };
    p.then(clear, clear);
    return p;
  }
}
