/**
 * Every origin some client lists in allowed_origins (the CORS preflight's question "is this origin anyone's?",
 * asked before any client is named: a preflight carries no credentials and no body). Loaded from the store on
 * first use, and again after any client change (the change feed calls invalidate), so the set follows the
 * clients on every node. Only browser requests (with an Origin header) ever ask.
 */
export class CorsOrigins {
  private origins: ReadonlySet<string> = new Set();
  private loading: Promise<void> | undefined;
  private generation = 0;
  private loadedGeneration = -1;

  constructor(private readonly load: () => Promise<string[]>) {}

  /** A client changed: the next question reloads. */
  invalidate(): void {
    this.generation++;
  }

  async has(origin: string): Promise<boolean> {
    if (this.loadedGeneration !== this.generation) {
      const generation = this.generation;
      // One load per generation, shared by concurrent preflights; a failed load is retried by the next question.
      if (!this.loading) {
        this.loading = this.load().then(
          (list) => {
            this.loading = undefined;
            // A change that arrived during the load makes this result stale: keep it, but ask again next time.
            this.origins = new Set(list);
            this.loadedGeneration = generation;
          },
          (err: unknown) => {
            this.loading = undefined;
            throw err;
          },
        );
      }
      await this.loading;
    }
    return this.origins.has(origin);
  }
}
