/**
 * Who waits for the poller to catch up (`StreamPoller.idle()`, for tests and the bench): each waiter is told when
 * a poll round that began after it asked has found nothing new, or that the poller stopped.
 */
export class IdleWaiters {
  private round = 0;
  private waiters: { afterRound: number; resolve: () => void; reject: (error: Error) => void }[] = [];

  /** A new poll round begins; answers its number. */
  beginRound(): number {
    this.round += 1;
    return this.round;
  }

  wait(): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ afterRound: this.round, resolve, reject }));
  }

  /** The round found nothing new: only a poll that began after idle() was called proves that a write was seen. */
  roundWasIdle(round: number): void {
    const ready = this.waiters.filter((waiter) => waiter.afterRound < round);
    this.waiters = this.waiters.filter((waiter) => waiter.afterRound >= round);
    for (const waiter of ready) waiter.resolve();
  }

  stopped(): void {
    for (const waiter of this.waiters) waiter.reject(new Error("the stream poller was stopped"));
    this.waiters = [];
  }
}
