// The server answers commands side by side, so the answer to an earlier ask can arrive after the
// answer to a later one. Data asked for again (the backup list, the settings) keeps the answer to
// the latest ask, so an overtaken answer never puts older data back.

export class LatestAnswer {
  private asked = 0;

  /** Asks; hands the answer to `use` unless another ask was made through this one meanwhile. */
  async take<T>(ask: () => Promise<T>, use: (answer: T) => void): Promise<void> {
    const turn = ++this.asked;
    const answer = await ask();
    if (turn === this.asked) use(answer);
  }
}
