/**
 * Uploads are parsed, checked and stored one at a time in each api process (others wait their
 * turn, in order). The api runs under a heap cap (scripts/api-node-options.sh): one 20,000-row
 * file fits in it with room to spare, several at once might not, and a process that runs out of
 * heap aborts with every request it was serving. A month's files are seconds each, so waiting is
 * cheap; a crash is not.
 */
export class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.max) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next in line, or give it back.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Uploads running and waiting (for tests and metrics). */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}

export const UPLOAD_GATE = new Gate(1);
