/**
 * An error caused by what the user asked for (bad flag, bad file, bad config, unreachable exchange).
 * The CLI prints its message as one line and exits with `exitCode`; no stack trace.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/**
 * Trading must stop (live kill switch, a halt asked from the dashboard, unreconcilable state); the message says why
 * and is kept on the run. An expected stop: the CLI prints it as one line and exits 1, with no stack trace.
 */
export class HaltError extends Error {
  override name = 'HaltError';
}

/**
 * A retried request that failed and was not tried again because its next try would start past the caller's deadline
 * (a late candle's look: its bound, trading.lateCandleWaitSeconds). The caller ends its wait at the bound.
 */
export class PastDeadlineError extends UserError {
  override name = 'PastDeadlineError';
}

/**
 * What the user asked of a stored run that no retry can change: a run trading another policy or started with other
 * settings, a clock before the candle the run last acted on. One line and exit 1, checked before the trader loop
 * starts; a loop that meets one anyway stops on it rather than trying the tick again (it used to, every 30 s, forever).
 */
export class RunRefusedError extends UserError {
  override name = 'RunRefusedError';
}

/**
 * A saved model that cannot serve the run's candles although its files loaded (a scaler fitted on other feature
 * columns, a network that does not fit its features): what is wrong is in the model folder, which the message names.
 * No retry changes it: a clocked start whose first tick meets it ends in one line, as a --once start does.
 */
export class ModelRefusedError extends UserError {
  override name = 'ModelRefusedError';
  /**
   * `unserved`: a new run's model failed at the first tick its network was asked, after ticks whose candles were all
   * in its warm-up; no retry changes it, so the start ends in one line, as when a first tick meets it.
   */
  constructor(
    message: string,
    readonly unserved = false,
  ) {
    super(message);
  }
}

/**
 * A saved model trained for another run: another timeframe, or other markets or another market order for a
 * portfolio. No wait changes it, so a run that gives such a version up promises no timed retry (audit, session 38).
 * Named `UserError` still: the CLI and its tests print it as one.
 */
export class ModelMismatchError extends UserError {}
